import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_HEADER_BYTES,
  crc32,
  decodeCheckpoint,
  decodeCheckpointHeader,
  decodeJournalFrameHeader,
  decodeJournalRecord,
  encodeCheckpoint,
  encodeJournalRecord,
  JOURNAL_RECORD_FORMAT_VERSION,
  JOURNAL_RECORD_HEADER_BYTES,
  journalFrameBytes,
} from '@thinfleet/catalog';
import { codeOf } from './catalog-test-kit.js';

describe('crc32', () => {
  it('matches the standard check value and continues across buffers', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const a = Buffer.from('hello, ');
    const b = Buffer.from('catalog');
    expect(crc32(b, crc32(a))).toBe(crc32(Buffer.concat([a, b])));
    expect(crc32(a)).toBe(zlibCrc32(a));
  });
});

describe('journal record codec', () => {
  const entry = { generation: 7, seq: 42, record: { op: 'put', key: 'vol-ü', n: 1.5, list: [null, true] } };

  it('round-trips and pads the frame to a multiple of 512 with zeros', () => {
    const frame = encodeJournalRecord(entry);
    const payload = Buffer.byteLength(JSON.stringify(entry.record));
    expect(frame.length).toBe(512);
    expect(frame.length).toBe(journalFrameBytes(payload));
    expect(frame.subarray(JOURNAL_RECORD_HEADER_BYTES + payload).every((b) => b === 0)).toBe(true);
    expect(decodeJournalRecord(frame)).toEqual({ ...entry, frameBytes: 512, writer: { token: 0n, nodeId: '' } });
    const header = decodeJournalFrameHeader(frame);
    expect(header).toMatchObject({ formatVersion: JOURNAL_RECORD_FORMAT_VERSION, generation: 7, seq: 42, payloadBytes: payload });
  });

  it('stores the documented header fields', () => {
    const frame = encodeJournalRecord(entry);
    expect(frame.toString('latin1', 0, 8)).toBe('TFJOURN\0');
    expect(frame.readUInt32LE(8)).toBe(2);
    expect(frame.readBigUInt64LE(16)).toBe(7n);
    expect(frame.readBigUInt64LE(24)).toBe(42n);
    const scratch = Buffer.from(frame);
    scratch.writeUInt32LE(0, 12);
    const payloadBytes = frame.readUInt32LE(32);
    expect(frame.readUInt32LE(12)).toBe(crc32(scratch.subarray(64, 64 + payloadBytes), crc32(scratch.subarray(0, 64))));
  });

  it('sizes large frames exactly and keeps multi-sector payloads intact', () => {
    const record = { blob: 'y'.repeat(150 * 1024) };
    const frame = encodeJournalRecord({ generation: 1, seq: 1, record });
    expect(frame.length % 512).toBe(0);
    expect(frame.length - 512).toBeLessThan(64 + 150 * 1024 + 20);
    expect(decodeJournalRecord(frame)?.record).toEqual(record);
  });

  it('returns null without magic and CORRUPT for any damaged byte of header or payload', () => {
    expect(decodeJournalRecord(Buffer.alloc(512))).toBeNull();
    const frame = encodeJournalRecord({ generation: 1, seq: 1, record: { text: 'z'.repeat(700) } });
    for (const offset of [8, 12, 16, 24, 33, 40, 64, 500, 700]) {
      const damaged = Buffer.from(frame);
      damaged[offset] = (damaged[offset] ?? 0) ^ 0x04;
      expect(
        codeOf(() => decodeJournalRecord(damaged)),
        `byte ${offset}`,
      ).toBe('CORRUPT');
    }
    expect(codeOf(() => decodeJournalRecord(frame.subarray(0, 512)))).toBe('CORRUPT');
  });

  it('refuses a newer version whose checksum holds', () => {
    const frame = encodeJournalRecord({ generation: 1, seq: 1, record: 1 });
    frame.writeUInt32LE(JOURNAL_RECORD_FORMAT_VERSION + 1, 8);
    frame.writeUInt32LE(0, 12);
    const payloadBytes = frame.readUInt32LE(32);
    frame.writeUInt32LE(crc32(frame.subarray(64, 64 + payloadBytes), crc32(frame.subarray(0, 64))), 12);
    expect(codeOf(() => decodeJournalRecord(frame))).toBe('UNSUPPORTED_VERSION');
  });

  it('rejects records without a JSON form and bad numbering', () => {
    expect(() => encodeJournalRecord({ generation: 1, seq: 1, record: undefined })).toThrow(TypeError);
    expect(() => encodeJournalRecord({ generation: 0, seq: 1, record: 1 })).toThrow(RangeError);
    expect(() => encodeJournalRecord({ generation: 1, seq: 0, record: 1 })).toThrow(RangeError);
    expect(() => encodeJournalRecord({ generation: 1, seq: 1.5, record: 1 })).toThrow(RangeError);
  });

  it('never contains its magic inside a JSON payload', () => {
    const frame = encodeJournalRecord({ generation: 1, seq: 1, record: { s: `TFJOURN\0 ${'a'.repeat(600)}` } });
    expect(frame.indexOf(Buffer.from('TFJOURN\0', 'latin1'), 1)).toBe(-1);
  });
});

