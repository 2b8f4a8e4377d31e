/**
 * The simulated thin pool's committed state (thin devices as maps from virtual block to data
 * block, the transaction id, the data geometry, the held metadata snapshot) and its encoding as
 * the payload sim-pool-format.ts commits to the metadata device. Pure data: no I/O but
 * `readSimMetadataSnapshot`, which only reads.
 */
import { DmError } from '../dm-error.js';
import { readPoolMetadata, type MetadataDeviceIo, type StoredPoolMetadata } from './sim-pool-format.js';

/** One thin device's mappings: virtual block → data block. */
export type Mapping = Map<number, number>;

/** Everything the pool commits. Mutable: the pool changes it in place, then commits it. */
export interface PoolState {
  /** Data block size, in 512-byte sectors; fixed when the metadata is formatted. */
  dataBlockSectors: number;
  /** The pool's data size, in data blocks. */
  dataBlocks: number;
  transactionId: bigint;
  devices: Map<number, Mapping>;
  held: HeldState | null;
}

/** The state a metadata snapshot froze at reserve_metadata_snap. */
export interface HeldState {
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

/** The payload that stands for `state` on the metadata device (version 1, JSON). Pure. */
export function encodePoolState(state: PoolState): Buffer {
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

/**
 * The state a payload of `encodePoolState` stands for. Pure.
 * @throws DmError EINVAL for a payload of another format version
 */
export function decodePoolState(payload: Buffer): PoolState {
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

/**
 * What one commit changed, as its log record says it: the pool's transaction id and data size
 * after it, each thin device it made, changed or deleted (its whole mapping, or null when
 * deleted), and the metadata snapshot it reserved (a copy of every device as they are after
 * the record's devices; so a reserve record stays small) or released.
 */
export interface PoolChange {
  readonly devices: ReadonlySet<number>;
  readonly held: 'kept' | 'reserved' | 'released';
}

/** The log record of `change`, made after it was applied to `state` (version 1, JSON). Pure. */
export function encodePoolRecord(state: PoolState, change: PoolChange): Buffer {
  const devs = [...change.devices].map((id) => {
    const map = state.devices.get(id);
    return [id, map === undefined ? null : [...map].flat()];
  });
  const held = change.held === 'released' ? null : change.held === 'reserved' && state.held !== null ? { root: state.held.root, tx: state.held.transactionId.toString() } : undefined;
  return Buffer.from(JSON.stringify({ v: 1, tx: state.transactionId.toString(), blocks: state.dataBlocks, devs, ...(held === undefined ? {} : { held }) }));
}

/**
 * Applies a record of `encodePoolRecord` to `state` (in place). Pure but for `state`.
 * @throws DmError EINVAL for a record of another format version
 */
export function applyPoolRecord(state: PoolState, record: Buffer): void {
  const raw = JSON.parse(record.toString('utf8')) as { v: number; tx: string; blocks: number; devs: Array<[number, number[] | null]>; held?: { root: number; tx: string } | null };
  if (raw.v !== 1) throw new DmError('EINVAL', 'thin-pool metadata', undefined, `unknown sim log record format ${raw.v}`);
  state.transactionId = BigInt(raw.tx);
  state.dataBlocks = raw.blocks;
  for (const [id, flat] of raw.devs) {
    if (flat === null) {
      state.devices.delete(id);
      continue;
    }
    const m: Mapping = new Map();
    for (let i = 0; i < flat.length; i += 2) m.set(flat[i]!, flat[i + 1]!);
    state.devices.set(id, m);
  }
  if (raw.held === null) state.held = null;
  else if (raw.held !== undefined) {
    state.held = {
      root: raw.held.root,
      devices: new Map([...state.devices].map(([id, m]) => [id, new Map(m)] as const)),
      transactionId: BigInt(raw.held.tx),
      dataBlockSectors: state.dataBlockSectors,
      dataBlocks: state.dataBlocks,
    };
  }
}

/** The state a stored base and its log stand for. @throws DmError EINVAL for an unknown format */
export function loadPoolState(stored: StoredPoolMetadata): PoolState {
  const state = decodePoolState(stored.payload);
  for (const record of stored.log) applyPoolRecord(state, record);
  return state;
}

/** Reads the thin ids and mappings held by a metadata snapshot, as a reader of the device would. */
export async function readSimMetadataSnapshot(io: MetadataDeviceIo): Promise<SimMetadataSnapshot | null> {
  const stored = await readPoolMetadata(io);
  if (stored === null) return null;
  const state = loadPoolState(stored);
  return state.held && snapshotOf(state.held);
}

/** A held state as the read-only snapshot callers see (shares the maps; does not copy). */
export function snapshotOf(held: HeldState): SimMetadataSnapshot {
  return {
    root: held.root,
    devices: held.devices,
    transactionId: held.transactionId,
    dataBlockSectors: held.dataBlockSectors,
    dataBlocks: held.dataBlocks,
  };
}
