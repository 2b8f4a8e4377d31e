/** The planner and the catalog reducer, without any kernel. */
import { describe, expect, it } from 'vitest';
import { catalogIndex, computeLayout, initialCatalogState, isEngineError, kernelEffects, reduceCatalog, type BatchItem, type CatalogState, type PlannedOp } from '@thinfleet/engine';
import { planBatch } from '../src/plan.js';

const MiB = 1024 * 1024;

function state(): CatalogState {
  const layout = computeLayout({ deviceSizesBytes: [1024 * MiB] });
  return initialCatalogState({ uuid: 'pool-uuid', name: 'p', createdAtMs: 0, layout, deviceSizesBytes: [1024 * MiB], maxVolumeBytes: 2 ** 40, lowWaterMarkBlocks: 0 });
}

let n = 0;
function plan(s: CatalogState, items: BatchItem[], active: Record<string, number> = {}) {
  return planBatch(items, {
    state: s,
    nowMs: 1000,
    newUuid: () => `u${++n}`,
    activeDevice: (uuid) => (uuid in active ? { name: `dev-${active[uuid]}` } : undefined),
    externalOriginSizes: new Map([['/dev/base', 10 * MiB + 512]]),
  });
}

function commit(s: CatalogState, ops: readonly PlannedOp[]): CatalogState {
  const tx = String(BigInt(s.committedTx) + 1n);
  reduceCatalog(s, { t: 'intent', intent: { tx, ops } });
  return reduceCatalog(s, { t: 'commit', tx });
}

describe('planBatch', () => {
  it('plans creates and snapshots with lowest-free ids and kernel effects in order, creates before deletes', () => {
    const s = state();
    commit(
      s,
      plan(s, [
        { item: '1', op: 'create', volume: 'a', sizeBytes: MiB },
        { item: '2', op: 'create', volume: 'b', sizeBytes: MiB },
      ]).ops,
    );
    const p = plan(s, [
      { item: 'd', op: 'delete', volume: 'a' },
      { item: 's', op: 'snapshot', volume: 's', origin: 'b' },
      { item: 'e', op: 'create-external', volume: 'e', externalOrigin: '/dev/base' },
    ]);
    expect(kernelEffects(p.ops)).toEqual({
      creates: [
        [2, 1],
        [3, null],
      ],
      deletes: [0],
    });
    const e = p.ops[2];
    expect(e?.kind === 'create' && e.volume.sizeBytes).toBe(10 * MiB + 64 * 1024);
  });

  it('records what must be suspended, deactivated, activated and reloaded', () => {
    const s = state();
    commit(
      s,
      plan(s, [
        { item: '1', op: 'create', volume: 'a', sizeBytes: MiB },
        { item: '2', op: 'create', volume: 'b', sizeBytes: MiB },
      ]).ops,
    );
    const uuidOf = (name: string) => Object.values(s.volumes).find((v) => v.name === name)!.uuid;
    const [a, b] = [uuidOf('a'), uuidOf('b')];
    const p = plan(
      s,
      [
        { item: 's', op: 'snapshot', volume: 's', origin: 'a', activate: true },
        { item: 'g', op: 'grow', volume: 'a', sizeBytes: 2 * MiB },
        { item: 'd', op: 'delete', volume: 'b' },
      ],
      { [a]: 0, [b]: 0 },
    );
    expect(p.suspend).toEqual([a]);
    expect(p.reload).toEqual([a]);
    expect(p.deactivate).toEqual([{ uuid: b, item: 'd' }]);
    expect(p.activate).toHaveLength(1);
    expect(() => plan(s, [{ item: 'r', op: 'rename', volume: 'b', newName: 'c' }], { [b]: 0 })).toThrow(/active/);
  });

  it('rotates the oldest unpinned revisions and names them in order', () => {
    const s = state();
    commit(s, plan(s, [{ item: '1', op: 'create', volume: 'vm', sizeBytes: MiB }]).ops);
    for (let i = 0; i < 3; i++) commit(s, plan(s, [{ item: 'r', op: 'revision', volume: 'vm', keep: 2 }]).ops);
    const names = () =>
      Object.values(s.volumes)
        .map((v) => v.name)
        .sort();
    expect(names()).toEqual(['vm', 'vm.rev2', 'vm.rev3']);
    const p = plan(s, [{ item: 'r', op: 'revision', volume: 'vm', keep: 2 }]);
    expect(p.ops.map((o) => o.kind)).toEqual(['snapshot', 'delete']);
  });

  it('names the bad item and changes nothing', () => {
    const s = state();
    const before = JSON.stringify(s);
    try {
      plan(s, [
        { item: 'ok', op: 'create', volume: 'a', sizeBytes: MiB },
        { item: 'bad', op: 'grow', volume: 'zzz', sizeBytes: MiB },
      ]);
      expect.unreachable();
    } catch (err) {
      expect(isEngineError(err, 'NO_SUCH_VOLUME') && err.item).toBe('bad');
    }
    expect(JSON.stringify(s)).toBe(before);
  });
});

