import { describe, expect, it } from 'vitest';
import {
  CatalogStore,
  CHECKPOINT_FORMAT_VERSION,
  crc32,
  encodeCheckpoint,
  encodeJournalRecord,
  isCatalogError,
  MemoryCatalogDevice,
  SimulatedCrash,
  type CatalogErrorCode,
  type CatalogLayout,
} from '@thinfleet/catalog';
import { applied, clone, cloneDevice, deviceFor, emptyState, KiB, layout, noise, optionsFor, put, type KvRecord, type KvState } from './catalog-test-kit.js';

const slotAt = (l: CatalogLayout, slot: 0 | 1): number => l.offsetBytes + slot * l.slotBytes;
const journalAt = (l: CatalogLayout): number => l.offsetBytes + 2 * l.slotBytes;

async function rejectsWith(promise: Promise<unknown>, code: CatalogErrorCode): Promise<void> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCatalogError(err, code), `expected CatalogError ${code}, got ${String(err)}`).toBe(true);
}

async function fresh(checkpointEveryRecords?: number, l = layout()) {
  const device = deviceFor(l);
  const options = optionsFor(device, l, checkpointEveryRecords);
  const store = await CatalogStore.create(options, emptyState());
  return { device, l, options, store };
}

describe('CatalogStore basics', () => {
  it('creates and reopens: generation 1, seq 0, the initial state', async () => {
    const initial: KvState = { entries: { a: { n: 1, text: 't' } }, applied: 0, order: [] };
    const l = layout();
    const device = deviceFor(l);
    const created = await CatalogStore.create(optionsFor(device, l), initial);
    expect(created.state).toEqual(initial);
    expect(created.state).not.toBe(initial);
    expect(created.loadReport).toEqual({
      checkpointSlot: 0,
      generation: 1,
      checkpointSeq: 0,
      recordsReplayed: 0,
      tornTail: false,
      usedOlderSlot: false,
      lostNewerRecords: false,
      writers: expect.anything(),
    });
    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.state).toEqual(initial);
    expect([opened.seq, opened.generation]).toEqual([0, 1]);
    expect(opened.loadReport).toEqual(created.loadReport);
  });

  it('replays appended records in order on open', async () => {
    const { device, l, store } = await fresh();
    const records = Array.from({ length: 10 }, (_, i) => put(i + 1, 20));
    for (const r of records) await store.append(r);
    const model = applied(emptyState(), ...records);
    expect(store.state).toEqual(model);
    expect(store.seq).toBe(10);
    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.state).toEqual(model);
    expect(opened.seq).toBe(10);
    expect(opened.loadReport).toMatchObject({ generation: 1, recordsReplayed: 10, tornTail: false, usedOlderSlot: false, lostNewerRecords: false, writers: expect.anything() });
  });

  it('applies the record as decoded from its frame, not the caller object', async () => {
    const l = layout();
    const device = deviceFor(l);
    const options = { device, layout: l, reduce: (s: unknown[], r: unknown) => (s.push(r), s) };
    const store = await CatalogStore.create<unknown[], unknown>(options, []);
    const record = { a: 1, gone: undefined, when: new Date(0) };
    await store.append(record);
    record.a = 2;
    expect(store.state).toEqual([{ a: 1, when: '1970-01-01T00:00:00.000Z' }]);
    expect((await CatalogStore.open(options)).state).toEqual(store.state);
  });

  it('writes a 150 KB record with exactly one device write', async () => {
    const { device, store } = await fresh(undefined, layout(64, 1024));
    const before = device.writeCount;
    await store.append(put(1, 150 * KiB));
    expect(device.writeCount - before).toBe(1);
    expect(store.sizeInfo().journalUsedBytes).toBe(encodeJournalRecord({ generation: 1, seq: 1, record: put(1, 150 * KiB) }).length);
  });

  it('serializes concurrent appends and checkpoints in call order', async () => {
    const { device, l, store } = await fresh(7);
    const records = Array.from({ length: 30 }, (_, i) => put(i + 1, 300));
    await Promise.all(records.flatMap((r, i) => (i === 12 ? [store.checkpoint(), store.append(r)] : [store.append(r)])));
    expect(store.state.order).toEqual(records.map((r) => (r.op === 'put' ? r.n : 0)));
    expect(store.seq).toBe(30);
    expect((await CatalogStore.open(optionsFor(device, l))).state).toEqual(store.state);
  });

  it('create over an old catalog never replays its frames, even if a crash interrupts it', async () => {
    const l = layout();
    const old = deviceFor(l);
    const previous = await CatalogStore.create(optionsFor(old, l), emptyState());
    for (let n = 1; n <= 6; n++) await previous.append(put(n));
    await previous.checkpoint();
    await previous.append(put(7));

    const device = cloneDevice(old);
    const store = await CatalogStore.create(optionsFor(device, l), emptyState());
    await store.append(put(1)); // same frame size as the old records: old seq 2 would follow it
    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.state).toEqual(applied(emptyState(), put(1)));
    expect(opened.loadReport).toMatchObject({ generation: 1, recordsReplayed: 1, tornTail: false });

    const writes = device.writeCount - 1;
    expect(writes).toBe(4);
    for (let crashAt = 0; crashAt < writes; crashAt++) {
      for (const torn of [0, 1]) {
        const crashed = cloneDevice(old);
        crashed.failWritesAfter(crashAt, torn);
        await expect(CatalogStore.create(optionsFor(crashed, l), { entries: {}, applied: 0, order: [42] })).rejects.toBeInstanceOf(SimulatedCrash);
        crashed.restart();
        const result = await CatalogStore.open(optionsFor(crashed, l)).catch((e: unknown) => e);
        const outcome =
          result instanceof CatalogStore
            ? JSON.stringify(result.state) === JSON.stringify(previous.state)
              ? 'old'
              : (expect(result.state).toEqual({ entries: {}, applied: 0, order: [42] }), 'new')
            : (expect(isCatalogError(result, 'NO_CATALOG'), String(result)).toBe(true), 'none');
        // Until both slot headers are zeroed the old catalog may survive whole; after, never.
        if (crashAt >= 2) expect(outcome, `write ${crashAt} torn ${torn}`).not.toBe('old');
        if (crashAt === writes - 1 && torn === 0) expect(outcome).toBe('none');
      }
    }
  });

  it('rejects bad options', async () => {
    const l = layout();
    const device = deviceFor(l);
    await expect(CatalogStore.create(optionsFor(device, l, 0), emptyState())).rejects.toThrow(RangeError);
    await rejectsWith(CatalogStore.create(optionsFor(device, { ...l, journalBytes: 1000 }), emptyState()), 'BAD_LAYOUT');
    await rejectsWith(CatalogStore.open(optionsFor(device, { ...l, slotBytes: 4096 })), 'BAD_LAYOUT');
  });
});

