/**
 * Checkpoint format version 3: the state deflated (what this code writes), plain JSON still
 * read, version 2 checkpoints (always JSON) still loaded and rewritten before the first append,
 * and every damage to the deflated state refused as CORRUPT so that open falls back to the
 * other slot.
 */
import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import {
  CatalogStore,
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_HEADER_BYTES,
  crc32,
  decodeCheckpoint,
  decodeCheckpointHeader,
  encodeCheckpoint,
  isCatalogError,
  type CatalogLayout,
} from '@thinfleet/catalog';
import { applied, codeOf, deviceFor, emptyState, layout, noise, optionsFor, put, type KvState } from './catalog-test-kit.js';

const slotAt = (l: CatalogLayout, slot: 0 | 1): number => l.offsetBytes + slot * l.slotBytes;

/** Recomputes the payload CRC (over `payloadBytes`) and then the header CRC of `frame`, in place. */
function reseal(frame: Buffer): Buffer {
  const payloadBytes = frame.readUInt32LE(32);
  frame.writeUInt32LE(crc32(frame.subarray(CHECKPOINT_HEADER_BYTES, CHECKPOINT_HEADER_BYTES + payloadBytes)), 36);
  frame.writeUInt32LE(0, 12);
  frame.writeUInt32LE(crc32(frame.subarray(0, CHECKPOINT_HEADER_BYTES)), 12);
  return frame;
}

/** A checkpoint exactly as format version 2 wrote it: JSON state, bytes 52..64 zero. */
function version2Checkpoint(generation: number, seq: number, state: unknown, newestClusterId = ''): Buffer {
  const frame = encodeCheckpoint({ generation, seq, state, newestClusterId, stateEncoding: 'json' });
  frame.writeUInt32LE(2, 8);
  frame.fill(0, 52, 64);
  return reseal(frame);
}

function stateOf(volumes: number): KvState {
  const state = emptyState();
  for (let n = 0; n < volumes; n++) state.entries[`vol-${n}`] = { n, text: `7d3f1c2e-0000-4000-8000-${n.toString(16).padStart(12, '0')}` };
  return state;
}

