/**
 * The simulated dm-thin pool: thin devices as maps from virtual block to data block, data
 * blocks shared between snapshots by reference count, the 64-bit transaction id, one metadata
 * snapshot, and the kernel's modes and errors. Every change is committed to the metadata device
 * before the call returns (the kernel commits on each message and on FLUSH/FUA, and thinfleet
 * writes with O_DSYNC), so a crash between two calls finds exactly the committed state.
 *
 * The state and its encoding are in sim-pool-state.ts, the messages in sim-pool-messages.ts,
 * the data blocks' reference counts in sim-data-block-refs.ts; this class holds them together
 * with the pool's mode, its commits and the thin devices' I/O.
 */
import { DmError } from '../dm-error.js';
import { SECTOR_BYTES } from '../units.js';
import { METADATA_BLOCK_BYTES } from '../targets/thin-pool-status.js';
import type { ThinPoolFeatures } from '../targets/target.js';
import { DataBlockRefs } from './sim-data-block-refs.js';
import { appendPoolLog, payloadCapacityBytes, readPoolMetadata, storedBytes, writePoolBase, type MetadataDeviceIo, type PoolMetadataPlace } from './sim-pool-format.js';
import { applyPoolMessage } from './sim-pool-messages.js';
import { encodePoolRecord, encodePoolState, loadPoolState, snapshotOf, type Mapping, type PoolChange, type PoolState, type SimMetadataSnapshot } from './sim-pool-state.js';

/** Block-level access to the pool's data device. */
export interface DataDeviceIo {
  read(offsetBytes: number, lengthBytes: number): Promise<Buffer>;
  write(offsetBytes: number, data: Buffer): Promise<void>;
}

/** The kernel caps usable metadata at this many 4 KiB blocks (about 15.9 GiB). */
const MAX_METADATA_BLOCKS = 255 * ((1 << 14) - 64);

/** The pool's mode, as its status reports it: read-write, read-only, out of data space, or failed. */
export type SimPoolMode = 'rw' | 'ro' | 'out_of_data_space' | 'fail';

/** One open pool: the object every table naming its metadata device shares (see SimKernel.poolFor). */
export class SimThinPool {
  private mode: SimPoolMode;
  private lowWaterTriggered = false;
  private readonly refs = new DataBlockRefs();
  private spaceWaiters: Array<() => void> = [];
  private outOfMetadataSpace = false;

  private constructor(
    private readonly metadata: MetadataDeviceIo,
    private readonly data: DataDeviceIo,
    private state: PoolState,
    /** Where the committed state lies on the metadata device (sim-pool-format.ts). */
    private place: PoolMetadataPlace,
    public features: ThinPoolFeatures,
    public lowWaterMarkBlocks: number,
    /** Called when the pool raises a dm event (low water mark, mode change). */
    private readonly raiseEvent: () => void,
  ) {
    this.mode = features.readOnly ? 'ro' : 'rw';
    this.refs.rebuild(this.state.devices.values());
  }

  /**
   * Opens the pool on its metadata device, formatting it if it is all zeroes (as the kernel
   * does). EILSEQ for corrupt metadata, EINVAL for a data block size that differs from the one
   * the metadata was made with.
   */
  static async open(options: {
    metadata: MetadataDeviceIo;
    data: DataDeviceIo;
    dataBlockSectors: number;
    features: ThinPoolFeatures;
    lowWaterMarkBlocks: number;
    raiseEvent: () => void;
  }): Promise<SimThinPool> {
    const stored = await readPoolMetadata(options.metadata);
    let state: PoolState;
    let place: PoolMetadataPlace;
    if (stored === null) {
      state = {
        dataBlockSectors: options.dataBlockSectors,
        dataBlocks: 0,
        transactionId: 0n,
        devices: new Map(),
        held: null,
      };
      place = await writePoolBase(options.metadata, null, encodePoolState(state));
    } else {
      state = loadPoolState(stored);
      place = stored.place;
      if (state.dataBlockSectors !== options.dataBlockSectors) {
        throw new DmError('EINVAL', 'DM_TABLE_LOAD', undefined, `changing the data block size (from ${state.dataBlockSectors} to ${options.dataBlockSectors}) is not supported`);
      }
    }
    return new SimThinPool(options.metadata, options.data, state, place, options.features, options.lowWaterMarkBlocks, options.raiseEvent);
  }

