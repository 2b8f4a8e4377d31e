/**
 * The operations a batch can hold. Every item carries `item`, a name the caller chooses, so a
 * rejection can say which item was bad. Single-volume calls are batches of one item.
 */
import type { DeleteMark, DeviceSnapshotRecord, JobMark } from './catalog-state.js';

interface ItemBase {
  /** The caller's name for this item, unique within the batch. */
  readonly item: string;
}

/** A new, empty volume of `sizeBytes` (a multiple of 512, rounded up to the pool's block size). */
export interface CreateItem extends ItemBase {
  readonly op: 'create';
  readonly volume: string;
  readonly sizeBytes: number;
  readonly activate?: boolean;
  /**
   * Makes the volume the exception store of a device snapshot (`VolumeRecord.deviceSnapshot`),
   * recorded in the same transaction as the volume: the volume exists with its record, or not at all.
   */
  readonly deviceSnapshot?: DeviceSnapshotRecord;
  /**
   * The new volume's uuid instead of a fresh one: a volume moved here from another pool keeps
   * its identity (a live move's destination). Must be a uuid no volume of this pool has.
   */
  readonly uuid?: string;
  /**
   * Records that the new volume's content is made equal to the volume with this uuid
   * (`VolumeRecord.contentOf`: an import of an incremental stream, which fills it afterwards).
   */
  readonly contentOf?: string;
}

/**
 * A new volume whose unwritten blocks read from `externalOrigin`, a read-only block device (a
 * shared base image). `sizeBytes` defaults to the origin's size rounded up to the block size.
 */
export interface CreateExternalItem extends ItemBase {
  readonly op: 'create-external';
  readonly volume: string;
  readonly externalOrigin: string;
  readonly sizeBytes?: number;
  readonly activate?: boolean;
  /** As CreateItem's. */
  readonly uuid?: string;
}

/** A writable snapshot `volume` of `origin` (itself possibly a snapshot). */
export interface SnapshotItem extends ItemBase {
  readonly op: 'snapshot';
  readonly volume: string;
  readonly origin: string;
  readonly activate?: boolean;
  /**
   * Records that the new volume's content is made equal to the volume with this uuid
   * (`VolumeRecord.contentOf`: an import of an incremental stream, which fills it afterwards).
   */
  readonly contentOf?: string;
}

/** Deletes `volume`. An active, unopened volume is deactivated first; its snapshots stay intact. */
export interface DeleteItem extends ItemBase {
  readonly op: 'delete';
  readonly volume: string;
}

/** Renames an inactive volume. */
export interface RenameItem extends ItemBase {
  readonly op: 'rename';
  readonly volume: string;
  readonly newName: string;
}

/** Grows `volume` to `sizeBytes` (rounded up to the block size); shrinking is refused. */
export interface GrowItem extends ItemBase {
  readonly op: 'grow';
  readonly volume: string;
  readonly sizeBytes: number;
}

/** Gives inactive `volume` the content and size of `snapshot`, one of its snapshots; it keeps its name and uuid. */
export interface RevertItem extends ItemBase {
  readonly op: 'revert';
  readonly volume: string;
  readonly snapshot: string;
}

/**
 * Snapshots `volume` as its next revision, `<volume>.rev<N>`, and deletes its oldest unpinned
 * revisions beyond the newest `keep`.
 */
export interface RevisionItem extends ItemBase {
  readonly op: 'revision';
  readonly volume: string;
  readonly keep: number;
}

/** Pins (or unpins) a volume so rotation never deletes it. */
export interface PinItem extends ItemBase {
  readonly op: 'pin';
  readonly volume: string;
  readonly pinned?: boolean;
}

/**
 * Sets or clears (mark null) the delete mark of a volume: the agent's chunked delete job records
 * itself and its checkpoint in the pool's catalog, so that the host holding the pool next
 * resumes it. Changes nothing else; the volume may be active.
 */
export interface MarkDeleteItem extends ItemBase {
  readonly op: 'mark-delete';
  readonly volume: string;
  readonly mark: DeleteMark | null;
  /**
   * The grant token (decimal) of the holder writing the mark, on a pool under a cluster lock: the
   * mark is stamped with it (`ownerToken`) and the job's owner recorded (`jobOwners`). Set by
   * Pool.markDelete from the pool's writer; absent on a standalone pool.
   */
  readonly owner?: string;
  /** The writer's lock space (cluster id) with `owner`; absent or '' when none. */
  readonly ownerCluster?: string;
}

/**
 * Sets or clears (mark null) the job mark of a volume: a background job of another kind than
 * delete (flatten, merge) records itself, its phase and its checkpoint in the pool's catalog, so
 * that the host holding the pool next resumes it. Changes nothing else; the volume may be active.
 */
export interface MarkJobItem extends ItemBase {
  readonly op: 'mark-job';
  readonly volume: string;
  readonly mark: JobMark | null;
  /** As MarkDeleteItem.owner. */
  readonly owner?: string;
  /** As MarkDeleteItem.ownerCluster. */
  readonly ownerCluster?: string;
}

/**
 * Detaches a volume from its external origin (catalog only; an active volume's table is reloaded
 * without the origin after the commit). Precondition, which the engine does not check: every
 * block of the origin the volume shows is mapped in the volume (a finished flatten,
 * pool-flatten.ts), or the unmapped ones are zero in the origin; otherwise they read zeros after.
 */
export interface DetachOriginItem extends ItemBase {
  readonly op: 'detach-origin';
  readonly volume: string;
}

export type BatchItem =
  CreateItem | CreateExternalItem | SnapshotItem | DeleteItem | RenameItem | GrowItem | RevertItem | RevisionItem | PinItem | MarkDeleteItem | MarkJobItem | DetachOriginItem;

export type BatchOp = BatchItem['op'];

/** The most revisions `keep` may ask for. */
export const MAX_KEEP_REVISIONS = 1000;
