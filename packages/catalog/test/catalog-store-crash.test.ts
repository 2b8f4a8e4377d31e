/**
 * Crashes at every sector boundary of every write the store issues: after a restart the
 * reopened state is exactly the state before the interrupted operation or exactly the state
 * after it, never anything else, and the store keeps working from there.
 */
import { describe, expect, it } from 'vitest';
import { CatalogStore, encodeCheckpoint, encodeJournalRecord, MemoryCatalogDevice, SimulatedCrash, type CatalogLayout } from '@thinfleet/catalog';
import { applied, cloneDevice, deviceFor, emptyState, KiB, layout, optionsFor, prng, put, type KvRecord, type KvState } from './catalog-test-kit.js';

interface Base {
  readonly name: string;
  readonly l: CatalogLayout;
  readonly every?: number;
  readonly device: MemoryCatalogDevice;
  readonly state: KvState;
  readonly seq: number;
  readonly generation: number;
  /** The base already ends in a torn frame (which an append that lands nothing leaves in place). */
  readonly tornTail: boolean;
}

async function open(device: MemoryCatalogDevice, l: CatalogLayout, every?: number): Promise<CatalogStore<KvState, KvRecord>> {
  return CatalogStore.open(optionsFor(device, l, every));
}

/** Bases to crash from: a fresh journal, stale older-generation frames past the tail, and a torn tail. */
async function bases(): Promise<Base[]> {
  const out: Base[] = [];
  const l = layout(64, 128);

  const freshDevice = deviceFor(l);
  const fresh = await CatalogStore.create(optionsFor(freshDevice, l), emptyState());
  for (let n = 1; n <= 3; n++) await fresh.append(put(n, 200));
  out.push({ name: 'fresh journal', l, device: freshDevice, state: fresh.state, seq: fresh.seq, generation: fresh.generation, tornTail: false });

  const staleDevice = deviceFor(l);
  const stale = await CatalogStore.create(optionsFor(staleDevice, l), emptyState());
  for (let n = 1; n <= 12; n++) await stale.append(put(n, 900));
  await stale.checkpoint();
  await stale.append(put(13, 50));
  out.push({ name: 'stale frames past the tail', l, device: staleDevice, state: stale.state, seq: stale.seq, generation: stale.generation, tornTail: false });

  const tornDevice = deviceFor(l);
  const torn = await CatalogStore.create(optionsFor(tornDevice, l), emptyState());
  await torn.append(put(1));
  tornDevice.failWritesAfter(0, 5);
  await expect(torn.append(put(2, 8 * KiB))).rejects.toBeInstanceOf(SimulatedCrash);
  tornDevice.restart();
  const reopened = await open(tornDevice, l);
  expect(reopened.loadReport.tornTail).toBe(true);
  out.push({ name: 'over a torn tail', l, device: tornDevice, state: reopened.state, seq: reopened.seq, generation: reopened.generation, tornTail: true });
  return out;
}

/** Reopens after a crash; checks the state is `before` or `after` and that work continues. */
async function expectBeforeOrAfter(
  device: MemoryCatalogDevice,
  l: CatalogLayout,
  every: number | undefined,
  before: { state: KvState; seq: number },
  after: { state: KvState; seq: number },
): Promise<'before' | 'after'> {
  device.restart();
  const store = await open(device, l, every);
  const outcome = store.seq === after.seq ? 'after' : 'before';
  expect(store.state).toEqual(outcome === 'after' ? after.state : before.state);
  expect(store.seq).toBe(outcome === 'after' ? after.seq : before.seq);
  const next = put(999, 300);
  await store.append(next);
  const again = await open(device, l, every);
  expect(again.state).toEqual(applied(outcome === 'after' ? after.state : before.state, next));
  expect(again.loadReport.tornTail).toBe(false);
  return outcome;
}

