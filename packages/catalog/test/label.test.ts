import { describe, expect, it } from 'vitest';
import {
  CatalogError,
  crc32,
  decodeLabel,
  encodeLabel,
  isCatalogError,
  LABEL_BYTES,
  LABEL_FORMAT_VERSION,
  MemoryCatalogDevice,
  readLabel,
  validateLabel,
  wipeLabel,
  writeLabel,
  type PoolLabel,
} from '@thinfleet/catalog';
import { KiB, MiB } from './catalog-test-kit.js';

const device0: PoolLabel = {
  formatVersion: LABEL_FORMAT_VERSION,
  poolUuid: '0f8e3c2a-91b4-4d6e-a7c1-5b2d9e4f6a80',
  poolName: 'vm-pool-ü',
  deviceIndex: 0,
  deviceCount: 2,
  deviceSizeBytes: 64 * MiB,
  createdAtMs: 1_720_000_000_123,
  catalog: { offsetBytes: 4096, slotBytes: 1 * MiB, journalBytes: 4 * MiB },
};
const device1: PoolLabel = { ...device0, deviceIndex: 1, deviceSizeBytes: 32 * MiB, catalog: null };

function expectCatalogError(fn: () => unknown, code: CatalogError['code']): CatalogError {
  try {
    fn();
  } catch (err) {
    expect(isCatalogError(err, code), `expected CatalogError ${code}, got ${String(err)}`).toBe(true);
    return err as CatalogError;
  }
  throw new Error(`expected CatalogError ${code}, nothing thrown`);
}

/** Rewrites the stored crc so a deliberately edited label passes its checksum. */
function resealed(block: Buffer): Buffer {
  const copy = Buffer.from(block);
  copy.writeUInt32LE(0, 20);
  copy.writeUInt32LE(crc32(copy), 20);
  return copy;
}

