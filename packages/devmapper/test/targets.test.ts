import { describe, expect, it } from 'vitest';
import {
  formatTargetParams,
  formatThinPoolMessage,
  isValidDataBlockSectors,
  NO_THIN_POOL_FEATURES,
  parseTarget,
  parseThinPoolStatus,
  parseThinStatus,
  TableParseError,
  thinId,
  MAX_THIN_ID,
  type DmTarget,
} from '@thinfleet/devmapper';

describe('target tables', () => {
  const examples: Array<[DmTarget, string]> = [
    [{ type: 'linear', device: '7:0', offsetSectors: 2048 }, '7:0 2048'],
    [
      {
        type: 'thin-pool',
        metadataDevice: '253:0',
        dataDevice: '253:1',
        dataBlockSectors: 128,
        lowWaterMarkBlocks: 32768,
        features: NO_THIN_POOL_FEATURES,
      },
      '253:0 253:1 128 32768 0',
    ],
    [
      {
        type: 'thin-pool',
        metadataDevice: '/dev/loop0',
        dataDevice: '/dev/loop1',
        dataBlockSectors: 2048,
        lowWaterMarkBlocks: 0,
        features: { ...NO_THIN_POOL_FEATURES, skipBlockZeroing: true, errorIfNoSpace: true },
      },
      '/dev/loop0 /dev/loop1 2048 0 2 skip_block_zeroing error_if_no_space',
    ],
    [{ type: 'thin', poolDevice: '253:2', thinId: thinId(17) }, '253:2 17'],
    [{ type: 'thin', poolDevice: '253:2', thinId: thinId(MAX_THIN_ID), externalOrigin: '7:3' }, '253:2 16777215 7:3'],
    [{ type: 'error' }, ''],
    [{ type: 'zero' }, ''],
  ];

  it.each(examples)('formats and parses %j', (target, text) => {
    expect(formatTargetParams(target)).toBe(text);
    expect(parseTarget(target.type, text)).toEqual(target);
  });

  it('parses the kernel’s trailing spaces in thin-pool tables', () => {
    expect(parseTarget('thin-pool', '253:0 253:1 128 0 1 skip_block_zeroing ')).toMatchObject({
      features: { ...NO_THIN_POOL_FEATURES, skipBlockZeroing: true },
    });
  });

  it.each([
    ['linear', '7:0'],
    ['linear', '7:0 x'],
    ['thin-pool', '253:0 253:1 128 0 2 skip_block_zeroing'],
    ['thin-pool', '253:0 253:1 128 0 1 no_such_feature'],
    ['thin', '253:2 16777216'],
    ['thin', '253:2'],
    ['striped', '2 128 7:0 0 7:1 0'],
  ])('rejects %s "%s"', (type, text) => {
    expect(() => parseTarget(type, text)).toThrow(TableParseError);
  });

  it('knows the data block sizes dm-thin accepts', () => {
    expect([128, 256, 2048, 2_097_152].every(isValidDataBlockSectors)).toBe(true);
    expect([0, 64, 100, 192 + 1, 2_097_152 + 128].some(isValidDataBlockSectors)).toBe(false);
  });
});

describe('statuses', () => {
  it('parses a thin-pool status as kernel 6.1 prints it', () => {
    expect(parseThinPoolStatus('7 150/1024 9/1024 - rw discard_passdown queue_if_no_space - 256 ')).toEqual({
      failed: false,
      transactionId: 7n,
      usedMetadataBlocks: 150,
      totalMetadataBlocks: 1024,
      usedDataBlocks: 9,
      totalDataBlocks: 1024,
      heldMetadataRoot: null,
      mode: 'rw',
      discards: 'discard_passdown',
      errorIfNoSpace: false,
      needsCheck: false,
      metadataLowWaterMarkBlocks: 256,
    });
    expect(parseThinPoolStatus('18446744073709551615 10/20 20/20 4711 out_of_data_space ignore_discard error_if_no_space needs_check 5')).toMatchObject({
      transactionId: 18446744073709551615n,
      heldMetadataRoot: 4711,
      mode: 'out_of_data_space',
      needsCheck: true,
    });
    expect(parseThinPoolStatus('Fail')).toEqual({ failed: true });
    expect(() => parseThinPoolStatus('7 150 9/1024 - rw')).toThrow(TableParseError);
    expect(() => parseThinPoolStatus('7 1/2 3/4 - sideways discard_passdown queue_if_no_space - 1')).toThrow(/mode/);
  });

  it('parses thin statuses', () => {
    expect(parseThinStatus('256 767')).toEqual({ failed: false, mappedSectors: 256, highestMappedSector: 767 });
    expect(parseThinStatus('0 -')).toEqual({ failed: false, mappedSectors: 0, highestMappedSector: null });
    expect(parseThinStatus('Fail')).toEqual({ failed: true });
    expect(() => parseThinStatus('12')).toThrow(TableParseError);
  });
});

describe('thin ids and messages', () => {
  it('checks 24-bit thin ids', () => {
    expect(thinId(0)).toBe(0);
    expect(thinId(MAX_THIN_ID)).toBe(16_777_215);
    for (const bad of [-1, 1.5, MAX_THIN_ID + 1, Number.NaN]) expect(() => thinId(bad)).toThrow(RangeError);
  });

  it('formats messages as the kernel parses them', () => {
    expect(formatThinPoolMessage({ kind: 'create_thin', id: thinId(3) })).toBe('create_thin 3');
    expect(formatThinPoolMessage({ kind: 'create_snap', id: thinId(4), originId: thinId(3) })).toBe('create_snap 4 3');
    expect(formatThinPoolMessage({ kind: 'delete', id: thinId(4) })).toBe('delete 4');
    expect(formatThinPoolMessage({ kind: 'set_transaction_id', current: 1n, next: 2n })).toBe('set_transaction_id 1 2');
    expect(formatThinPoolMessage({ kind: 'reserve_metadata_snap' })).toBe('reserve_metadata_snap');
    expect(() => formatThinPoolMessage({ kind: 'set_transaction_id', current: -1n, next: 0n })).toThrow(RangeError);
    expect(() => formatThinPoolMessage({ kind: 'set_transaction_id', current: 0n, next: 1n << 64n })).toThrow(RangeError);
    expect(() => formatThinPoolMessage({ kind: 'delete', id: (MAX_THIN_ID + 1) as never })).toThrow(RangeError);
  });
});
