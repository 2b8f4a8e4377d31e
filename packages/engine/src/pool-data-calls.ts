/**
 * The data-path calls of a Pool: reading and writing a volume's bytes, and what background jobs
 * read or copy under the pool's mutex (flatten steps, copy windows, diffs). None is a catalog
 * change. Pool supplies the core and the mutex.
 */
import { quoted } from '@thinfleet/units';
import type { VolumeRecord } from './catalog-state.js';
import { EngineError } from './engine-error.js';
import { volumeByName, type PoolCore } from './pool-core.js';
import { readCopyWindow, type CopyWindowRead } from './pool-copy-reader.js';
import { copyFlattenChunk, planFlattenChunk, removeFlattenHelper, type FlattenChunkResult } from './pool-flatten.js';
import { activeVolumeDevices } from './pool-volume-devices.js';
import { SingleVolumeCalls } from './single-volume-calls.js';
import { checkVolumeRange, volumeInactive } from './volume-data.js';
import { diffVolumeRecords, type VolumeDiff } from './volume-diff.js';

/** Pool's data-path calls, over the core, mutex and lookups Pool provides. */
export abstract class PoolDataCalls extends SingleVolumeCalls {
  /** The pool's shared parts (Pool's). */
  protected abstract readonly core: PoolCore;
  /** The pool's name. */
  abstract get name(): string;
  /** Throws POOL_INACTIVE once the pool is closed. */
  protected abstract requireOpen(): void;
  /** Runs `fn` under the pool mutex on an open pool (reads). */
  protected abstract underMutex<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` under the pool mutex, after any pending recovery. */
  protected abstract exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** The volume called `name`. @throws EngineError NO_SUCH_VOLUME */
  protected abstract find(name: string): VolumeRecord;

  /**
   * Where volume `right` differs from volume `left` (null: from an empty volume, i.e. what
   * `right` maps), from byte `fromBytes` on, over at most `lengthBytes` (volume-diff.ts: both mappings under one metadata
   * snapshot; the lineage check is the caller's). Either may be active or inactive. Writes
   * nothing; runs under the pool mutex.
   * @throws EngineError NO_SUCH_VOLUME; DmError EBUSY when another holds the metadata snapshot
   */
  async diffVolumes(left: string | null, right: string, fromBytes = 0, lengthBytes = Infinity): Promise<VolumeDiff> {
    return this.underMutex(async () => diffVolumeRecords(this.core, left === null ? null : this.find(left), this.find(right), fromBytes, lengthBytes));
  }

  /**
   * Reads `lengthBytes` of volume `name`'s content from `offsetBytes` (see volume-data.ts: both
   * sector-aligned, at most MAX_VOLUME_IO_BYTES). The volume must be active; the read itself
   * runs outside the pool mutex, as a VM's would.
   * @throws EngineError NO_SUCH_VOLUME, VOLUME_INACTIVE, INVALID_ARGUMENT (the range)
   */
  async readVolume(name: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    const path = await this.ioPath(name, offsetBytes, lengthBytes);
    return this.core.block.read(path, offsetBytes, lengthBytes);
  }

  /**
   * Writes `data` into volume `name` at `offsetBytes`, durably once it resolves (see
   * volume-data.ts for the range rules and the crash story). Not a catalog change.
   * @throws EngineError NO_SUCH_VOLUME, VOLUME_INACTIVE, INVALID_ARGUMENT (the range), POOL_FENCED
   */
  async writeVolume(name: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    const path = await this.ioPath(name, offsetBytes, data.length);
    await this.core.block.write(path, offsetBytes, data);
  }

  private ioPath(name: string, offsetBytes: number, lengthBytes: number): Promise<string> {
    return this.underMutex(async () => {
      const v = this.find(name);
      checkVolumeRange(v, offsetBytes, lengthBytes);
      const dev = (await activeVolumeDevices(this.core)).get(v.uuid);
      if (dev === undefined) throw volumeInactive(v, this.name);
      return this.core.dm.devicePath(dev.name);
    });
  }

  /**
   * Copies the external origin's content of every unmapped data block overlapping
   * `[offsetBytes, offsetBytes + lengthBytes)` into volume `name`, which may be active, open and
   * written meanwhile (pool-flatten.ts has the critical section, why no write of the volume's user
   * is overwritten, and the crash story). Idempotent: a copied block is mapped, so a second call
   * copies nothing. Not a catalog change. The origin is read outside the pool's mutex, the rest
   * runs under it; an active volume is suspended for the mapping read and the copy only.
   * @throws EngineError NO_SUCH_VOLUME; INVALID_ARGUMENT naming `volume` (no external origin),
   *   `offsetBytes` or `lengthBytes`, nothing changed; DEADLINE_EXCEEDED, KERNEL_FAILED, POOL_FENCED
   */
  async flattenChunk(name: string, offsetBytes: number, lengthBytes: number): Promise<FlattenChunkResult> {
    this.requireOpen();
    const early = await planFlattenChunk(this.core, this.find(name), offsetBytes, lengthBytes);
    if (early.blocks.size === 0) return { copiedBytes: 0, pauseMs: 0 };
    return this.exclusive(async () => {
      const v = this.find(name);
      const same = v.uuid === early.volume.uuid && v.thinId === early.volume.thinId && v.sizeBytes === early.volume.sizeBytes && v.externalOrigin === early.volume.externalOrigin;
      return copyFlattenChunk(this.core, same ? early : await planFlattenChunk(this.core, v, offsetBytes, lengthBytes));
    });
  }

  /**
   * Removes the helper device flattenChunk copies through for volume `name`, if there is one.
   * Idempotent; a volume that is gone has nothing to remove. Call when a flatten ends.
   */
  async removeFlattenHelper(name: string): Promise<void> {
    return this.exclusive(async () => {
      const v = volumeByName(this.core, name);
      if (v !== undefined) await removeFlattenHelper(this.core, v);
    });
  }

  /**
   * Reads one window of the volume with catalog uuid `uuid` for a sparse copy (pool-copy-reader.ts):
   * its mapped ranges and their bytes, or with `whole` the whole window as its device shows it.
   * An inactive volume is read through a helper device made and removed within the call. Runs
   * under the pool's mutex; reads only.
   * @throws EngineError NO_SUCH_VOLUME (no volume has the uuid); INVALID_ARGUMENT naming
   *   `offsetBytes` or `lengthBytes`; the kernel's and the block device's errors
   */
  async readCopyWindow(uuid: string, offsetBytes: number, lengthBytes: number, whole: boolean): Promise<CopyWindowRead> {
    return this.exclusive(async () => {
      const volumes = this.core.catalog.state.volumes;
      const v = typeof uuid === 'string' && Object.hasOwn(volumes, uuid) ? volumes[uuid] : undefined;
      if (v === undefined) throw new EngineError('NO_SUCH_VOLUME', `no volume with uuid ${quoted(uuid)} in pool ${this.name}`);
      return readCopyWindow(this.core, v, offsetBytes, lengthBytes, whole);
    });
  }
}
