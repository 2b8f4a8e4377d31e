/**
 * The simulated dm-thin pool: thin devices as maps from virtual block to data block, data
 * blocks shared between snapshots by reference count, the 64-bit transaction id, one metadata
 * snapshot, and the kernel's modes and errors. Every change is committed to the metadata device
 * before the call returns (the kernel commits on each message and on FLUSH/FUA, and thinfleet
 * writes with O_DSYNC), so a crash between two calls finds exactly the committed state.
 */
import { DmError } from '../dm-error.js';
import { SECTOR_BYTES } from '../units.js';
import { METADATA_BLOCK_BYTES } from '../targets/thin-pool-status.js';
import type { ThinPoolFeatures } from '../targets/target.js';
import { MAX_THIN_ID } from '../thin-id.js';
import { payloadCapacityBytes, readPoolMetadata, writePoolMetadata, type MetadataDeviceIo } from './sim-pool-format.js';

/** Block-level access to the pool's data device. */
export interface DataDeviceIo {
  read(offsetBytes: number, lengthBytes: number): Promise<Buffer>;
  write(offsetBytes: number, data: Buffer): Promise<void>;
}

type Mapping = Map<number, number>;

interface PoolState {
  dataBlockSectors: number;
  dataBlocks: number;
  transactionId: bigint;
  devices: Map<number, Mapping>;
  held: HeldState | null;
}

/** The state a metadata snapshot froze at reserve_metadata_snap. */
interface HeldState {
  root: number;
  devices: Map<number, Mapping>;
  transactionId: bigint;
  dataBlockSectors: number;
  dataBlocks: number;
}

/**
 * What a metadata snapshot holds: each thin id with its block mappings (virtual block → data
 * block), and the pool's transaction id and data geometry when it was reserved.
 */
export interface SimMetadataSnapshot {
  /** The held root the pool status reports for this snapshot. */
  readonly root: number;
  readonly devices: ReadonlyMap<number, ReadonlyMap<number, number>>;
  /** The pool's transaction id at reserve time. */
  readonly transactionId: bigint;
  /** The pool's data block size, in 512-byte sectors. */
  readonly dataBlockSectors: number;
  /** The pool's data size in data blocks at reserve time. */
  readonly dataBlocks: number;
}

/** The kernel caps usable metadata at this many 4 KiB blocks (about 15.9 GiB). */
const MAX_METADATA_BLOCKS = 255 * ((1 << 14) - 64);

function encode(state: PoolState): Buffer {
  const devs = (m: Map<number, Mapping>): Array<[number, number[]]> => [...m].map(([id, map]) => [id, [...map].flat()]);
  return Buffer.from(
    JSON.stringify({
      v: 1,
      bs: state.dataBlockSectors,
      blocks: state.dataBlocks,
      tx: state.transactionId.toString(),
      devs: devs(state.devices),
      held: state.held && {
        root: state.held.root,
        devs: devs(state.held.devices),
        tx: state.held.transactionId.toString(),
        bs: state.held.dataBlockSectors,
        blocks: state.held.dataBlocks,
      },
    }),
  );
}

function decode(payload: Buffer): PoolState {
  const raw = JSON.parse(payload.toString('utf8')) as {
    v: number;
    bs: number;
    blocks: number;
    tx: string;
    devs: Array<[number, number[]]>;
    // tx, bs and blocks of a held snapshot were added later in version 1: a snapshot reserved
    // before lacks them and takes the pool's current values.
    held: { root: number; devs: Array<[number, number[]]>; tx?: string; bs?: number; blocks?: number } | null;
  };
  if (raw.v !== 1) throw new DmError('EINVAL', 'thin-pool metadata', undefined, `unknown sim format ${raw.v}`);
  const devs = (list: Array<[number, number[]]>): Map<number, Mapping> =>
    new Map(
      list.map(([id, flat]) => {
        const m: Mapping = new Map();
        for (let i = 0; i < flat.length; i += 2) m.set(flat[i]!, flat[i + 1]!);
        return [id, m];
      }),
    );
  return {
    dataBlockSectors: raw.bs,
    dataBlocks: raw.blocks,
    transactionId: BigInt(raw.tx),
    devices: devs(raw.devs),
    held: raw.held && {
      root: raw.held.root,
      devices: devs(raw.held.devs),
      transactionId: BigInt(raw.held.tx ?? raw.tx),
      dataBlockSectors: raw.held.bs ?? raw.bs,
      dataBlocks: raw.held.blocks ?? raw.blocks,
    },
  };
}

