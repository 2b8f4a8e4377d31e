/**
 * Pool.diffVolumes and the lineage rule (volume-diff.ts) on the simulated kernel: the classes of
 * thin_delta (different, left_only, right_only) against a block-level model of which data block
 * each volume maps, for seeded writes, overwrites and discards on a volume and its snapshots,
 * active and inactive.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lineageRoot, sameLineage, type Engine, type Pool, type VolumeDiffRange } from '@thinfleet/engine';
import { rng } from '../../../test/support/seeded.mjs';
import { EngineTestHost, pattern, SMALL_CATALOG } from './support/engine-test-host.js';

const MiB = 1024 * 1024;
/** The pools' data block size (the engine's default). */
const BLOCK = MiB / 16;
const BLOCKS = 64;

let host: EngineTestHost;
let engine: Engine;

beforeEach(async () => ({ host, engine } = await EngineTestHost.open().then((h) => ({ host: h, engine: h.engine() }))));
afterEach(() => host.teardown());

/** Which "data block" each virtual block maps (a token per write), per volume. */
type Model = Map<number, number>;

/** The model's diff of `b` against `a`, as merged byte ranges over `blocks` blocks. */
function modelDiff(a: Model, b: Model, blocks: number): VolumeDiffRange[] {
  const out: Array<{ offsetBytes: number; lengthBytes: number; kind: VolumeDiffRange['kind'] }> = [];
  for (let i = 0; i < blocks; i++) {
    const inA = a.has(i);
    const inB = b.has(i);
    const kind = inA && inB ? (a.get(i) === b.get(i) ? null : 'different') : inA ? 'left_only' : inB ? 'right_only' : null;
    if (kind === null) continue;
    const last = out.at(-1);
    if (last !== undefined && last.kind === kind && last.offsetBytes + last.lengthBytes === i * BLOCK) last.lengthBytes += BLOCK;
    else out.push({ offsetBytes: i * BLOCK, lengthBytes: BLOCK, kind });
  }
  return out;
}

/** Seeded writes (whole or partial blocks, new or over mapped ones) and whole-block discards into `name`, recorded in `model`. */
async function churn(pool: Pool, name: string, model: Model, seed: number, steps: number, token: { next: number }): Promise<void> {
  const random = rng(seed);
  for (let s = 0; s < steps; s++) {
    const block = Math.floor(random() * BLOCKS);
    const roll = random();
    if (roll < 0.2) {
      await host.block.discard((await pool.show(name)).devicePath!, block * BLOCK, BLOCK);
      model.delete(block);
    } else {
      const length = roll < 0.6 ? BLOCK : 4096;
      await pool.writeVolume(name, block * BLOCK, pattern(seed * 1000 + s, length));
      model.set(block, token.next++);
    }
  }
}

describe('Pool.diffVolumes', () => {
  it('classes ranges as a block-level model does, for a chain of snapshots and siblings, active or not', async () => {
    const pool = await engine.createPool({ name: host.poolName(), devices: await host.devices(1), ...SMALL_CATALOG });
    await pool.createVolume('vm', BLOCKS * BLOCK, { activate: true });
    const token = { next: 1 };
    const vm: Model = new Map();
    await churn(pool, 'vm', vm, 1, 60, token);
    await pool.snapshot('vm', 's1');
    const s1 = new Map(vm);
    await churn(pool, 'vm', vm, 2, 40, token);
    await pool.snapshot('vm', 's2');
    const s2 = new Map(vm);
    await churn(pool, 'vm', vm, 3, 40, token);

    const check = async (a: string, b: string, ma: Model, mb: Model): Promise<void> => {
      const diff = await pool.diffVolumes(a, b);
      expect(diff.blockBytes).toBe(BLOCK);
      expect(diff.sizeBytes).toBe(BLOCKS * BLOCK);
      expect(diff.ranges).toEqual(modelDiff(ma, mb, BLOCKS));
    };
    await check('s1', 's2', s1, s2);
    await check('s2', 's1', s2, s1);
    await check('s1', 'vm', s1, vm);
    await check('s2', 'vm', s2, vm);
    await check('vm', 'vm', vm, vm);
    expect((await pool.diffVolumes('s1', 's2')).ranges.map((r) => r.kind)).toEqual(expect.arrayContaining(['different']));
    // Inactive right side, active left side: the same answer.
    await pool.deactivateVolume('vm');
    await check('s1', 'vm', s1, vm);
    // A page from a byte offset: the ranges from that block on.
    const all = modelDiff(s1, vm, BLOCKS);
    const from = all[Math.floor(all.length / 2)]!.offsetBytes;
    expect((await pool.diffVolumes('s1', 'vm', from)).ranges).toEqual(all.filter((r) => r.offsetBytes >= from));
  });

  it('covers the larger size: blocks the grown newer volume maps past the older one are right_only', async () => {
    const pool = await engine.createPool({ name: host.poolName(), devices: await host.devices(1), ...SMALL_CATALOG });
    await pool.createVolume('vm', 4 * BLOCK, { activate: true });
    await pool.snapshot('vm', 'old');
    await pool.grow('vm', 8 * BLOCK);
    await pool.activateVolume('vm');
    await pool.writeVolume('vm', 6 * BLOCK, pattern(5, BLOCK));
    const diff = await pool.diffVolumes('old', 'vm');
    expect(diff.sizeBytes).toBe(8 * BLOCK);
    expect(diff.ranges).toEqual([{ offsetBytes: 6 * BLOCK, lengthBytes: BLOCK, kind: 'right_only' }]);
  });

  it('refuses a missing volume with NO_SUCH_VOLUME', async () => {
    const pool = await engine.createPool({ name: host.poolName(), devices: await host.devices(1), ...SMALL_CATALOG });
    await pool.createVolume('vm', 4 * BLOCK);
    await expect(pool.diffVolumes('vm', 'nope')).rejects.toMatchObject({ code: 'NO_SUCH_VOLUME' });
  });
});

describe('lineageRoot and sameLineage', () => {
  const volumes = [
    { name: 'base', origin: null },
    { name: 's1', origin: 'base' },
    { name: 's2', origin: 's1' },
    { name: 'sib', origin: 'base' },
    { name: 'other', origin: null },
    { name: 'orphan', origin: 'gone' },
    { name: 'loop-a', origin: 'loop-b' },
    { name: 'loop-b', origin: 'loop-a' },
  ];
  it('follows recorded origins to the root', () => {
    expect(lineageRoot(volumes, 's2')).toBe('base');
    expect(lineageRoot(volumes, 'orphan')).toBe('orphan');
    expect(lineageRoot(volumes, 'missing')).toBeNull();
    expect(lineageRoot(volumes, 'loop-a')).not.toBeNull();
  });
  it('says chains and siblings are one lineage, unrelated volumes not', () => {
    expect(sameLineage(volumes, 'base', 's2')).toBe(true);
    expect(sameLineage(volumes, 's2', 'sib')).toBe(true);
    expect(sameLineage(volumes, 's1', 'other')).toBe(false);
    expect(sameLineage(volumes, 's1', 'missing')).toBe(false);
  });
});