describe('CatalogStore checkpoints', () => {
  it('alternates slots, bumps the generation, and restarts the journal', async () => {
    const { device, l, store } = await fresh();
    await store.append(put(1));
    await store.append(put(2));
    await store.checkpoint();
    expect([store.generation, store.seq, store.sizeInfo().journalUsedBytes]).toEqual([2, 2, 0]);
    let opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.loadReport).toMatchObject({ checkpointSlot: 1, generation: 2, checkpointSeq: 2, recordsReplayed: 0 });
    expect(opened.state).toEqual(store.state);

    await opened.append(put(3));
    await opened.checkpoint();
    await opened.append(put(4));
    const reopened = await CatalogStore.open(optionsFor(device, l));
    // Gen 3 has one record at the journal start; gen 2's stale frame lies after it.
    expect(reopened.loadReport).toEqual({
      checkpointSlot: 0,
      generation: 3,
      checkpointSeq: 3,
      recordsReplayed: 1,
      tornTail: false,
      usedOlderSlot: false,
      lostNewerRecords: false,
      writers: expect.anything(),
    });
    expect(reopened.state).toEqual(applied(emptyState(), put(1), put(2), put(3), put(4)));
    opened = reopened;
    await opened.checkpoint();
    expect((await CatalogStore.open(optionsFor(device, l))).loadReport).toMatchObject({ checkpointSlot: 1, generation: 4, checkpointSeq: 4 });
  });

  it('checkpoints before the record that would exceed checkpointEveryRecords', async () => {
    const { device, l, store } = await fresh(4);
    const records = Array.from({ length: 9 }, (_, i) => put(i + 1));
    const generations: number[] = [];
    for (const r of records) {
      await store.append(r);
      generations.push(store.generation);
    }
    expect(generations).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3]);
    expect(store.sizeInfo()).toMatchObject({ recordsSinceCheckpoint: 1, checkpointEveryRecords: 4 });
    const opened = await CatalogStore.open(optionsFor(device, l, 4));
    expect(opened.state).toEqual(applied(emptyState(), ...records));
    expect(opened.loadReport).toMatchObject({ generation: 3, checkpointSeq: 8, recordsReplayed: 1 });
  });

  it('checkpoints when the journal lacks room for the next frame', async () => {
    const { device, l, store } = await fresh();
    const records = Array.from({ length: 20 }, (_, i) => put(i + 1, 6 * KiB));
    const frameBytes = encodeJournalRecord({ generation: 1, seq: 1, record: records[0] }).length;
    const perJournal = Math.floor(l.journalBytes / frameBytes);
    for (const r of records) {
      await store.append(r);
      expect(store.sizeInfo().journalUsedBytes).toBeLessThanOrEqual(l.journalBytes);
    }
    expect(perJournal).toBe(9);
    expect(store.generation).toBe(Math.ceil(records.length / perJournal));
    const info = store.sizeInfo();
    expect(info.journalUsedBytes + info.journalFreeBytes).toBe(l.journalBytes);
    expect((await CatalogStore.open(optionsFor(device, l))).state).toEqual(applied(emptyState(), ...records));
  });

  it('throws FULL for a record larger than the journal, writing nothing', async () => {
    const { device, store } = await fresh();
    const before = device.writeCount;
    await rejectsWith(store.append(put(1, 70 * KiB)), 'FULL');
    expect(device.writeCount).toBe(before);
    await store.append(put(2));
    expect(store.seq).toBe(1);
  });

  it('throws FULL when the state outgrows a slot, and from create for a too-big initial state', async () => {
    const { device, store } = await fresh(5, layout(64, 128));
    const big = (n: number): KvRecord => ({ op: 'put', key: `big${n}`, n, text: noise(n, 18 * KiB) });
    for (let n = 1; n <= 5; n++) await store.append(big(n));
    const before = device.writeCount;
    await rejectsWith(store.checkpoint(), 'FULL');
    await rejectsWith(store.append(big(6)), 'FULL');
    expect(device.writeCount).toBe(before);
    expect(store.seq).toBe(5);

    const l = layout();
    const empty = deviceFor(l);
    const huge: KvState = { entries: { a: { n: 1, text: noise(1, 90 * KiB) } }, applied: 0, order: [] };
    await rejectsWith(CatalogStore.create(optionsFor(empty, l), huge), 'FULL');
    expect(empty.writeCount).toBe(0);
  });

  it('refuses further work after a failed write, until reopened', async () => {
    const { device, l, store } = await fresh();
    await store.append(put(1));
    device.failWritesAfter(0, 0);
    await expect(store.append(put(2))).rejects.toBeInstanceOf(SimulatedCrash);
    device.restart();
    const err: unknown = await store.append(put(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(SimulatedCrash);
    expect((err as Error).cause).toBeInstanceOf(SimulatedCrash);
    await expect(store.checkpoint()).rejects.toThrow(/reopen/);
    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.state).toEqual(applied(emptyState(), put(1)));
  });
});