  /**
   * Binds a (re)loaded pool table to this pool object at resume, as the kernel's
   * bind_control_target does: the table's features and low water mark take effect.
   */
  bind(features: ThinPoolFeatures, lowWaterMarkBlocks: number): void {
    this.features = features;
    this.lowWaterMarkBlocks = lowWaterMarkBlocks;
    if (features.readOnly) this.setMode('ro');
    else if (this.mode === 'ro' && !this.outOfMetadataSpace) this.setMode('rw');
    // The kernel's pool_resume requeues the bios that waited for space (requeue_bios): each is
    // tried again under the table now live, so error_if_no_space turned on fails them at once.
    this.wakeSpaceWaiters();
  }

  /** Lets every write waiting for data space try again (it waits again if there is still none). */
  private wakeSpaceWaiters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const wake of waiters) wake();
  }

  get dataBlockSectors(): number {
    return this.state.dataBlockSectors;
  }

  private get blockBytes(): number {
    return this.state.dataBlockSectors * SECTOR_BYTES;
  }

  /**
   * Commits the state after `change` (the devices it touched, the metadata snapshot it reserved
   * or released): as one log record, or, when the log is full, as a whole new base. Its cost
   * follows the change, not the number of devices (sim-pool-format.ts).
   */
  private async commit(change: PoolChange): Promise<void> {
    try {
      const appended = await appendPoolLog(this.metadata, this.place, encodePoolRecord(this.state, change));
      this.place = appended ?? (await writePoolBase(this.metadata, this.place, encodePoolState(this.state)));
    } catch (err) {
      // Like the kernel: a failed commit aborts the in-core transaction and the pool drops to
      // read-only; what is on disk stays the last committed state.
      const stored = await readPoolMetadata(this.metadata);
      if (stored !== null) {
        this.state = loadPoolState(stored);
        this.place = stored.place;
      }
      this.refs.rebuild(this.state.devices.values());
      if ((err as DmError).code === 'ENOSPC') this.outOfMetadataSpace = true;
      this.setMode('ro');
      throw err;
    }
  }

  private setMode(mode: SimPoolMode): void {
    if (this.mode !== mode) {
      this.mode = mode;
      this.raiseEvent();
    }
  }

  /**
   * The pool target's preresume: the table length sets the data size. Smaller than the
   * committed size is EINVAL; larger grows the pool and ends out-of-data-space mode.
   */
  async resizeData(tableLengthSectors: number): Promise<void> {
    const blocks = Math.floor(tableLengthSectors / this.state.dataBlockSectors);
    if (blocks < this.state.dataBlocks) {
      throw new DmError('EINVAL', 'DM_DEV_SUSPEND', undefined, `pool target (${blocks} blocks) too small: expected ${this.state.dataBlocks}`);
    }
    if (blocks > this.state.dataBlocks) {
      this.state.dataBlocks = blocks;
      await this.commit(NO_DEVICES);
      this.lowWaterTriggered = false;
      if (this.mode === 'out_of_data_space') this.setMode('rw');
      this.wakeSpaceWaiters();
    }
  }

  /** The target's status text, formatted as the kernel's pool_status formats it. */
  statusText(metadataSizeBytes: number): string {
    if (this.mode === 'fail') return 'Fail';
    const totalMeta = Math.min(Math.floor(metadataSizeBytes / METADATA_BLOCK_BYTES), MAX_METADATA_BLOCKS);
    const usedMeta = Math.min(totalMeta, 2 + Math.ceil(storedBytes(this.place) / METADATA_BLOCK_BYTES));
    const held = this.state.held === null ? '-' : String(this.state.held.root);
    const discards = this.features.ignoreDiscard ? 'ignore_discard' : this.features.noDiscardPassdown ? 'no_discard_passdown' : 'discard_passdown';
    const space = this.features.errorIfNoSpace ? 'error_if_no_space' : 'queue_if_no_space';
    const threshold = Math.min(1024, Math.floor(totalMeta / 4));
    return (
      `${this.state.transactionId} ${usedMeta}/${totalMeta} ${this.refs.used}/${this.state.dataBlocks} ` +
      `${held} ${this.mode === 'out_of_data_space' ? 'out_of_data_space' : this.mode} ${discards} ${space} - ${threshold} `
    );
  }

  /** True when thin device `id` exists. */
  hasDevice(id: number): boolean {
    return this.state.devices.has(id);
  }

  /** The thin status text: `<mapped sectors> <highest mapped sector|->`. */
  thinStatusText(id: number): string {
    const map = this.state.devices.get(id);
    if (map === undefined || this.mode === 'fail') return 'Fail';
    const bs = this.state.dataBlockSectors;
    if (map.size === 0) return '0 -';
    let highest = 0;
    for (const vb of map.keys()) highest = Math.max(highest, vb);
    return `${map.size * bs} ${(highest + 1) * bs - 1}`;
  }

  /**
   * Handles a pool message. `isOpen(id)` says whether a thin target has the id open.
   * Errors are the kernel's: EOPNOTSUPP (read-only or failed pool), EINVAL (bad message,
   * transaction id mismatch, nothing to release), EEXIST, ENODATA, EBUSY.
   */
  async message(words: readonly string[], isOpen: (id: number) => boolean): Promise<string> {
    if (this.mode === 'ro' || this.mode === 'fail') {
      throw new DmError('EOPNOTSUPP', 'DM_TARGET_MSG', undefined, 'pool is read-only or failed');
    }
    applyPoolMessage(words, { state: this.state, refs: this.refs, heldRoot: this.place.seq + 2, isOpen });
    await this.commit(messageChange(words));
    return '';
  }

  /** Allocates a free data block, or waits for space / fails as the no-space policy says. */
  private async allocate(): Promise<number> {
    for (;;) {
      if (this.mode === 'ro' || this.mode === 'fail') {
        throw new DmError('EIO', 'write', undefined, 'pool is read-only');
      }
      const db = this.refs.findFree(this.state.dataBlocks);
      if (db !== null) {
        // As the kernel: the low water mark is checked against the free count before this
        // allocation, so the event comes once fewer than the mark are left.
        const free = this.state.dataBlocks - this.refs.used;
        if (!this.lowWaterTriggered && free <= this.lowWaterMarkBlocks) {
          this.lowWaterTriggered = true;
          this.raiseEvent();
        }
        this.refs.take(db);
        return db;
      }
      if (this.refs.used < this.state.dataBlocks) continue;
      this.setMode('out_of_data_space');
      if (this.features.errorIfNoSpace) {
        throw new DmError('ENOSPC', 'write', undefined, 'thin pool is out of data space');
      }
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
  }

  private async readBlock(map: Mapping | undefined, vb: number, origin: ExternalOriginIo | undefined): Promise<Buffer> {
    const db = map?.get(vb);
    if (db !== undefined) return this.data.read(db * this.blockBytes, this.blockBytes);
    if (origin !== undefined) return origin.readPadded(vb * this.blockBytes, this.blockBytes);
    return Buffer.alloc(this.blockBytes);
  }

  /** Reads `lengthBytes` of thin device `id` at `offsetBytes`. */
  async readThin(id: number, offsetBytes: number, lengthBytes: number, origin?: ExternalOriginIo): Promise<Buffer> {
    const map = this.state.devices.get(id);
    const out = Buffer.alloc(lengthBytes);
    const bb = this.blockBytes;
    for (let pos = offsetBytes; pos < offsetBytes + lengthBytes;) {
      const vb = Math.floor(pos / bb);
      const inner = pos - vb * bb;
      const n = Math.min(bb - inner, offsetBytes + lengthBytes - pos);
      const block = await this.readBlock(map, vb, origin);
      block.copy(out, pos - offsetBytes, inner, inner + n);
      pos += n;
    }
    return out;
  }

  /**
   * Writes to thin device `id`: provisions unmapped blocks (filled from the external origin or
   * zeroes), breaks sharing of snapshot blocks by copying them first, then commits.
   */
  async writeThin(id: number, offsetBytes: number, data: Buffer, origin?: ExternalOriginIo): Promise<void> {
    if (this.mode === 'ro' || this.mode === 'fail') throw new DmError('EIO', 'write', undefined, 'pool is read-only');
    const bb = this.blockBytes;
    for (let pos = offsetBytes; pos < offsetBytes + data.length;) {
      const map = this.state.devices.get(id);
      if (map === undefined) throw new DmError('EIO', 'write', undefined, `thin id ${id} was deleted`);
      const vb = Math.floor(pos / bb);
      const inner = pos - vb * bb;
      const n = Math.min(bb - inner, offsetBytes + data.length - pos);
      const chunk = data.subarray(pos - offsetBytes, pos - offsetBytes + n);
      const db = map.get(vb);
      if (db !== undefined && this.refs.isExclusive(db)) {
        await this.data.write(db * bb + inner, chunk);
      } else {
        const fresh = await this.allocate();
        const whole = n === bb ? Buffer.from(chunk) : await this.fillForWrite(map, vb, fresh, origin);
        if (n !== bb) chunk.copy(whole, inner);
        await this.data.write(fresh * bb, whole);
        if (db !== undefined) this.refs.release(db);
        map.set(vb, fresh);
      }
      pos += n;
    }
    await this.commit({ devices: new Set([id]), held: 'kept' });
  }

  /** What the rest of a block holds when a write covers only part of it. */
  private async fillForWrite(map: Mapping, vb: number, fresh: number, origin: ExternalOriginIo | undefined): Promise<Buffer> {
    if (map.has(vb) || origin !== undefined) return this.readBlock(map, vb, origin);
    // skip_block_zeroing leaves whatever the data block held before; zeroing is the default.
    if (this.features.skipBlockZeroing) return this.data.read(fresh * this.blockBytes, this.blockBytes);
    return Buffer.alloc(this.blockBytes);
  }

  /** Discards whole blocks of thin device `id` in the byte range (partial blocks are kept). */
  async discardThin(id: number, offsetBytes: number, lengthBytes: number): Promise<void> {
    if (this.features.ignoreDiscard) return;
    const map = this.state.devices.get(id);
    if (map === undefined) return;
    const bb = this.blockBytes;
    const first = Math.ceil(offsetBytes / bb);
    const end = Math.floor((offsetBytes + lengthBytes) / bb);
    for (let vb = first; vb < end; vb++) {
      const db = map.get(vb);
      if (db === undefined) continue;
      map.delete(vb);
      this.refs.release(db);
    }
    await this.commit({ devices: new Set([id]), held: 'kept' });
  }

  /** The pool's current metadata snapshot, if held (for tests that compare with a reader). */
  heldSnapshot(): SimMetadataSnapshot | null {
    return this.state.held && snapshotOf(this.state.held);
  }

  /** Capacity check used by tests: the payload bytes a metadata device of this size holds. */
  static metadataCapacityBytes(metadataSizeBytes: number): number {
    return payloadCapacityBytes(metadataSizeBytes);
  }

  /** True once a commit failed for lack of metadata space. */
  get metadataFull(): boolean {
    return this.outOfMetadataSpace;
  }
}

const NO_DEVICES: PoolChange = { devices: new Set(), held: 'kept' };

/** What a pool message that succeeded changed (sim-pool-messages.ts): the thin id it names, or the held snapshot. */
function messageChange(words: readonly string[]): PoolChange {
  switch (words[0]?.toLowerCase()) {
    case 'create_thin':
    case 'create_snap':
    case 'delete':
      return { devices: new Set([Number(words[1])]), held: 'kept' };
    case 'reserve_metadata_snap':
      return { devices: new Set(), held: 'reserved' };
    case 'release_metadata_snap':
      return { devices: new Set(), held: 'released' };
    default:
      return NO_DEVICES;
  }
}

/** Reads of an external origin, zero-padded past its end. */
export interface ExternalOriginIo {
  readPadded(offsetBytes: number, lengthBytes: number): Promise<Buffer>;
}
