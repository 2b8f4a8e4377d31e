/**
 * Writer tokens in the catalog (docs/catalog-format.md, "Writers"): every frame carries the grant
 * token and node id of the holder that wrote it, a checkpoint the newest token folded into it,
 * and open refuses a journal that shows two holders writing at once (SPLIT_BRAIN). Catalogs in
 * format version 1 (no writer) still load, as written by token 0.
 */
import { describe, expect, it } from 'vitest';
import {
  CatalogStore,
  CHECKPOINT_FORMAT_VERSION,
  crc32,
  decodeCheckpointHeader,
  decodeJournalRecord,
  isCatalogError,
  MAX_WRITER_NODE_ID_BYTES,
  type CatalogLayout,
  type CatalogWriter,
  type MemoryCatalogDevice,
} from '@thinfleet/catalog';
import { applied, cloneDevice, deviceFor, emptyState, layout, optionsFor, put, type KvRecord, type KvState } from './catalog-test-kit.js';

const A: CatalogWriter = { token: 10n, nodeId: 'node-a' };
const B: CatalogWriter = { token: 20n, nodeId: 'node-b' };
const C: CatalogWriter = { token: 30n, nodeId: 'node-c' };

const journalAt = (l: CatalogLayout): number => l.offsetBytes + 2 * l.slotBytes;
const slotAt = (l: CatalogLayout, slot: 0 | 1): number => l.offsetBytes + slot * l.slotBytes;
const opts = (device: MemoryCatalogDevice, l: CatalogLayout, writer?: CatalogWriter, every?: number) => ({ ...optionsFor(device, l, every), ...(writer ? { writer } : {}) });