describe('crash during append', () => {
  it('at every sector boundary of the frame write, for small and multi-sector records', async () => {
    for (const base of await bases()) {
      for (const textBytes of [10, 3000]) {
        const record = put(100, textBytes);
        const sectors = encodeJournalRecord({ generation: base.generation, seq: base.seq + 1, record }).length / 512;
        expect(sectors).toBe(textBytes === 10 ? 1 : 7);
        const before = { state: base.state, seq: base.seq };
        const after = { state: applied(base.state, record), seq: base.seq + 1 };
        for (let k = 0; k <= sectors; k++) {
          const device = cloneDevice(base.device);
          const store = await open(device, base.l);
          device.failWritesAfter(0, k);
          await expect(store.append(record), `${base.name}, ${k}/${sectors}`).rejects.toBeInstanceOf(SimulatedCrash);
          device.restart();
          const report = (await open(device, base.l)).loadReport;
          expect(report.tornTail, `${base.name}, ${k}/${sectors}`).toBe(k === 0 ? base.tornTail : k < sectors);
          const outcome = await expectBeforeOrAfter(device, base.l, undefined, before, after);
          expect(outcome, `${base.name}, ${k}/${sectors}`).toBe(k === sectors ? 'after' : 'before');
        }
      }
    }
  });

  it('at every sector of both writes of an append that checkpoints first', async () => {
    const l = layout(64, 64);
    const base = deviceFor(l);
    const seed = await CatalogStore.create(optionsFor(base, l, 4), emptyState());
    for (let n = 1; n <= 4; n++) await seed.append(put(n, 2000));
    const record = put(5, 2500);
    const checkpointSectors = encodeCheckpoint({ generation: 2, seq: 4, state: seed.state }).length / 512;
    const frameSectors = encodeJournalRecord({ generation: 2, seq: 5, record }).length / 512;
    expect(checkpointSectors).toBeGreaterThan(1);
    const before = { state: seed.state, seq: 4 };
    const after = { state: applied(seed.state, record), seq: 5 };
    const outcomes: string[] = [];
    for (const [write, sectors] of [
      [0, checkpointSectors],
      [1, frameSectors],
    ] as const) {
      for (let k = 0; k <= sectors; k++) {
        const device = cloneDevice(base);
        const store = await open(device, l, 4);
        device.failWritesAfter(write, k);
        await expect(store.append(record)).rejects.toBeInstanceOf(SimulatedCrash);
        device.restart();
        const report = (await open(device, l, 4)).loadReport;
        // A torn checkpoint leaves a readable header of a newer generation: the older slot rules.
        expect(report.usedOlderSlot).toBe(write === 0 && k > 0 && k < sectors);
        expect(report.generation).toBe(write === 0 && k < sectors ? 1 : 2);
        outcomes.push(await expectBeforeOrAfter(device, l, 4, before, after));
      }
    }
    expect(outcomes.filter((o) => o === 'after')).toHaveLength(1);
    expect(outcomes.at(-1)).toBe('after');
  });
});

describe('crash during an append with a writer token', () => {
  it('at every sector boundary: a torn frame is never applied, a whole one keeps its writer (64-byte node and cluster ids)', async () => {
    const l = layout(64, 128);
    const writer = { token: 77n, nodeId: 'h'.repeat(64), clusterId: 'c'.repeat(64) };
    const base = deviceFor(l);
    const seed = await CatalogStore.create({ ...optionsFor(base, l), writer }, emptyState());
    await seed.append(put(1, 200));
    const record = put(2, 3000);
    const sectors = encodeJournalRecord({ generation: 1, seq: 2, record, writer }).length / 512;
    expect(sectors).toBe(7);
    for (let k = 0; k <= sectors; k++) {
      const device = cloneDevice(base);
      const store = await CatalogStore.open({ ...optionsFor(device, l), writer });
      device.failWritesAfter(0, k);
      await expect(store.append(record)).rejects.toBeInstanceOf(SimulatedCrash);
      device.restart();
      const reopened = await CatalogStore.open({ ...optionsFor(device, l), writer });
      expect(reopened.seq, `${k}/${sectors}`).toBe(k === sectors ? 2 : 1);
      expect(reopened.loadReport.tornTail, `${k}/${sectors}`).toBe(k > 0 && k < sectors);
      expect(reopened.loadReport.writers.writers).toMatchObject([{ writer, firstSeq: 1, lastSeq: k === sectors ? 2 : 1 }]);
      await expectBeforeOrAfter(device, l, undefined, { state: seed.state, seq: 1 }, { state: applied(seed.state, record), seq: 2 });
    }
  });
});