describe('label', () => {
  it('round-trips device 0 (with catalog) and device 1 (without)', () => {
    for (const label of [device0, device1]) {
      const block = encodeLabel(label);
      expect(block.length).toBe(LABEL_BYTES);
      expect(decodeLabel(block)).toEqual(label);
    }
  });

  it('lays out the documented fields at their offsets', () => {
    const block = encodeLabel(device0);
    expect(block.subarray(0, 16).toString('latin1')).toBe('THINFLEET-POOL\0\0');
    expect(block.readUInt32LE(16)).toBe(1);
    expect(block.toString('hex', 24, 40)).toBe(device0.poolUuid.replaceAll('-', ''));
    expect(block.readBigUInt64LE(48)).toBe(BigInt(64 * MiB));
    expect(block.readUInt32LE(64)).toBe(1);
    expect(block.toString('utf8', 72, 72 + block.readUInt32LE(68))).toBe('vm-pool-ü');
    expect(block.readBigUInt64LE(144)).toBe(BigInt(MiB));
    expect(block.subarray(160).every((b) => b === 0)).toBe(true);
  });

  it('reads, writes and wipes through a device', async () => {
    const dev = new MemoryCatalogDevice(MiB);
    expect(await readLabel(dev)).toBeNull();
    await writeLabel(dev, device0);
    expect(await readLabel(dev)).toEqual(device0);
    await wipeLabel(dev);
    expect(await readLabel(dev)).toBeNull();
    expect(dev.peek(0, LABEL_BYTES).every((b) => b === 0)).toBe(true);
  });

  it('returns null for blocks that are not thinfleet labels', () => {
    expect(decodeLabel(Buffer.alloc(LABEL_BYTES))).toBeNull();
    const lvm = Buffer.alloc(LABEL_BYTES);
    lvm.write('LABELONE', 512, 'latin1');
    expect(decodeLabel(lvm)).toBeNull();
    const nearMiss = encodeLabel(device0);
    nearMiss[15] = 0x41;
    expect(decodeLabel(nearMiss)).toBeNull();
    expect(() => decodeLabel(Buffer.alloc(512))).toThrow(RangeError);
  });

  it('reports CORRUPT for any flipped bit, including in reserved bytes', () => {
    for (const offset of [17, 20, 30, 50, 80, 150, 4000]) {
      const block = encodeLabel(device0);
      block[offset] = (block[offset] ?? 0) ^ 0x10;
      const err = expectCatalogError(() => decodeLabel(block), 'CORRUPT');
      expect(err.errnoName).toBe('EILSEQ');
      expect(err.errno).toBeGreaterThan(0);
    }
  });

  it('refuses a newer format version with UNSUPPORTED_VERSION, and treats version 0 as CORRUPT', () => {
    const newer = encodeLabel(device0);
    newer.writeUInt32LE(LABEL_FORMAT_VERSION + 1, 16);
    expectCatalogError(() => decodeLabel(resealed(newer)), 'UNSUPPORTED_VERSION');
    const zero = encodeLabel(device0);
    zero.writeUInt32LE(0, 16);
    expectCatalogError(() => decodeLabel(resealed(zero)), 'CORRUPT');
  });

  it('reports CORRUPT for a sealed label with impossible fields', () => {
    const badIndex = encodeLabel(device0);
    badIndex.writeUInt32LE(5, 40);
    const err = expectCatalogError(() => decodeLabel(resealed(badIndex)), 'CORRUPT');
    expect(err.cause).toBeInstanceOf(RangeError);
    const badFlags = encodeLabel(device1);
    badFlags.writeUInt32LE(6, 64);
    expectCatalogError(() => decodeLabel(resealed(badFlags)), 'CORRUPT');
    const badName = encodeLabel(device0);
    badName.writeUInt32LE(65, 68);
    expectCatalogError(() => decodeLabel(resealed(badName)), 'CORRUPT');
  });

  it('validates fields: RangeError for values, BAD_LAYOUT for catalog placement', () => {
    expect(() => validateLabel(device0)).not.toThrow();
    expect(() => encodeLabel({ ...device0, poolUuid: '0F8E3C2A-91B4-4D6E-A7C1-5B2D9E4F6A80' })).toThrow(RangeError);
    expect(() => encodeLabel({ ...device0, poolUuid: 'not-a-uuid' })).toThrow(RangeError);
    expect(() => encodeLabel({ ...device0, poolName: '' })).toThrow(RangeError);
    expect(() => encodeLabel({ ...device0, poolName: 'é'.repeat(33) })).toThrow(RangeError);
    expect(() => encodeLabel({ ...device0, poolName: 'a'.repeat(64) })).not.toThrow();
    expect(() => encodeLabel({ ...device0, deviceIndex: 2 })).toThrow(RangeError);
    expect(() => encodeLabel({ ...device0, deviceCount: 0 })).toThrow(RangeError);
    expect(() => encodeLabel({ ...device0, deviceSizeBytes: 1000 })).toThrow(RangeError);
    expect(() => encodeLabel({ ...device0, createdAtMs: -1 })).toThrow(RangeError);
    expect(() => encodeLabel({ ...device0, formatVersion: 2 })).toThrow(RangeError);

    expectCatalogError(() => validateLabel({ ...device0, catalog: null }), 'BAD_LAYOUT');
    expectCatalogError(() => validateLabel({ ...device1, catalog: device0.catalog }), 'BAD_LAYOUT');
    const bad = (catalog: PoolLabel['catalog']): PoolLabel => ({ ...device0, catalog });
    expectCatalogError(() => validateLabel(bad({ offsetBytes: 0, slotBytes: 64 * KiB, journalBytes: 64 * KiB })), 'BAD_LAYOUT');
    expectCatalogError(() => validateLabel(bad({ offsetBytes: 4096, slotBytes: 60 * KiB, journalBytes: 64 * KiB })), 'BAD_LAYOUT');
    expectCatalogError(() => validateLabel(bad({ offsetBytes: 4096, slotBytes: 64 * KiB, journalBytes: 32 * KiB })), 'BAD_LAYOUT');
    expectCatalogError(() => validateLabel(bad({ offsetBytes: 6144, slotBytes: 64 * KiB, journalBytes: 64 * KiB })), 'BAD_LAYOUT');
    expectCatalogError(() => validateLabel(bad({ offsetBytes: 4096, slotBytes: 32 * MiB, journalBytes: 4 * MiB })), 'BAD_LAYOUT');
  });
});