async function refusal(promise: Promise<unknown>, code: string): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCatalogError(err), `expected a CatalogError ${code}, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  return (err as Error).message;
}

/**
 * A journal frame (`TFJOURN`) or checkpoint (`TFCHKPT`) in format version 1, as thinfleet wrote
 * before writer tokens: no writer fields, the JSON right after the 64-byte header.
 */
function v1Structure(magic: 'TFJOURN' | 'TFCHKPT', generation: number, seq: number, value: unknown): Buffer {
  const json = JSON.stringify(value);
  const payload = Buffer.byteLength(json);
  const out = Buffer.alloc(Math.ceil((64 + payload) / 512) * 512);
  out.write(`${magic}\0`, 0, 'latin1');
  out.writeUInt32LE(1, 8);
  out.writeBigUInt64LE(BigInt(generation), 16);
  out.writeBigUInt64LE(BigInt(seq), 24);
  out.writeUInt32LE(payload, 32);
  out.write(json, 64, 'utf8');
  const body = out.subarray(64, 64 + payload);
  if (magic === 'TFCHKPT') {
    out.writeUInt32LE(crc32(body), 36);
    out.writeUInt32LE(crc32(out.subarray(0, 64)), 12);
  } else {
    out.writeUInt32LE(crc32(body, crc32(out.subarray(0, 64))), 12);
  }
  return out;
}

describe('catalog writers', () => {
  it('every frame carries its writer, and a checkpoint the newest token', async () => {
    const l = layout();
    const device = deviceFor(l);
    const store = await CatalogStore.create(opts(device, l, A), emptyState());
    await store.append(put(1));
    store.setWriter(B);
    await store.stage(put(2));
    await store.append(put(3));
    const first = decodeJournalRecord(device.peek(journalAt(l), 512));
    expect(first).toMatchObject({ seq: 1, writer: A, record: put(1) });
    const second = decodeJournalRecord(device.peek(journalAt(l) + 512, 512));
    expect(second).toMatchObject({ seq: 2, writer: B, record: put(2) });
    // Byte for byte: token at 40, node id length at 48, the node id before the JSON.
    const frame = device.peek(journalAt(l), 512);
    expect(frame.readUInt32LE(8)).toBe(2);
    expect(frame.readUInt32LE(48)).toBe(6);
    expect(frame.readUInt32LE(36)).toBe(0);
    expect(frame.readBigUInt64LE(40)).toBe(10n);
    expect(frame.toString('utf8', 64, 70)).toBe('node-a');
    expect(frame.readUInt32LE(32)).toBe(6 + Buffer.byteLength(JSON.stringify(put(1))));

    const reopened = await CatalogStore.open(opts(device, l, C));
    expect(reopened.loadReport.writers).toMatchObject({ newestToken: 20n, regression: null });
    expect(reopened.loadReport.writers.writers.map((w) => [w.writer.nodeId, w.writer.token, w.firstSeq, w.lastSeq])).toEqual([
      ['node-a', 10n, 1, 1],
      ['node-b', 20n, 2, 3],
    ]);
    await reopened.checkpoint();
    const header = decodeCheckpointHeader(device.peek(slotAt(l, 1), 512).subarray(0, 64));
    expect(header).toMatchObject({ formatVersion: CHECKPOINT_FORMAT_VERSION, generation: 2, newestToken: 30n });
    expect((await CatalogStore.open(opts(device, l))).newestToken).toBe(30n);
  });

  it('refuses to open a journal whose tokens go backwards, naming both writers', async () => {
    const l = layout();
    const device = deviceFor(l);
    const a = await CatalogStore.create(opts(device, l, A), emptyState());
    await a.append(put(1));
    // B is granted the pool and opens it while A, fenced off in the lock but not on the disk, goes on.
    const b = await CatalogStore.open(opts(device, l, B));
    await a.append(put(2));
    await b.append(put(3));
    await a.append(put(4));
    const message = await refusal(CatalogStore.open(opts(device, l, C)), 'SPLIT_BRAIN');
    expect(message).toContain('"node-a"');
    expect(message).toContain('"node-b"');
    expect(message).toMatch(/frame seq 3 \(journal byte 1024\) by node "node-a" with token 10 follows frame seq 2 \(journal byte 512\) by node "node-b" with token 20/);
    // Without a grant (a standalone open) the evidence refuses as well; nothing was written.
    const before = device.peek(0, device.sizeBytes);
    await refusal(CatalogStore.open(opts(device, l)), 'SPLIT_BRAIN');
    expect(device.peek(0, device.sizeBytes).equals(before)).toBe(true);
  });

  it('refuses a token newer than the opening grant, and takes an older or equal one', async () => {
    const l = layout();
    const device = deviceFor(l);
    const b = await CatalogStore.create(opts(device, l, B), emptyState());
    await b.append(put(1));
    const message = await refusal(CatalogStore.open(opts(device, l, A)), 'SPLIT_BRAIN');
    expect(message).toContain('token 20, newer than this host\'s grant 10 (node "node-a")');
    expect(message).toContain('"node-b"');
    expect((await CatalogStore.open(opts(device, l, C))).state).toEqual(applied(emptyState(), put(1)));
    expect((await CatalogStore.open(opts(device, l, B))).seq).toBe(1);
    // The checkpoint's token counts too, once the frames are folded into it.
    const again = await CatalogStore.open(opts(device, l, B));
    await again.checkpoint();
    await refusal(CatalogStore.open(opts(device, l, A)), 'SPLIT_BRAIN');
  });

  it('leaves standalone pools alone: token 0 throughout, or token 0 after a grant', async () => {
    const l = layout();
    const device = deviceFor(l);
    const store = await CatalogStore.create(opts(device, l), emptyState());
    for (let n = 1; n <= 3; n++) await store.append(put(n));
    const granted = await CatalogStore.open(opts(device, l, A));
    await granted.append(put(4));
    const standalone = await CatalogStore.open(opts(device, l));
    await standalone.append(put(5));
    const reopened = await CatalogStore.open(opts(device, l, B));
    expect(reopened.loadReport.writers.regression).toBeNull();
    expect(reopened.seq).toBe(5);
  });

  it('loads a catalog in format version 1 and rewrites it in this format before its first append', async () => {
    const l = layout();
    const device = deviceFor(l);
    const records: KvRecord[] = [put(1), put(2, 900)];
    device.poke(slotAt(l, 0), v1Structure('TFCHKPT', 1, 0, emptyState()));
    device.poke(journalAt(l), v1Structure('TFJOURN', 1, 1, records[0]));
    device.poke(journalAt(l) + 512, v1Structure('TFJOURN', 1, 2, records[1]));
    const expected: KvState = applied(emptyState(), ...records);
    const old = await CatalogStore.open(opts(device, l, A));
    expect(old.state).toEqual(expected);
    expect(old.loadReport.writers).toMatchObject({ checkpointToken: 0n, newestToken: 0n, regression: null });
    expect(old.loadReport.writers.writers).toMatchObject([{ writer: { token: 0n, nodeId: '' }, firstSeq: 1, lastSeq: 2, frames: 2 }]);
    await old.append(put(3));
    expect(old.generation).toBe(2);
    expect(decodeCheckpointHeader(device.peek(slotAt(l, 1), 512).subarray(0, 64))).toMatchObject({ formatVersion: CHECKPOINT_FORMAT_VERSION, generation: 2, newestToken: 10n });
    const reopened = await CatalogStore.open(opts(device, l, A));
    expect(reopened.state).toEqual(applied(expected, put(3)));
  });

  it('a writer whose token is older than one already seen may not write, and checkNoNewerWriter sees another writer on the disk', async () => {
    const l = layout();
    const device = deviceFor(l);
    const a = await CatalogStore.create(opts(device, l, A), emptyState());
    await a.append(put(1));
    await a.checkNoNewerWriter();
    const b = await CatalogStore.open(opts(device, l, B));
    expect(() => b.setWriter(A)).toThrow(expect.objectContaining({ code: 'STALE_WRITER' }) as Error);
    await b.append(put(2));
    await b.checkNoNewerWriter();
    expect(await refusal(a.checkNoNewerWriter(), 'STALE_WRITER')).toContain('frame seq 2 with token 20 at journal byte 512');
    // A newer checkpoint in either slot says the same.
    const c = cloneDevice(device);
    const a2 = await CatalogStore.open(opts(c, l, A)).catch(() => null);
    expect(a2).toBeNull(); // token 20 on the disk is newer than A's grant
    const b2 = await CatalogStore.open(opts(c, l, B));
    const stale = await CatalogStore.open(opts(c, l, B));
    await b2.checkpoint();
    expect(await refusal(stale.checkNoNewerWriter(), 'STALE_WRITER')).toContain('checkpoint of generation 2');
  });

  it('bounds the node id', async () => {
    const l = layout();
    const device = deviceFor(l);
    const long = { token: 1n, nodeId: 'n'.repeat(MAX_WRITER_NODE_ID_BYTES + 1) };
    await expect(CatalogStore.create(opts(device, l, long), emptyState())).rejects.toThrow(RangeError);
    const store = await CatalogStore.create(opts(device, l, { token: 1n, nodeId: 'n'.repeat(MAX_WRITER_NODE_ID_BYTES) }), emptyState());
    await store.append(put(1));
    expect(() => store.setWriter(long)).toThrow(RangeError);
    expect(() => store.setWriter({ token: -1n, nodeId: '' })).toThrow(RangeError);
    expect((await CatalogStore.open(opts(device, l))).loadReport.writers.writers[0]?.writer.nodeId).toHaveLength(MAX_WRITER_NODE_ID_BYTES);
  });
});