describe('crash during checkpoint', () => {
  it('at every sector boundary keeps the previous slot and its journal in force', async () => {
    const l = layout(64, 64);
    for (const priorCheckpoints of [0, 1]) {
      const base = deviceFor(l);
      const seed = await CatalogStore.create(optionsFor(base, l), emptyState());
      for (let n = 1; n <= 3; n++) await seed.append(put(n, 5000));
      for (let i = 0; i < priorCheckpoints; i++) await seed.checkpoint();
      await seed.append(put(4, 100));
      const gen = seed.generation;
      const sectors = encodeCheckpoint({ generation: gen + 1, seq: seed.seq, state: seed.state }).length / 512;
      expect(sectors).toBeGreaterThan(20);
      for (let k = 0; k <= sectors; k++) {
        const device = cloneDevice(base);
        const store = await open(device, l);
        device.failWritesAfter(0, k);
        await expect(store.checkpoint()).rejects.toBeInstanceOf(SimulatedCrash);
        device.restart();
        const reopened = await open(device, l);
        expect(reopened.state).toEqual(seed.state);
        expect(reopened.seq).toBe(seed.seq);
        expect(reopened.generation).toBe(k === sectors ? gen + 1 : gen);
        expect(reopened.loadReport.usedOlderSlot).toBe(k > 0 && k < sectors);
        expect(reopened.loadReport.recordsReplayed).toBe(k === sectors ? 0 : priorCheckpoints === 0 ? 4 : 1);
        const state = { state: seed.state, seq: seed.seq };
        await expectBeforeOrAfter(device, l, undefined, state, state);
      }
    }
  });
});

describe('crash anywhere in a random workload', () => {
  it('recovers exactly the acknowledged records, plus at most the one in flight', async () => {
    const l = layout(64, 64);
    const every = 6;
    for (const seedValue of [1, 2, 3]) {
      const random = prng(seedValue);
      const ops: Array<{ kind: 'append'; record: KvRecord } | { kind: 'checkpoint' }> = [];
      for (let i = 0; i < 40; i++) {
        const roll = random();
        if (roll < 0.1) ops.push({ kind: 'checkpoint' });
        else if (roll < 0.2) ops.push({ kind: 'append', record: { op: 'del', key: `k${i % 7}` } });
        else ops.push({ kind: 'append', record: put(i, Math.floor(random() * 6000)) });
      }
      const base = deviceFor(l);
      await CatalogStore.create(optionsFor(base, l, every), emptyState());

      // A clean run to count the writes.
      const dry = cloneDevice(base);
      const dryStore = await open(dry, l, every);
      const start = dry.writeCount;
      for (const op of ops) await (op.kind === 'append' ? dryStore.append(op.record) : dryStore.checkpoint());
      const totalWrites = dry.writeCount - start;
      expect(totalWrites).toBeGreaterThan(ops.length);

      for (let crashAt = 0; crashAt < totalWrites; crashAt++) {
        const device = cloneDevice(base);
        const store = await open(device, l, every);
        device.failWritesAfter(crashAt, Math.floor(random() * 16));
        const acked: KvRecord[] = [];
        let inFlight: KvRecord | undefined;
        for (const op of ops) {
          try {
            if (op.kind === 'append') {
              inFlight = op.record;
              await store.append(op.record);
              acked.push(op.record);
            } else {
              inFlight = undefined;
              await store.checkpoint();
            }
          } catch (err) {
            expect(err).toBeInstanceOf(SimulatedCrash);
            break;
          }
        }
        expect(device.crashed, `seed ${seedValue} write ${crashAt}`).toBe(true);
        const before = { state: applied(emptyState(), ...acked), seq: acked.length };
        const after = inFlight === undefined ? before : { state: applied(before.state, inFlight), seq: acked.length + 1 };
        await expectBeforeOrAfter(device, l, every, before, after);
      }
    }
  });
});
