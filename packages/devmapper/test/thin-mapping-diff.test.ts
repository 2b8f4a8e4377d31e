/** diffMappingRuns (thin-mapping-diff.ts) against a block-by-block comparison of the same mappings. */
import { describe, expect, it } from 'vitest';
import { diffMappingRuns, type ThinDiffRange } from '../src/thin-metadata/thin-mapping-diff.js';
import { runsOfMapping } from '../src/thin-metadata/thin-mapping-runs.js';

/** The ranges where two mappings differ, block by block, merged: the model. */
function model(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>, blocks: number): ThinDiffRange[] {
  const out: Array<{ virtualBlock: number; blocks: number; kind: ThinDiffRange['kind'] }> = [];
  for (let v = 0; v < blocks; v++) {
    const [x, y] = [a.get(v), b.get(v)];
    const kind = x === undefined ? (y === undefined ? null : 'right_only') : y === undefined ? 'left_only' : x === y ? null : 'different';
    if (kind === null) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.kind === kind && last.virtualBlock + last.blocks === v) last.blocks++;
    else out.push({ virtualBlock: v, blocks: 1, kind });
  }
  return out;
}

/** A small seeded generator (mulberry32). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('diffMappingRuns', () => {
  it('finds nothing between a device and its untouched snapshot, and each kind of difference after writes', () => {
    const origin = new Map([
      [0, 10],
      [1, 11],
      [2, 12],
      [5, 20],
    ]);
    expect(diffMappingRuns(runsOfMapping(origin, 0, 8), runsOfMapping(new Map(origin), 0, 8))).toEqual([]);
    const snap = new Map(origin);
    snap.set(1, 30); // rewritten after the snapshot
    snap.delete(5); // discarded
    snap.set(6, 31); // newly written
    snap.set(7, 32);
    expect(diffMappingRuns(runsOfMapping(origin, 0, 8), runsOfMapping(snap, 0, 8))).toEqual([
      { virtualBlock: 1, blocks: 1, kind: 'different' },
      { virtualBlock: 5, blocks: 1, kind: 'left_only' },
      { virtualBlock: 6, blocks: 2, kind: 'right_only' },
    ]);
  });

  it('agrees with a block-by-block comparison on random mappings of one lineage', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = seeded(seed);
      const blocks = 1 + Math.floor(random() * 64);
      const a = new Map<number, number>();
      let next = 0;
      for (let v = 0; v < blocks; v++) if (random() < 0.6) a.set(v, random() < 0.8 ? next++ : 1000 + v);
      const b = new Map(a);
      for (let v = 0; v < blocks; v++) {
        const r = random();
        if (r < 0.15) b.set(v, 5000 + v);
        else if (r < 0.25) b.delete(v);
      }
      expect(diffMappingRuns(runsOfMapping(a, 0, blocks), runsOfMapping(b, 0, blocks)), `seed ${seed}`).toEqual(model(a, b, blocks));
    }
  });
});
