import { describe, expect, it } from 'vitest';
import {
  checkPoolName,
  checkVolumeName,
  computeLayout,
  defaultMetadataBytes,
  isEngineError,
  MAX_METADATA_BYTES,
  MIN_METADATA_BYTES,
  poolDeviceNames,
  volumeDeviceName,
} from '@thinfleet/engine';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('names', () => {
  it('accepts LVM-style names and rejects the rest', () => {
    expect(checkPoolName('vms-1.a_b+c')).toBe('vms-1.a_b+c');
    for (const bad of ['', '-x', '_x', '.x', 'a b', 'a/b', 'ä', 'x'.repeat(33), 42]) {
      expect(() => checkPoolName(bad)).toThrow(/pool name/);
    }
    expect(checkVolumeName('p', 'x'.repeat(64))).toHaveLength(64);
    expect(() => checkVolumeName('p', 'x'.repeat(65))).toThrow(/longer than 64/);
  });

  it('never gives two pool/volume pairs the same device name', () => {
    expect(volumeDeviceName('a-b', 'c')).not.toBe(volumeDeviceName('a', 'b-c'));
    expect(volumeDeviceName('a-b', 'c')).toBe('tf-a--b-c');
    const own = Object.values(poolDeviceNames('p'));
    expect(own).toEqual(['tf-p-_tpool', 'tf-p-_tmeta', 'tf-p-_tdata']);
    expect(() => checkVolumeName('p', '_tpool')).toThrow();
  });

  it('refuses a volume name whose escaped device name is too long for the kernel', () => {
    const pool = 'p'.repeat(32);
    // 64 characters, 32 of them '-': 3 + 32 + 1 + 96 = 132 bytes once escaped.
    expect(() => checkVolumeName(pool, 'a-'.repeat(32))).toThrow(/device-mapper name/);
    expect(checkVolumeName(pool, 'a'.repeat(64))).toHaveLength(64);
    try {
      checkVolumeName(pool, 'bad name', 'item-7');
    } catch (err) {
      expect(isEngineError(err, 'INVALID_NAME') && err.item).toBe('item-7');
    }
  });
});

describe('layout', () => {
  it('puts the catalog, metadata and data on device 0 and data on the others, block-aligned', () => {
    const layout = computeLayout({ deviceSizesBytes: [1 * GiB, 512 * MiB + 12345], catalogSlotBytes: MiB, catalogJournalBytes: MiB });
    expect(layout.catalog).toEqual({ offsetBytes: MiB, slotBytes: MiB, journalBytes: MiB });
    expect(layout.metadata.offsetBytes).toBe(4 * MiB);
    expect(layout.metadata.lengthBytes).toBe(MIN_METADATA_BYTES);
    expect(layout.data[0]).toEqual({ deviceIndex: 0, offsetBytes: 8 * MiB, lengthBytes: GiB - 8 * MiB });
    expect(layout.data[1]).toEqual({ deviceIndex: 1, offsetBytes: MiB, lengthBytes: 511 * MiB });
    expect(layout.dataBlocks).toBe((GiB - 8 * MiB + 511 * MiB) / (64 * 1024));
  });

  it('sizes kernel metadata from the data size within bounds', () => {
    expect(defaultMetadataBytes(GiB, 64 * 1024)).toBe(MIN_METADATA_BYTES);
    expect(defaultMetadataBytes(1024 * GiB, 64 * 1024)).toBe(1536 * MiB);
    expect(defaultMetadataBytes(2 ** 50, 64 * 1024)).toBe(MAX_METADATA_BYTES);
    expect(defaultMetadataBytes(1024 * GiB, 1024 * 1024)).toBe(96 * MiB);
  });

  it('rejects bad block sizes and devices too small', () => {
    expect(() => computeLayout({ deviceSizesBytes: [GiB], dataBlockBytes: 96 * 1024 })).toThrow(/multiple of 64 KiB/);
    expect(() => computeLayout({ deviceSizesBytes: [GiB], dataBlockBytes: 2 * GiB })).toThrow(/multiple of 64 KiB/);
    expect(() => computeLayout({ deviceSizesBytes: [] })).toThrow(/at least one device/);
    expect(() => computeLayout({ deviceSizesBytes: [40 * MiB] })).toThrow(/too small/);
    expect(() => computeLayout({ deviceSizesBytes: [GiB, MiB] })).toThrow(/device 1 .* too small/);
    expect(() => computeLayout({ deviceSizesBytes: [GiB], metadataBytes: MiB })).toThrow(/metadata size/);
  });
});