describe('checkpoint codec', () => {
  const state = { volumes: { a: { id: 1 }, b: { id: 2 } }, tx: 9, note: 'é' };

  it('round-trips with header then payload verification', () => {
    const frame = encodeCheckpoint({ generation: 3, seq: 17, state });
    expect(frame.length % 512).toBe(0);
    expect(frame.toString('latin1', 0, 8)).toBe('TFCHKPT\0');
    const header = decodeCheckpointHeader(frame.subarray(0, CHECKPOINT_HEADER_BYTES));
    expect(header).toMatchObject({ formatVersion: CHECKPOINT_FORMAT_VERSION, generation: 3, seq: 17, frameBytes: frame.length });
    expect(decodeCheckpoint(frame)).toEqual({ generation: 3, seq: 17, state, newestClusterId: '' });
    expect(encodeCheckpoint({ generation: 1, seq: 0, state: null }).length).toBe(512);
  });

  it('returns null without magic and CORRUPT for damage in header or payload', () => {
    expect(decodeCheckpoint(Buffer.alloc(512))).toBeNull();
    const frame = encodeCheckpoint({ generation: 3, seq: 17, state });
    for (const offset of [9, 13, 20, 30, 36, 50, 64, 80]) {
      const damaged = Buffer.from(frame);
      damaged[offset] = (damaged[offset] ?? 0) ^ 0x80;
      expect(
        codeOf(() => decodeCheckpoint(damaged)),
        `byte ${offset}`,
      ).toBe('CORRUPT');
    }
    // Payload damage leaves the header readable: that is how open tells a torn checkpoint.
    const payloadDamaged = Buffer.from(frame);
    payloadDamaged[70] = (payloadDamaged[70] ?? 0) ^ 1;
    expect(decodeCheckpointHeader(payloadDamaged)?.generation).toBe(3);
  });

  it('refuses a newer version whose header checksum holds', () => {
    const frame = encodeCheckpoint({ generation: 3, seq: 17, state });
    frame.writeUInt32LE(CHECKPOINT_FORMAT_VERSION + 1, 8);
    frame.writeUInt32LE(0, 12);
    frame.writeUInt32LE(crc32(frame.subarray(0, 64)), 12);
    expect(codeOf(() => decodeCheckpointHeader(frame))).toBe('UNSUPPORTED_VERSION');
  });

  it('rejects a state without a JSON form', () => {
    expect(() => encodeCheckpoint({ generation: 1, seq: 0, state: undefined })).toThrow(TypeError);
    expect(() => encodeCheckpoint({ generation: 0, seq: 0, state: {} })).toThrow(RangeError);
  });
});
