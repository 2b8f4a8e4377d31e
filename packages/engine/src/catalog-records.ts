/**
 * The plain-data shapes a pool's catalog holds: volume, pool and job records, the planned ops of
 * an intent, and the journal's record types. The reducer that applies them is catalog-state.ts.
 * Every field is JSON (the catalog store keeps the state as JSON); 64-bit transaction ids are
 * decimal strings.
 */
import type { DeviceExtent, PoolLayout } from './layout.js';

export const CATALOG_STATE_FORMAT = 1;

export interface VolumeRecord {
  readonly uuid: string;
  readonly name: string;
  /** The kernel's 24-bit thin id. */
  readonly thinId: number;
  readonly sizeBytes: number;
  /** The volume this one was snapshotted from, while that volume exists. */
  readonly originUuid: string | null;
  /** A read-only block device whose content shows through unwritten blocks. */
  readonly externalOrigin: string | null;
  readonly createdAtMs: number;
  /** For a revision: the volume it is a revision of, while that volume exists. */
  readonly revisionOf: string | null;
  /** For a revision: its number among its volume's revisions (1, 2, ...), which orders rotation. */
  readonly revision: number | null;
  /** A pinned revision is never rotated away. */
  readonly pinned: boolean;
  /**
   * The highest revision number this volume has used (names the next one: numbers whose
   * `<name>.rev<N>` was taken by another volume are skipped and counted).
   */
  readonly revisionsMade: number;
  /**
   * Set while a background delete job works on the volume (absent in catalogs written before
   * marks existed, which means null). The mark travels with the pool, so whichever host holds
   * the pool next finds the job and resumes it from `doneBytes`.
   */
  readonly deleting?: DeleteMark | null;
  /**
   * Set while a background job of another kind than delete (a flatten, a device snapshot's
   * merge) works on the volume (absent in catalogs written before it, which means null). Like
   * the delete mark it travels with the pool: the next holder adopts the job from it.
   */
  readonly job?: JobMark | null;
  /**
   * Set on the exception store (COW) volume of a device snapshot: the block device outside the
   * pool it protects and how (absent in catalogs written before it, which means null). Written
   * once, in the transaction that creates the volume; gone with the volume. The device
   * snapshot's name is the volume's; its state is `merging` while the volume carries a `merge`
   * job mark, else `active`.
   */
  readonly deviceSnapshot?: DeviceSnapshotRecord | null;
  /**
   * The uuid of the volume (of this pool or another, perhaps gone) whose content this one was
   * restored as by an import of an incremental stream (docs/diff-stream.md), or null (absent in
   * catalogs written before it). Written once, in the transaction that creates the volume; an
   * import onto this volume accepts a stream whose base is this uuid or the volume's own.
   */
  readonly contentOf?: string | null;
}

/**
 * Who a block device outside the pool is, as a host saw it when a device snapshot of it was
 * made: a host whose `path` names a device of another size or label refuses to act on it.
 */
export interface DeviceIdentity {
  /** The absolute path the user gave (e.g. `/dev/sdb`, `/dev/disk/by-id/...`, `/dev/loop3`). */
  readonly path: string;
  /** The device's size in bytes. */
  readonly sizeBytes: number;
  /**
   * `<source>:<value>`, the first found of `wwid:` (sysfs device/wwid), `serial:` (sysfs
   * serial or device/serial), `dm-uuid:` (a device-mapper device's uuid), `loop-file:` (a loop
   * device's backing file); `none:` when the host found none (then only the size is checked).
   */
  readonly label: string;
}

/** A device snapshot: a classic `snapshot` of a device outside the pool, its exception store a volume of the pool. */
export interface DeviceSnapshotRecord {
  readonly device: DeviceIdentity;
  /** Exception granularity in 512-byte sectors: a power of two from 8 to 2^22. */
  readonly chunkSectors: number;
  /** The exception store kind: always `P` (persistent: the exceptions live on the volume). */
  readonly store: 'P';
  /** Milliseconds since the epoch when the device snapshot was made. */
  readonly createdAtMs: number;
}