describe('reduceCatalog', () => {
  it('applies ops only on the commit of the pending tx, and drops them on abort', () => {
    const s = state();
    const p = plan(s, [{ item: '1', op: 'create', volume: 'a', sizeBytes: MiB }]);
    reduceCatalog(s, { t: 'intent', intent: { tx: '1', ops: p.ops } });
    expect(Object.keys(s.volumes)).toHaveLength(0);
    reduceCatalog(s, { t: 'commit', tx: '2' });
    expect(s.pending).not.toBeNull();
    reduceCatalog(s, { t: 'abort', tx: '1' });
    expect(s.pending).toBeNull();
    expect(s.committedTx).toBe('0');
    commit(s, p.ops);
    expect(s.committedTx).toBe('1');
    expect(Object.values(s.volumes)[0]).toMatchObject({ name: 'a', thinId: 0, sizeBytes: MiB });
  });

  it("appends an extend record's extent and replaces the settings; refuses a record type it does not know", () => {
    const s = state();
    const blocks = s.pool.layout.dataBlocks;
    reduceCatalog(s, { t: 'extend', extent: { deviceIndex: 1, offsetBytes: MiB, lengthBytes: 64 * MiB }, deviceSizeBytes: 65 * MiB, lowWaterMarkBlocks: 99 });
    expect(s.pool.layout.data.at(-1)).toEqual({ deviceIndex: 1, offsetBytes: MiB, lengthBytes: 64 * MiB });
    expect(s.pool.layout.dataBlocks).toBe(blocks + (64 * MiB) / s.pool.layout.dataBlockBytes);
    expect(s.pool.deviceSizesBytes).toEqual([1024 * MiB, 65 * MiB]);
    expect(s.pool.lowWaterMarkBlocks).toBe(99);
    // More of the same device: its recorded size stays.
    reduceCatalog(s, { t: 'extend', extent: { deviceIndex: 1, offsetBytes: 65 * MiB, lengthBytes: MiB }, deviceSizeBytes: 80 * MiB, lowWaterMarkBlocks: 100 });
    expect(s.pool.deviceSizesBytes).toEqual([1024 * MiB, 65 * MiB]);
    expect(s.pool.noSpaceMode).toBeUndefined();
    reduceCatalog(s, { t: 'pool-settings', noSpaceMode: 'error' });
    expect(s.pool.noSpaceMode).toBe('error');
    expect(() => reduceCatalog(s, { t: 'resize-metadata' } as never)).toThrow(/unknown type "resize-metadata".*newer thinfleet/);
  });

  it('clears origin and revision links when their volume goes', () => {
    const s = state();
    commit(s, plan(s, [{ item: '1', op: 'create', volume: 'a', sizeBytes: MiB }]).ops);
    commit(s, plan(s, [{ item: '2', op: 'revision', volume: 'a', keep: 3 }]).ops);
    commit(s, plan(s, [{ item: '3', op: 'delete', volume: 'a' }]).ops);
    expect(Object.values(s.volumes)).toEqual([expect.objectContaining({ name: 'a.rev1', originUuid: null, revisionOf: null })]);
  });
});

describe("the catalog's index", () => {
  it('keeps the provisioned bytes and the lowest free thin id in step with the volumes through creates, snapshots, reverts, grows, renames and deletes', () => {
    const s = state();
    const fresh = (): { provisionedBytes: number; freeThinIdFrom: number; thinIds: number[] } => {
      const copy: CatalogState = JSON.parse(JSON.stringify(s)) as CatalogState; // no index yet: built from the volumes
      const i = catalogIndex(copy);
      return { provisionedBytes: i.provisionedBytes, freeThinIdFrom: i.freeThinIdFrom, thinIds: [...i.thinIds].sort((a, b) => a - b) };
    };
    const kept = (): ReturnType<typeof fresh> => {
      const i = catalogIndex(s);
      return { provisionedBytes: i.provisionedBytes, freeThinIdFrom: i.freeThinIdFrom, thinIds: [...i.thinIds].sort((a, b) => a - b) };
    };
    const steps: BatchItem[][] = [
      Array.from({ length: 6 }, (_, k) => ({ item: `c${k}`, op: 'create', volume: `v${k}`, sizeBytes: (k + 1) * MiB })),
      [{ item: 'd', op: 'delete', volume: 'v1' }],
      [{ item: 's', op: 'snapshot', origin: 'v2', volume: 's2' }],
      [{ item: 'g', op: 'grow', volume: 'v3', sizeBytes: 40 * MiB }],
      [{ item: 'r', op: 'rename', volume: 'v4', newName: 'w4' }],
      [{ item: 'rv', op: 'revert', volume: 'v2', snapshot: 's2' }],
      [
        { item: 'd0', op: 'delete', volume: 'v0' },
        { item: 'c9', op: 'create', volume: 'v9', sizeBytes: MiB },
      ],
      [{ item: 'c10', op: 'create', volume: 'v10', sizeBytes: MiB }],
    ];
    for (const items of steps) {
      commit(s, plan(s, items).ops);
      expect(kept()).toEqual(fresh());
    }
    expect(catalogIndex(s).freeThinIdFrom).toBe(Math.min(...Array.from({ length: 20 }, (_, id) => id).filter((id) => !catalogIndex(s).thinIds.has(id))));
  });
});