/** Reads the thin ids and mappings held by a metadata snapshot, as a reader of the device would. */
export async function readSimMetadataSnapshot(io: MetadataDeviceIo): Promise<SimMetadataSnapshot | null> {
  const stored = await readPoolMetadata(io);
  if (stored === null) return null;
  const state = decode(stored.payload);
  return state.held && snapshotOf(state.held);
}

function snapshotOf(held: HeldState): SimMetadataSnapshot {
  return {
    root: held.root,
    devices: held.devices,
    transactionId: held.transactionId,
    dataBlockSectors: held.dataBlockSectors,
    dataBlocks: held.dataBlocks,
  };
}

export type SimPoolMode = 'rw' | 'ro' | 'out_of_data_space' | 'fail';

export class SimThinPool {
  private mode: SimPoolMode;
  private lowWaterTriggered = false;
  private readonly refcounts = new Map<number, number>();
  private nextFreeHint = 0;
  private spaceWaiters: Array<() => void> = [];
  private outOfMetadataSpace = false;

  private constructor(
    private readonly metadata: MetadataDeviceIo,
    private readonly data: DataDeviceIo,
    private state: PoolState,
    private seq: number,
    public features: ThinPoolFeatures,
    public lowWaterMarkBlocks: number,
    /** Called when the pool raises a dm event (low water mark, mode change). */
    private readonly raiseEvent: () => void,
  ) {
    this.mode = features.readOnly ? 'ro' : 'rw';
    this.rebuildRefcounts();
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
    let seq: number;
    if (stored === null) {
      state = {
        dataBlockSectors: options.dataBlockSectors,
        dataBlocks: 0,
        transactionId: 0n,
        devices: new Map(),
        held: null,
      };
      await writePoolMetadata(options.metadata, 1, encode(state));
      seq = 1;
    } else {
      state = decode(stored.payload);
      seq = stored.seq;
      if (state.dataBlockSectors !== options.dataBlockSectors) {
        throw new DmError('EINVAL', 'DM_TABLE_LOAD', undefined, `changing the data block size (from ${state.dataBlockSectors} to ${options.dataBlockSectors}) is not supported`);
      }
    }
    return new SimThinPool(options.metadata, options.data, state, seq, options.features, options.lowWaterMarkBlocks, options.raiseEvent);
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

  private rebuildRefcounts(): void {
    this.refcounts.clear();
    for (const map of this.state.devices.values()) {
      for (const db of map.values()) this.refcounts.set(db, (this.refcounts.get(db) ?? 0) + 1);
    }
  }

  private async commit(): Promise<void> {
    try {
      await writePoolMetadata(this.metadata, this.seq + 1, encode(this.state));
      this.seq += 1;
    } catch (err) {
      // Like the kernel: a failed commit aborts the in-core transaction and the pool drops to
      // read-only; what is on disk stays the last committed state.
      const stored = await readPoolMetadata(this.metadata);
      if (stored !== null) this.state = decode(stored.payload);
      this.rebuildRefcounts();
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
      await this.commit();
      this.lowWaterTriggered = false;
      if (this.mode === 'out_of_data_space') this.setMode('rw');
      this.wakeSpaceWaiters();
    }
  }

  /** The target's status text, formatted as the kernel's pool_status formats it. */
  statusText(metadataSizeBytes: number): string {
    if (this.mode === 'fail') return 'Fail';
    const totalMeta = Math.min(Math.floor(metadataSizeBytes / METADATA_BLOCK_BYTES), MAX_METADATA_BLOCKS);
    const usedMeta = Math.min(totalMeta, 2 + Math.ceil(encode(this.state).length / METADATA_BLOCK_BYTES));
    const held = this.state.held === null ? '-' : String(this.state.held.root);
    const discards = this.features.ignoreDiscard ? 'ignore_discard' : this.features.noDiscardPassdown ? 'no_discard_passdown' : 'discard_passdown';
    const space = this.features.errorIfNoSpace ? 'error_if_no_space' : 'queue_if_no_space';
    const threshold = Math.min(1024, Math.floor(totalMeta / 4));
    return (
      `${this.state.transactionId} ${usedMeta}/${totalMeta} ${this.refcounts.size}/${this.state.dataBlocks} ` +
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
    const invalid = (why: string): never => {
      throw new DmError('EINVAL', 'DM_TARGET_MSG', undefined, why);
    };
    const argc = (n: number): void => {
      if (words.length !== n) invalid(`${words[0]} takes ${n - 1} arguments`);
    };
    const devId = (word: string): number => {
      if (!/^\d+$/.test(word) || Number(word) > MAX_THIN_ID) invalid(`invalid device id ${word}`);
      return Number(word);
    };
    const u64 = (word: string): bigint => {
      if (!/^\d+$/.test(word) || BigInt(word) >= 1n << 64n) invalid(`invalid transaction id ${word}`);
      return BigInt(word);
    };
    const s = this.state;
    switch (words[0]?.toLowerCase()) {
      case 'create_thin': {
        argc(2);
        const id = devId(words[1]!);
        if (s.devices.has(id)) throw new DmError('EEXIST', 'DM_TARGET_MSG', undefined, `thin id ${id} exists`);
        s.devices.set(id, new Map());
        break;
      }
      case 'create_snap': {
        argc(3);
        const id = devId(words[1]!);
        const origin = devId(words[2]!);
        if (s.devices.has(id)) throw new DmError('EEXIST', 'DM_TARGET_MSG', undefined, `thin id ${id} exists`);
        const source = s.devices.get(origin);
        if (source === undefined) {
          throw new DmError('ENODATA', 'DM_TARGET_MSG', undefined, `origin thin id ${origin} does not exist`);
        }
        s.devices.set(id, new Map(source));
        for (const db of source.values()) this.refcounts.set(db, (this.refcounts.get(db) ?? 0) + 1);
        break;
      }
      case 'delete': {
        argc(2);
        const id = devId(words[1]!);
        const map = s.devices.get(id);
        if (map === undefined) throw new DmError('ENODATA', 'DM_TARGET_MSG', undefined, `thin id ${id} does not exist`);
        if (isOpen(id)) throw new DmError('EBUSY', 'DM_TARGET_MSG', undefined, `thin id ${id} is open`);
        s.devices.delete(id);
        for (const db of map.values()) this.release(db);
        break;
      }
      case 'set_transaction_id': {
        argc(3);
        const current = u64(words[1]!);
        const next = u64(words[2]!);
        if (current !== s.transactionId) {
          invalid(`attempt to set transaction id from ${current} to ${next}, but current is ${s.transactionId}`);
        }
        s.transactionId = next;
        break;
      }
      case 'reserve_metadata_snap': {
        argc(1);
        if (s.held !== null) throw new DmError('EBUSY', 'DM_TARGET_MSG', undefined, 'metadata snapshot already held');
        const copy = new Map([...s.devices].map(([id, m]) => [id, new Map(m)] as const));
        s.held = {
          root: this.seq + 2,
          devices: copy,
          transactionId: s.transactionId,
          dataBlockSectors: s.dataBlockSectors,
          dataBlocks: s.dataBlocks,
        };
        break;
      }
      case 'release_metadata_snap': {
        argc(1);
        if (s.held === null) invalid('no pool metadata snapshot found: nothing to release');
        s.held = null;
        break;
      }
      default:
        invalid(`unrecognised thin pool message ${words[0]}`);
    }
    await this.commit();
    return '';
  }

  private release(db: number): void {
    const n = (this.refcounts.get(db) ?? 0) - 1;
    if (n > 0) this.refcounts.set(db, n);
    else {
      this.refcounts.delete(db);
      if (db < this.nextFreeHint) this.nextFreeHint = db;
    }
  }

  /** Allocates a free data block, or waits for space / fails as the no-space policy says. */
  private async allocate(): Promise<number> {
    for (;;) {
      if (this.mode === 'ro' || this.mode === 'fail') {
        throw new DmError('EIO', 'write', undefined, 'pool is read-only');
      }
      for (let db = this.nextFreeHint; db < this.state.dataBlocks; db++) {
        if (!this.refcounts.has(db)) {
          // As the kernel: the low water mark is checked against the free count before this
          // allocation, so the event comes once fewer than the mark are left.
          const free = this.state.dataBlocks - this.refcounts.size;
          if (!this.lowWaterTriggered && free <= this.lowWaterMarkBlocks) {
            this.lowWaterTriggered = true;
            this.raiseEvent();
          }
          this.refcounts.set(db, 1);
          this.nextFreeHint = db + 1;
          return db;
        }
      }
      this.nextFreeHint = 0;
      if (this.refcounts.size < this.state.dataBlocks) continue;
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
      if (db !== undefined && this.refcounts.get(db) === 1) {
        await this.data.write(db * bb + inner, chunk);
      } else {
        const fresh = await this.allocate();
        const whole = n === bb ? Buffer.from(chunk) : await this.fillForWrite(map, vb, fresh, origin);
        if (n !== bb) chunk.copy(whole, inner);
        await this.data.write(fresh * bb, whole);
        if (db !== undefined) this.release(db);
        map.set(vb, fresh);
      }
      pos += n;
    }
    await this.commit();
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
      this.release(db);
    }
    await this.commit();
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

/** Reads of an external origin, zero-padded past its end. */
export interface ExternalOriginIo {
  readPadded(offsetBytes: number, lengthBytes: number): Promise<Buffer>;
}