/**
 * A background job's place in the pool's catalog, for every kind but delete (whose mark is
 * `VolumeRecord.deleting`): which job, of which kind, the checkpoint another host resumes it
 * from (bytes from offset 0 done, in steps of `chunkBytes`) and the phase it is in.
 */
export interface JobMark {
  /** The job's kind (`flatten`, `merge`): 1 to 32 lower-case letters, digits or '-'. */
  readonly kind: string;
  readonly jobId: string;
  readonly doneBytes: number;
  readonly chunkBytes: number;
  /** Milliseconds since the epoch when the job was made. */
  readonly createdMs: number;
  /** The kind's phase at the checkpoint (`copy`, `detach`): 1 to 32 lower-case letters, digits or '-'. */
  readonly phase: string;
  /** The grant token (decimal) of the holder that wrote the mark; absent on a standalone pool. */
  readonly ownerToken?: string;
  /**
   * The kind's own arguments, which the pool's next holder needs to go on with the job (a copy's
   * source): at most 16 entries, keys of 1 to 32 letters and digits starting with a letter,
   * values of at most 4096 bytes without NUL. Absent for a kind that needs none.
   */
  readonly args?: Readonly<Record<string, string>>;
}

/**
 * True for a valid job `args` value (JobMark.args, and the agent's job records): a plain object
 * of at most 16 entries, keys of 1 to 32 letters and digits starting with a letter, values of at
 * most 4096 UTF-8 bytes without NUL. Pure.
 */
export function isJobArgs(value: unknown): value is Readonly<Record<string, string>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value as Record<string, unknown>);
  return entries.length <= 16 && entries.every(([k, x]) => /^[A-Za-z][A-Za-z0-9]{0,31}$/.test(k) && typeof x === 'string' && !x.includes('\0') && Buffer.byteLength(x) <= 4096);
}

/**
 * A delete job's place in the pool's catalog: which job, and the checkpoint another host
 * resumes it from (bytes from offset 0 already discarded, in steps of `chunkBytes`).
 */
export interface DeleteMark {
  readonly jobId: string;
  readonly doneBytes: number;
  readonly chunkBytes: number;
  /** Milliseconds since the epoch when the job was made. */
  readonly createdMs: number;
  /**
   * The grant token (decimal) of the holder that wrote the mark, on a pool under a cluster lock;
   * absent on a standalone pool and in marks written before tokens.
   */
  readonly ownerToken?: string;
}

export interface PoolRecord {
  readonly uuid: string;
  readonly name: string;
  readonly createdAtMs: number;
  readonly layout: PoolLayout;
  /** Device sizes when the pool was made; a device found smaller refuses activation. */
  readonly deviceSizesBytes: readonly number[];
  /** The largest volume the pool accepts (its virtual limit per volume). */
  readonly maxVolumeBytes: number;
  readonly lowWaterMarkBlocks: number;
  /**
   * What writes to unprovisioned blocks do once the data space is full: `queue` (the kernel's
   * default; they wait up to dm_thin_pool's no_space_timeout) or `error` (the thin-pool feature
   * error_if_no_space: they fail at once). Absent in catalogs written before it existed: queue.
   */
  readonly noSpaceMode?: NoSpaceMode;
}

/** See PoolRecord.noSpaceMode. */
export type NoSpaceMode = 'queue' | 'error';

