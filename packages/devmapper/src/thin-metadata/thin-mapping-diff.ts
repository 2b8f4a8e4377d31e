/**
 * Where two thin devices of one pool differ, from their block mappings alone (no data is read):
 * the ranges of virtual blocks that map to different data blocks, or that one device maps and
 * the other does not. Two devices of one lineage (a volume and its snapshot, two snapshots of one
 * volume) share every data block neither has written since the snapshot, so the ranges are the
 * blocks written on either side since then: what an incremental backup must carry. Devices of
 * different lineages differ wherever either maps anything. The classes follow thin_delta's
 * (`different`, `left_only`, `right_only`; `same` ranges are left out).
 */
import type { ThinMappingRun } from './thin-mapping-runs.js';

/** How a range of virtual blocks differs between device A (left) and device B (right). */
export type ThinDiffKind = 'different' | 'left_only' | 'right_only';

/** `blocks` consecutive virtual blocks from `virtualBlock` that differ in the same way. */
export interface ThinDiffRange {
  readonly virtualBlock: number;
  readonly blocks: number;
  readonly kind: ThinDiffKind;
}

/** A cursor over ascending runs: the mapping of each virtual block in turn. */
class RunCursor {
  private index = 0;

  constructor(private readonly runs: readonly ThinMappingRun[]) {}

  /** The run covering `block` or the next one after it (null when none is left). */
  at(block: number): ThinMappingRun | null {
    while (this.index < this.runs.length) {
      const run = this.runs[this.index]!;
      if (run.virtualBlock + run.blocks > block) return run;
      this.index++;
    }
    return null;
  }
}

/**
 * The ranges where `left` and `right` (each ascending, non-overlapping runs of one device's
 * mappings, as DmClient.readThinMappings returns them) differ, ascending and merged: adjacent
 * blocks of the same kind form one range. Pure; linear in the number of runs plus ranges.
 */
export function diffMappingRuns(left: readonly ThinMappingRun[], right: readonly ThinMappingRun[]): ThinDiffRange[] {
  const a = new RunCursor(left);
  const b = new RunCursor(right);
  const out: Array<{ virtualBlock: number; blocks: number; kind: ThinDiffKind }> = [];
  const emit = (virtualBlock: number, blocks: number, kind: ThinDiffKind): void => {
    const last = out[out.length - 1];
    if (last !== undefined && last.kind === kind && last.virtualBlock + last.blocks === virtualBlock) last.blocks += blocks;
    else out.push({ virtualBlock, blocks, kind });
  };
  let block = 0;
  for (;;) {
    const ra = a.at(block);
    const rb = b.at(block);
    if (ra === null && rb === null) break;
    // Skip to the first block either side maps.
    const startA = ra === null ? Infinity : Math.max(ra.virtualBlock, block);
    const startB = rb === null ? Infinity : Math.max(rb.virtualBlock, block);
    block = Math.min(startA, startB);
    const inA = ra !== null && startA === block;
    const inB = rb !== null && startB === block;
    // The stretch from `block` where neither side's state changes.
    const endA = inA ? ra.virtualBlock + ra.blocks : startA;
    const endB = inB ? rb.virtualBlock + rb.blocks : startB;
    const end = Math.min(endA, endB);
    const length = end - block;
    if (inA && inB) {
      const sameBlocks = ra.dataBlock - ra.virtualBlock === rb.dataBlock - rb.virtualBlock;
      if (!sameBlocks) emit(block, length, 'different');
    } else emit(block, length, inA ? 'left_only' : 'right_only');
    block = end;
  }
  return out;
}
