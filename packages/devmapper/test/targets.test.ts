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
  isValidSnapshotChunkSectors,
  parseSnapshotStatus,
  parseSnapshotMergeStatus,
  formatSnapshotStatus,
  type DmTarget,
  type SnapshotStatus,
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
    [{ type: 'snapshot-origin', device: '7:0' }, '7:0'],
    [{ type: 'snapshot', originDevice: '7:0', cowDevice: '253:4', store: 'P', chunkSectors: 8 }, '7:0 253:4 P 8'],
    [{ type: 'snapshot', originDevice: '/dev/loop0', cowDevice: '/dev/loop1', store: 'PO', chunkSectors: 16 }, '/dev/loop0 /dev/loop1 PO 16'],
    [{ type: 'snapshot', originDevice: '7:0', cowDevice: '7:1', store: 'N', chunkSectors: 4_194_304 }, '7:0 7:1 N 4194304'],
    [{ type: 'snapshot', originDevice: '7:0', cowDevice: '7:1', store: 'P', chunkSectors: 0 }, '7:0 7:1 P 0'],
    [{ type: 'snapshot-merge', originDevice: '7:0', cowDevice: '253:4', store: 'P', chunkSectors: 8 }, '7:0 253:4 P 8'],
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
    ['snapshot-origin', ''],
    ['snapshot-origin', '7:0 7:1'],
    ['snapshot', '7:0 7:1 P'],
    ['snapshot', '7:0 7:1 P 8 1 discard_zeroes_cow'],
  ])('rejects %s "%s"', (type, text) => {
    expect(() => parseTarget(type, text)).toThrow(TableParseError);
  });

  it.each([
    ['snapshot', '7:0 7:1 X 8', /store "X"/],
    ['snapshot', '7:0 7:1 PX 8', /store "PX"/],
    ['snapshot', '7:0 7:1 P 12', /chunk size 12 is not 0 or a power of two/],
    ['snapshot', '7:0 7:1 P 8388608', /chunk size 8388608/],
    ['snapshot', '7:0 7:1 P eight', /chunk size "eight" is not a number/],
    ['snapshot-merge', '7:0 7:1 N 8', /store N: snapshot-merge needs a persistent store/],
  ])('names the field in the error for %s "%s"', (type, text, why) => {
    expect(() => parseTarget(type, text)).toThrow(why);
  });

  it('takes the store letters in either case, as the kernel does, and formats them upper case', () => {
    const parsed = parseTarget('snapshot', '7:0 7:1 po 8');
    expect(parsed).toMatchObject({ store: 'PO' });
    expect(formatTargetParams(parsed)).toBe('7:0 7:1 PO 8');
  });

  it('knows the chunk sizes the snapshot targets accept', () => {
    expect([0, 1, 8, 2048, 4_194_304].every(isValidSnapshotChunkSectors)).toBe(true);
    expect([3, 12, -8, 1.5, 8_388_608].some(isValidSnapshotChunkSectors)).toBe(false);
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

  it('parses and formats snapshot statuses as the kernel prints them', () => {
    const examples: Array<[string, SnapshotStatus]> = [
      ['16/2097152 16', { state: 'active', allocatedSectors: 16, totalSectors: 2097152, metadataSectors: 16 }],
      ['397896/2097152 1560', { state: 'active', allocatedSectors: 397896, totalSectors: 2097152, metadataSectors: 1560 }],
      ['0/128 0', { state: 'active', allocatedSectors: 0, totalSectors: 128, metadataSectors: 0 }],
      ['Invalid', { state: 'invalid' }],
      ['Overflow', { state: 'overflow' }],
      ['Merge failed', { state: 'merge-failed' }],
    ];
    for (const [text, status] of examples) {
      expect(parseSnapshotStatus(text)).toEqual(status);
      expect(parseSnapshotStatus(` ${text} `)).toEqual(status);
      expect(formatSnapshotStatus(status)).toBe(text);
    }
    expect(() => parseSnapshotStatus('12 16')).toThrow(/usage "12" is not allocated\/total/);
    expect(() => parseSnapshotStatus('1/x 16')).toThrow(/total sectors "x"/);
    expect(() => parseSnapshotStatus('1/2 m')).toThrow(/metadata sectors "m"/);
    expect(() => parseSnapshotStatus('Merge')).toThrow(TableParseError);
    expect(() => parseSnapshotStatus('')).toThrow(TableParseError);
  });

  it('reads merge progress from a snapshot-merge status: allocated shrinks to the metadata sectors', () => {
    expect(parseSnapshotMergeStatus('281688/2097152 1104')).toEqual({
      state: 'active',
      allocatedSectors: 281688,
      totalSectors: 2097152,
      metadataSectors: 1104,
      remainingSectors: 280584,
      finished: false,
    });
    expect(parseSnapshotMergeStatus('16/2097152 16')).toMatchObject({ remainingSectors: 0, finished: true });
    expect(parseSnapshotMergeStatus('Merge failed')).toEqual({ state: 'merge-failed' });
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