/** One change a transaction makes, with every id and uuid already chosen. */
export type PlannedOp =
  /** create_thin: a new empty volume (with or without an external origin). */
  | { readonly kind: 'create'; readonly volume: VolumeRecord }
  /** create_snap of `originThinId`. */
  | { readonly kind: 'snapshot'; readonly volume: VolumeRecord; readonly originThinId: number }
  /** delete of the volume's thin id. */
  | { readonly kind: 'delete'; readonly uuid: string; readonly thinId: number }
  | { readonly kind: 'rename'; readonly uuid: string; readonly name: string }
  | { readonly kind: 'grow'; readonly uuid: string; readonly sizeBytes: number }
  /** create_snap newThinId of fromThinId, then delete oldThinId; the volume keeps uuid and name. */
  | {
      readonly kind: 'revert';
      readonly uuid: string;
      readonly fromThinId: number;
      readonly newThinId: number;
      readonly oldThinId: number;
      readonly sizeBytes: number;
      readonly externalOrigin: string | null;
    }
  | { readonly kind: 'pin'; readonly uuid: string; readonly pinned: boolean }
  /**
   * Sets (or clears, with null) the volume's delete mark. Catalog only: no kernel message.
   * `owner`: the job whose mark it is, the grant token (decimal) of the holder writing it and
   * its lock space's cluster id, recorded in `CatalogState.jobOwners` (absent on a standalone pool).
   */
  | { readonly kind: 'mark-delete'; readonly uuid: string; readonly mark: DeleteMark | null; readonly owner?: JobOwner }
  /** Sets (or clears, with null) the volume's job mark (`VolumeRecord.job`). Catalog only; `owner` as for mark-delete. */
  | { readonly kind: 'mark-job'; readonly uuid: string; readonly mark: JobMark | null; readonly owner?: JobOwner }
  /** Sets the volume's external origin to null (a finished flatten). Catalog only: no kernel message. */
  | { readonly kind: 'detach-origin'; readonly uuid: string }
  /** repair: delete a kernel thin id the catalog does not know. */
  | { readonly kind: 'purge'; readonly thinId: number }
  /** repair: drop a volume whose thin id the kernel lacks. */
  | { readonly kind: 'forget'; readonly uuid: string };

export interface Intent {
  /** The kernel transaction id this transaction sets (decimal). */
  readonly tx: string;
  readonly ops: readonly PlannedOp[];
}

export interface CatalogState {
  readonly format: number;
  readonly pool: PoolRecord;
  /** The kernel transaction id of the last committed transaction (decimal). */
  committedTx: string;
  /** Keyed by volume uuid. */
  volumes: Record<string, VolumeRecord>;
  pending: Intent | null;
  /**
   * The newest grant token (decimal) that wrote each job's delete mark (set or cleared), by job
   * id: a holder whose record of a job is older may not resume it. At most MAX_JOB_OWNERS
   * entries (the oldest tokens go first). Absent in catalogs written before it: none.
   */
  jobOwners?: Record<string, string>;
  /**
   * The cluster id (lock space) of each `jobOwners` token, by job id; absent or missing entries
   * are ''. Tokens of different lock spaces are not compared: a replaced etcd restarts them.
   */
  jobOwnerClusters?: Record<string, string>;
}

/** Who wrote a job's delete mark: the job, the grant token (decimal) and its lock space ('' when none). */
export interface JobOwner {
  readonly jobId: string;
  readonly token: string;
  readonly clusterId?: string;
}

/** The most jobs `CatalogState.jobOwners` remembers. */
export const MAX_JOB_OWNERS = 1024;
export type CatalogRecord =
  | { readonly t: 'intent'; readonly intent: Intent }
  | { readonly t: 'commit'; readonly tx: string }
  | { readonly t: 'abort'; readonly tx: string }
  /**
   * The pool's data region grew by `extent` (pool-extend.ts). `deviceSizeBytes` is the size of
   * the extent's device when it joined (recorded for a new device index only);
   * `lowWaterMarkBlocks` is the pool table's new low water mark.
   */
  | { readonly t: 'extend'; readonly extent: DeviceExtent; readonly deviceSizeBytes: number; readonly lowWaterMarkBlocks: number }
  /** The pool's settings changed. */
  | { readonly t: 'pool-settings'; readonly noSpaceMode: NoSpaceMode };
