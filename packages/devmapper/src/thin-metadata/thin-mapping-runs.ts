/**
 * A thin device's block mappings over a range of its virtual blocks, as runs: what a copy that
 * must skip (or only visit) the blocks a device has written needs, without reading the data.
 * Shared by both clients: the native one walks the kernel's btrees (read-thin-mappings.ts), the
 * simulator reads its own snapshot; both hand their mappings to `MappingRunBuilder`.
 */
import { DmError } from '../dm-error.js';

/**
 * `blocks` consecutive virtual blocks from `virtualBlock` mapped to as many consecutive data
 * blocks from `dataBlock` (all in the pool's data blocks).
 */
export interface ThinMappingRun {
  readonly virtualBlock: number;
  readonly dataBlock: number;
  readonly blocks: number;
}

/** Largest virtual block number a range may reach (dm-thin keys are u64; JavaScript numbers stop at 2^53). */
const MAX_BLOCK = Number.MAX_SAFE_INTEGER;

/**
 * Checks a requested range of virtual blocks.
 * @throws DmError EINVAL naming the field when `fromBlock` or `blockCount` is not a whole
 *   number >= 0 or the range passes 2^53.
 */
export function checkMappingRange(thinId: number, fromBlock: number, blockCount: number): void {
  const bad = (field: string): DmError => new DmError('EINVAL', 'thin mappings', undefined, `${field} must be a whole number >= 0 within 2^53 (thin ${thinId})`);
  if (!Number.isSafeInteger(thinId) || thinId < 0) throw bad('thinId');
  if (!Number.isSafeInteger(fromBlock) || fromBlock < 0) throw bad('fromBlock');
  if (!Number.isSafeInteger(blockCount) || blockCount < 0 || fromBlock + blockCount > MAX_BLOCK) throw bad('blockCount');
}

/** Collects mappings given in ascending virtual block order into maximal runs. */
export class MappingRunBuilder {
  readonly runs: ThinMappingRun[] = [];
  private last: { virtualBlock: number; dataBlock: number; blocks: number } | undefined;

  /** Adds one mapping; virtual blocks must rise from call to call. */
  add(virtualBlock: number, dataBlock: number): void {
    const last = this.last;
    if (last !== undefined && virtualBlock === last.virtualBlock + last.blocks && dataBlock === last.dataBlock + last.blocks) {
      last.blocks += 1;
      return;
    }
    this.last = { virtualBlock, dataBlock, blocks: 1 };
    this.runs.push(this.last);
  }
}

/**
 * The runs of `mapping` (virtual block → data block, any order) inside
 * `[fromBlock, fromBlock + blockCount)`, ascending. For the simulator's snapshot.
 */
export function runsOfMapping(mapping: ReadonlyMap<number, number>, fromBlock: number, blockCount: number): ThinMappingRun[] {
  const end = fromBlock + blockCount;
  const keys: number[] = [];
  if (blockCount < mapping.size) {
    for (let v = fromBlock; v < end; v++) if (mapping.has(v)) keys.push(v);
  } else {
    for (const v of mapping.keys()) if (v >= fromBlock && v < end) keys.push(v);
    keys.sort((a, b) => a - b);
  }
  const builder = new MappingRunBuilder();
  for (const v of keys) builder.add(v, mapping.get(v)!);
  return builder.runs;
}

/** The error for a thin id the held snapshot does not have. */
export function noSuchThin(poolName: string, thinId: number): DmError {
  return new DmError('ENODATA', 'thin mappings', poolName, `the metadata snapshot has no thin id ${thinId}`);
}