describe('checkpoint state encoding', () => {
  it('writes version 3 with the JSON deflated, and says so in the header', () => {
    const state = stateOf(2000);
    const json = Buffer.byteLength(JSON.stringify(state));
    const frame = encodeCheckpoint({ generation: 4, seq: 9, state, newestClusterId: 'c1' });
    const header = decodeCheckpointHeader(frame);
    expect(header).toMatchObject({ formatVersion: CHECKPOINT_FORMAT_VERSION, stateEncoding: 'deflate', stateBytes: json, newestClusterBytes: 2 });
    expect(CHECKPOINT_FORMAT_VERSION).toBe(3);
    expect(frame.length).toBeLessThan(json / 4);
    expect(decodeCheckpoint(frame)).toEqual({ generation: 4, seq: 9, state, newestClusterId: 'c1' });

    const plain = encodeCheckpoint({ generation: 4, seq: 9, state, stateEncoding: 'json' });
    expect(decodeCheckpointHeader(plain)).toMatchObject({ stateEncoding: 'json', stateBytes: json, payloadBytes: json });
    expect(decodeCheckpoint(plain)?.state).toEqual(state);
    expect(() => encodeCheckpoint({ generation: 1, seq: 0, state, stateEncoding: 'zstd' as 'json' })).toThrow(/state encoding/);
  });

  it('reads a version 2 checkpoint as JSON', () => {
    const state = stateOf(10);
    const frame = version2Checkpoint(3, 5, state, 'lock-space');
    expect(decodeCheckpointHeader(frame)).toMatchObject({ formatVersion: 2, stateEncoding: 'json' });
    expect(decodeCheckpoint(frame)).toEqual({ generation: 3, seq: 5, state, newestClusterId: 'lock-space' });
  });

  it('refuses damage to the deflated state as CORRUPT, checksums intact', () => {
    const state = stateOf(200);
    const good = encodeCheckpoint({ generation: 2, seq: 1, state });
    const header = decodeCheckpointHeader(good);
    if (header === null) throw new Error('no header');

    const garbage = Buffer.from(good);
    garbage.fill(0xff, CHECKPOINT_HEADER_BYTES, CHECKPOINT_HEADER_BYTES + 16);
    expect(codeOf(() => decodeCheckpoint(reseal(garbage)))).toBe('CORRUPT');

    const shorter = Buffer.from(good);
    shorter.writeUInt32LE(header.stateBytes - 1, 56);
    expect(codeOf(() => decodeCheckpoint(reseal(shorter)))).toBe('CORRUPT');
    const longer = Buffer.from(good);
    longer.writeUInt32LE(header.stateBytes + 1, 56);
    expect(codeOf(() => decodeCheckpoint(reseal(longer)))).toBe('CORRUPT');

    const unknown = Buffer.from(good);
    unknown.writeUInt32LE(7, 52);
    expect(codeOf(() => decodeCheckpointHeader(reseal(unknown)))).toBe('CORRUPT');

    // JSON whose stored length disagrees with state_bytes is damage too.
    const plain = encodeCheckpoint({ generation: 2, seq: 1, state, stateEncoding: 'json' });
    plain.writeUInt32LE(3, 56);
    expect(codeOf(() => decodeCheckpointHeader(reseal(plain)))).toBe('CORRUPT');

    // Deflated bytes that are not JSON.
    const notJson = deflateRawSync(Buffer.from('{nope'));
    const frame = Buffer.alloc(512);
    good.copy(frame, 0, 0, CHECKPOINT_HEADER_BYTES);
    notJson.copy(frame, CHECKPOINT_HEADER_BYTES);
    frame.writeUInt32LE(notJson.length, 32);
    frame.writeUInt32LE(0, 48);
    frame.writeUInt32LE(5, 56);
    expect(codeOf(() => decodeCheckpoint(reseal(frame)))).toBe('CORRUPT');
  });

  it('loads a version 2 catalog and rewrites its checkpoint deflated before the first append', async () => {
    const l = layout(64, 64);
    const device = deviceFor(l);
    const base = await CatalogStore.create(optionsFor(device, l), emptyState());
    await base.append(put(1, 3000));
    // Replace slot 0 with the same state as version 2 wrote it, the journal kept (generation 1).
    const old = version2Checkpoint(1, 0, emptyState());
    device.poke(slotAt(l, 0), old);

    const opened = await CatalogStore.open(optionsFor(device, l));
    expect(opened.state).toEqual(applied(emptyState(), put(1, 3000)));
    await opened.append(put(2, 3000));
    expect(opened.generation).toBe(2);
    expect(decodeCheckpointHeader(device.peek(slotAt(l, 1), 512))).toMatchObject({ formatVersion: 3, stateEncoding: 'deflate', generation: 2 });
    const reopened = await CatalogStore.open(optionsFor(device, l));
    expect(reopened.state).toEqual(applied(emptyState(), put(1, 3000), put(2, 3000)));
  });

  it('falls back to the older slot when the newer one holds a deflated state that does not inflate', async () => {
    const l = layout(64, 64);
    const device = deviceFor(l);
    const store = await CatalogStore.create(optionsFor(device, l), emptyState());
    await store.append(put(1, 200));
    await store.checkpoint();
    const slot = store.loadReport.checkpointSlot === 0 ? 1 : 0;
    const frame = device.peek(slotAt(l, slot), 512);
    frame.fill(0xff, CHECKPOINT_HEADER_BYTES, CHECKPOINT_HEADER_BYTES + 8);
    device.poke(slotAt(l, slot), reseal(frame));
    // Nothing was appended after the checkpoint, so generation 1's record is still in the journal.
    const reopened = await CatalogStore.open(optionsFor(device, l));
    expect(reopened.loadReport.usedOlderSlot).toBe(true);
    expect(reopened.generation).toBe(1);
    expect(reopened.state).toEqual(applied(emptyState(), put(1, 200)));
  });

  it('fits the state of a pool of 100,000 volumes in the default 16 MiB slot', async () => {
    // The engine's volume record (catalog-records.ts) with the values a plain create gives it.
    const volumes: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) {
      const uuid = `${noise(i, 8).toLowerCase()}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
      volumes[uuid] = {
        uuid,
        name: `vol-${String(i).padStart(6, '0')}`,
        thinId: i + 1,
        sizeBytes: 64 * 1024 * 1024,
        originUuid: null,
        externalOrigin: null,
        createdAtMs: 1_765_000_000_000 + i * 37,
        revisionOf: null,
        revision: null,
        pinned: false,
        revisionsMade: 0,
      };
    }
    const state = { pool: { name: 'big' }, committedTx: '50', volumes, pending: null };
    const l = { offsetBytes: 4096, slotBytes: 16 * 1024 * 1024, journalBytes: 8 * 1024 * 1024 };
    const json = Buffer.byteLength(JSON.stringify(state));
    expect(json).toBeGreaterThan(l.slotBytes); // as JSON (format 2) it would be FULL
    const device = deviceFor(l);
    const store = await CatalogStore.create({ device, layout: l, reduce: (s: typeof state) => s }, state);
    expect(store.sizeInfo().checkpointBytes).toBeLessThan(l.slotBytes / 3);
    const reopened = await CatalogStore.open({ device, layout: l, reduce: (s: typeof state) => s });
    expect(Object.keys(reopened.state.volumes)).toHaveLength(100_000);
  });

  it('refuses a state that does not fit a slot with FULL naming slotBytes, writing nothing', async () => {
    const l = layout(64, 64);
    const device = deviceFor(l);
    const huge: KvState = { entries: { a: { n: 1, text: noise(3, 100 * 1024) } }, applied: 0, order: [] };
    const err: unknown = await CatalogStore.create(optionsFor(device, l), huge).catch((e: unknown) => e);
    expect(isCatalogError(err, 'FULL')).toBe(true);
    expect((err as Error).message).toMatch(/slotBytes 65536/);
    expect(device.writeCount).toBe(0);
  });
});