describe('CatalogStore with damaged media', () => {
  it('ignores a bit-flipped tail record (tornTail) and overwrites it with the next append', async () => {
    const { device, l, store } = await fresh();
    for (let n = 1; n <= 4; n++) await store.append(put(n, 100));
    const frame = encodeJournalRecord({ generation: 1, seq: 1, record: put(1, 100) }).length;
    device.flipBit(journalAt(l) + 3 * frame + 100, 2);
    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.loadReport).toMatchObject({ tornTail: true, recordsReplayed: 3, usedOlderSlot: false });
    expect(opened.state).toEqual(applied(emptyState(), put(1, 100), put(2, 100), put(3, 100)));
    expect(opened.seq).toBe(3);
    await opened.append(put(9));
    const again = await CatalogStore.open(optionsFor(device, l));
    expect(again.loadReport.tornTail).toBe(false);
    expect(again.state).toEqual(applied(emptyState(), put(1, 100), put(2, 100), put(3, 100), put(9)));
  });

  it('ignores a valid frame at the tail that breaks the sequence', async () => {
    const { device, l, store } = await fresh();
    await store.append(put(1));
    const tail = journalAt(l) + store.sizeInfo().journalUsedBytes;
    device.poke(tail, encodeJournalRecord({ generation: 1, seq: 3, record: put(3) }));
    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.loadReport).toMatchObject({ tornTail: true, recordsReplayed: 1 });
    expect(opened.state).toEqual(applied(emptyState(), put(1)));
  });

  it('refuses (CORRUPT) when a damaged record has committed records of its generation after it', async () => {
    const { device, l, store } = await fresh();
    for (let n = 1; n <= 4; n++) await store.append(put(n, 100));
    device.flipBit(journalAt(l) + 512 + 90, 0);
    await rejectsWith(CatalogStore.open(optionsFor(device, l)), 'CORRUPT');
  });

  it('uses the older slot when the newest checkpoint is damaged, replaying its intact journal', async () => {
    const { device, l, store } = await fresh();
    for (let n = 1; n <= 3; n++) await store.append(put(n));
    await store.checkpoint();
    device.flipBit(slotAt(l, 1) + 64 + 5, 1);
    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.loadReport).toEqual({
      checkpointSlot: 0,
      generation: 1,
      checkpointSeq: 0,
      recordsReplayed: 3,
      tornTail: false,
      usedOlderSlot: true,
      lostNewerRecords: false,
      writers: expect.anything(),
    });
    expect(opened.state).toEqual(store.state);
    await opened.checkpoint();
    expect(opened.generation).toBeGreaterThan(2);
    const again = await CatalogStore.open(optionsFor(device, l));
    expect(again.loadReport).toMatchObject({ checkpointSlot: 1, usedOlderSlot: false, recordsReplayed: 0 });
    expect(again.state).toEqual(store.state);
  });

  it('never replays stale frames of a lost generation after falling back to the older slot', async () => {
    for (const damage of ['header', 'payload'] as const) {
      const { device, l, store } = await fresh();
      await store.checkpoint(); // generation 2 at seq 0 in slot 1
      for (let n = 1; n <= 3; n++) await store.append(put(n)); // gen 2, seq 1..3, journal start
      device.flipBit(slotAt(l, 1) + (damage === 'header' ? 20 : 70), 0);

      const opened = await CatalogStore.open(optionsFor(device, l));
      expect(opened.loadReport).toMatchObject({ checkpointSlot: 0, generation: 1, recordsReplayed: 0, usedOlderSlot: true, lostNewerRecords: true });
      expect(opened.state).toEqual(emptyState());
      await opened.checkpoint();
      expect(opened.generation).toBeGreaterThan(2);
      const afterCheckpoint = await CatalogStore.open(optionsFor(device, l));
      expect(afterCheckpoint.state).toEqual(emptyState());
      expect(afterCheckpoint.seq).toBe(0);

      // And an append straight after the fallback checkpoints into a fresh generation first.
      const again = await CatalogStore.open(optionsFor(device, l));
      await again.append(put(7));
      const last = await CatalogStore.open(optionsFor(device, l));
      expect(last.state).toEqual(applied(emptyState(), put(7)));
      expect(last.seq).toBe(1);
    }
  });

  it('forces a checkpoint before appending when the fallback journal holds newer frames', async () => {
    const { device, l, store } = await fresh();
    await store.checkpoint();
    for (let n = 1; n <= 3; n++) await store.append(put(n));
    device.poke(slotAt(l, 1), Buffer.alloc(512));
    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.loadReport.usedOlderSlot).toBe(false); // a zeroed slot looks never-written
    expect(opened.loadReport.lostNewerRecords).toBe(true); // but the journal shows it was
    const before = device.writeCount;
    await opened.append(put(7));
    expect(device.writeCount - before).toBe(2); // checkpoint, then the frame
    expect(opened.generation).toBeGreaterThan(2);
    expect((await CatalogStore.open(optionsFor(device, l))).state).toEqual(applied(emptyState(), put(7)));
  });

  it('throws NO_CATALOG when neither slot is valid', async () => {
    const l = layout();
    const blank = deviceFor(l);
    await rejectsWith(CatalogStore.open(optionsFor(blank, l)), 'NO_CATALOG');
    const { device, store } = await fresh();
    await store.checkpoint();
    device.flipBit(slotAt(l, 0) + 30, 0);
    device.flipBit(slotAt(l, 1) + 64, 0);
    const err: unknown = await CatalogStore.open(optionsFor(device, l)).catch((e: unknown) => e);
    expect(isCatalogError(err, 'NO_CATALOG')).toBe(true);
    expect(isCatalogError((err as Error).cause, 'CORRUPT')).toBe(true);
    expect((err as { errnoName: string }).errnoName).toBe('ENOENT');
  });

  it('throws CORRUPT when both slots claim the same generation', async () => {
    const { device, l } = await fresh();
    device.poke(slotAt(l, 1), device.peek(slotAt(l, 0), 4096));
    await rejectsWith(CatalogStore.open(optionsFor(device, l)), 'CORRUPT');
  });

  it('refuses a checkpoint or a record in a newer format version', async () => {
    const { device, l, store } = await fresh();
    await store.append(put(1));
    const frame = encodeCheckpoint({ generation: 5, seq: 1, state: emptyState() });
    frame.writeUInt32LE(CHECKPOINT_FORMAT_VERSION + 1, 8);
    frame.writeUInt32LE(0, 12);
    frame.writeUInt32LE(crc32(frame.subarray(0, 64)), 12);
    const slot1 = new MemoryCatalogDevice(device.sizeBytes);
    slot1.poke(0, device.peek(0, device.sizeBytes));
    slot1.poke(slotAt(l, 1), frame);
    await rejectsWith(CatalogStore.open(optionsFor(slot1, l)), 'UNSUPPORTED_VERSION');

    const record = encodeJournalRecord({ generation: 1, seq: 2, record: put(2) });
    record.writeUInt32LE(3, 8);
    record.writeUInt32LE(0, 12);
    record.writeUInt32LE(crc32(record.subarray(64, 64 + record.readUInt32LE(32)), crc32(record.subarray(0, 64))), 12);
    device.poke(journalAt(l) + store.sizeInfo().journalUsedBytes, record);
    await rejectsWith(CatalogStore.open(optionsFor(device, l)), 'UNSUPPORTED_VERSION');
  });

  it('reports size use', async () => {
    const { store, l } = await fresh();
    await store.append(put(1, 1000));
    const info = store.sizeInfo();
    expect(info).toEqual({
      journalBytes: l.journalBytes,
      journalUsedBytes: 1536,
      journalFreeBytes: l.journalBytes - 1536,
      recordsSinceCheckpoint: 1,
      checkpointEveryRecords: 512,
      slotBytes: l.slotBytes,
      checkpointBytes: encodeCheckpoint({ generation: 1, seq: 0, state: emptyState() }).length,
    });
    expect(clone(info)).toEqual(info);
  });
});

