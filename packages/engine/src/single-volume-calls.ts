/**
 * The single-volume calls of a Pool: each is a batch of one item (batch-item.ts), named after
 * its volume, so it gets the batch's checks, transaction and crash story unchanged.
 */
import type { BatchItem } from './batch-item.js';
import type { DeleteMark, DeviceSnapshotRecord, JobMark } from './catalog-state.js';
import { EngineError } from './engine-error.js';
import type { BatchResult } from './pool-batch.js';
import type { VolumeInfo } from './volume-info.js';

/** Pool's single-volume calls, over its `batch`. */
export abstract class SingleVolumeCalls {
  /**
   * Applies `items` all-or-nothing as one transaction. A bad item rejects the whole batch
   * before anything is touched (EngineError with `item`).
   */
  abstract batch(items: readonly BatchItem[]): Promise<BatchResult>;

  private async single(item: BatchItem): Promise<VolumeInfo> {
    const result = await this.batch([item]);
    const first = result.items[0]?.volume;
    if (result.deferredErrors[0]) throw result.deferredErrors[0].error;
    if (!first) throw new EngineError('NO_SUCH_VOLUME', `volume of ${item.op} is gone`);
    return first;
  }

  /** Creates an empty volume (with `deviceSnapshot`: a device snapshot's exception store). See CreateItem. */
  createVolume(name: string, sizeBytes: number, options: { activate?: boolean; deviceSnapshot?: DeviceSnapshotRecord } = {}): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'create', volume: name, sizeBytes, ...options });
  }

  /** Creates a volume over a read-only external origin. See CreateExternalItem. */
  createExternal(name: string, externalOrigin: string, options: { sizeBytes?: number; activate?: boolean } = {}): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'create-external', volume: name, externalOrigin, ...options });
  }

  /** Snapshots `origin` as `name`. See SnapshotItem. */
  snapshot(origin: string, name: string, options: { activate?: boolean } = {}): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'snapshot', volume: name, origin, ...options });
  }

  /** Deletes a volume; returns it as it was. See DeleteItem. */
  deleteVolume(name: string): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'delete', volume: name });
  }

  /** Renames an inactive volume. */
  rename(name: string, newName: string): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'rename', volume: name, newName });
  }

  /** Grows a volume (an active one is reloaded with the new size). */
  grow(name: string, sizeBytes: number): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'grow', volume: name, sizeBytes });
  }

  /** Reverts an inactive volume to one of its snapshots. */
  revert(name: string, snapshot: string): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'revert', volume: name, snapshot });
  }

  /** Takes the next revision of `name`, keeping the newest `keep` unpinned ones; returns the new revision. */
  async revision(name: string, keep: number): Promise<VolumeInfo> {
    const result = await this.batch([{ item: name, op: 'revision', volume: name, keep }]);
    const v = result.items[0]?.volume;
    if (!v) throw new EngineError('NO_SUCH_VOLUME', `revision of ${name} is gone`);
    return v;
  }

  /** Pins or unpins a volume (a revision) against rotation. */
  pin(name: string, pinned = true): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'pin', volume: name, pinned });
  }

  /**
   * Sets (or, with null, clears) the delete mark of volume `name`: a catalog transaction, no
   * kernel change, allowed on an active volume. Idempotent (an equal mark changes nothing).
   * Crash: like every transaction, the mark is in the catalog after the commit, or not at all.
   * On a pool under a cluster lock (a writer token above 0) the mark is stamped with the token
   * and written only by a current owner (see `markOwner`).
   * @throws EngineError NO_SUCH_VOLUME, INVALID_ARGUMENT (a malformed mark), STALE_OWNER
   */
  async markDelete(name: string, mark: DeleteMark | null): Promise<VolumeInfo> {
    const owner = await this.markOwner(name, mark);
    return this.single({ item: name, op: 'mark-delete', volume: name, mark, ...(owner === null ? {} : { owner: owner.token, ownerCluster: owner.clusterId }) });
  }

  /**
   * Sets (or, with null, clears) the job mark of volume `name` (a flatten's or a merge's place
   * in the pool, `VolumeRecord.job`): a catalog transaction, no kernel change, allowed on an
   * active volume. Idempotent (an equal mark changes nothing). Crash: in the catalog after the
   * commit, or not at all. Owner checks and stamping as for `markDelete`.
   * @throws EngineError NO_SUCH_VOLUME, INVALID_ARGUMENT (a malformed mark), STALE_OWNER
   */
  async markJob(name: string, mark: JobMark | null): Promise<VolumeInfo> {
    const owner = await this.markOwner(name, mark);
    return this.single({ item: name, op: 'mark-job', volume: name, mark, ...(owner === null ? {} : { owner: owner.token, ownerCluster: owner.clusterId }) });
  }

  /**
   * Detaches volume `name` from its external origin: a catalog transaction (op `detach-origin`)
   * setting its external origin to null; an active volume's table is then reloaded without the
   * origin (load, then resume: the kernel suspends it for the swap). Precondition, not checked:
   * every origin block the volume shows is mapped in it (a finished flattenChunk pass);
   * unmapped blocks read zeros afterwards. Crash story: before the commit the catalog still
   * names the origin and the volume reads the same; after it, activation builds the table
   * without the origin and reloads an active device still showing the old table (start-up
   * adopts active devices with reloadIfDifferent). A reload that fails after the commit is thrown
   * here with the catalog already changed; activating the volume again reloads it.
   * @throws EngineError NO_SUCH_VOLUME; INVALID_ARGUMENT naming `volume` when it has no external
   *   origin (nothing changed)
   */
  detachExternalOrigin(name: string): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'detach-origin', volume: name });
  }

  /**
   * The grant token (decimal) and lock space a delete or job mark of volume `name` is written under,
   * after checking the writer is the mark's current owner; null on a standalone pool.
   * @throws EngineError STALE_OWNER
   */
  protected abstract markOwner(name: string, mark: DeleteMark | JobMark | null): Promise<{ readonly token: string; readonly clusterId: string } | null>;
}