describe('CatalogStore staged records (group commit)', () => {
  it('applies a staged record at once and writes it with the next append, in one write', async () => {
    const { device, l, store } = await fresh();
    await store.append(put(1));
    await store.stage(put(2));
    expect(store.state).toEqual(applied(emptyState(), put(1), put(2)));
    expect(store.hasStaged).toBe(true);
    // A crash now loses only the staged record.
    expect((await CatalogStore.open(optionsFor(cloneDevice(device), l))).state).toEqual(applied(emptyState(), put(1)));
    const writes = device.writeCount;
    await store.append(put(3));
    expect(device.writeCount).toBe(writes + 1);
    expect(store.hasStaged).toBe(false);
    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.state).toEqual(applied(emptyState(), put(1), put(2), put(3)));
    expect(opened.seq).toBe(3);
  });

  it('writes staged records on flush, and a checkpoint takes them in', async () => {
    const { device, l, store } = await fresh();
    await store.stage(put(1));
    await store.flush();
    await store.flush();
    expect((await CatalogStore.open(optionsFor(cloneDevice(device), l))).state).toEqual(applied(emptyState(), put(1)));
    await store.stage(put(2));
    await store.checkpoint();
    expect(store.hasStaged).toBe(false);
    await store.append(put(3));
    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.state).toEqual(applied(emptyState(), put(1), put(2), put(3)));
  });
});
