/**
 * Host tests of @thinfleet/dm-native: argument validation, the error shape, the behaviour on a
 * host without device-mapper, and block I/O on a loop device over a sparse temp file. Needs the
 * addon built (`npm run build -w @thinfleet/dm-native`) and root for the loop device.
 * The device-mapper ioctls themselves run against a real kernel in test/smoke-kernel.mjs.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readlink, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dm from '@thinfleet/dm-native';
import type { DmNativeError } from '@thinfleet/dm-native';

/** Awaits `promise`, expecting it to reject, and returns the rejection. */
async function rejection(promise: Promise<unknown>): Promise<DmNativeError> {
  try {
    await promise;
  } catch (err) {
    return err as DmNativeError;
  }
  throw new Error('expected the call to reject, but it resolved');
}

describe('addon', () => {
  it('is built and loads', () => {
    const err = dm.addonLoadError();
    expect(err, err?.message).toBeNull();
  });
});

describe('argument validation', () => {
  const cases: Array<[string, () => Promise<unknown>, ErrorConstructor, RegExp]> = [
    ['dmCreate name type', () => dm.dmCreate(42 as unknown as string, null), TypeError, /dmCreate: name must be a string/],
    ['dmCreate empty name', () => dm.dmCreate('', null), RangeError, /name must not be empty/],
    ['dmCreate long name', () => dm.dmCreate('n'.repeat(128), null), RangeError, /name must be at most 127 bytes, got 128/],
    ['dmCreate multibyte name', () => dm.dmCreate('é'.repeat(64), null), RangeError, /name must be at most 127 bytes, got 128/],
    ['dmCreate NUL in name', () => dm.dmCreate('a\0b', null), RangeError, /name must not contain NUL/],
    ['dmCreate long uuid', () => dm.dmCreate('ok', 'u'.repeat(129)), RangeError, /uuid must be at most 128 bytes/],
    ['dmCreate uuid type', () => dm.dmCreate('ok', 5 as unknown as string), TypeError, /uuid must be a string/],
    ['dmRemove options type', () => dm.dmRemove('ok', 'deferred' as never), TypeError, /options must be an object/],
    ['dmRemove flag type', () => dm.dmRemove('ok', { deferred: 1 as unknown as boolean }), TypeError, /options\.deferred must be a boolean/],
    ['dmSuspend flag type', () => dm.dmSuspend('ok', { noFlush: 'yes' as unknown as boolean }), TypeError, /options\.noFlush/],
    ['dmLoadTable targets type', () => dm.dmLoadTable('ok', {} as never), TypeError, /targets must be an array/],
    ['dmLoadTable target type', () => dm.dmLoadTable('ok', [null as never]), TypeError, /targets\[0\] must be an object/],
    [
      'dmLoadTable fractional sector',
      () => dm.dmLoadTable('ok', [{ startSector: 0.5, lengthSectors: 8, type: 'zero', params: '' }]),
      RangeError,
      /targets\[0\]\.startSector must be an integer/,
    ],
    ['dmLoadTable unsafe length', () => dm.dmLoadTable('ok', [{ startSector: 0, lengthSectors: 2 ** 53, type: 'zero', params: '' }]), RangeError, /targets\[0\]\.lengthSectors/],
    [
      'dmLoadTable long type',
      () => dm.dmLoadTable('ok', [{ startSector: 0, lengthSectors: 8, type: 't'.repeat(16), params: '' }]),
      RangeError,
      /targets\[0\]\.type must be at most 15 bytes/,
    ],
    [
      'dmLoadTable params type',
      () => dm.dmLoadTable('ok', [{ startSector: 0, lengthSectors: 8, type: 'zero', params: 7 as unknown as string }]),
      TypeError,
      /targets\[0\]\.params must be a string/,
    ],
    ['dmMessage negative sector', () => dm.dmMessage('ok', -1, 'x'), RangeError, /sector must be an integer/],
    ['dmMessage empty message', () => dm.dmMessage('ok', 0, ''), RangeError, /message must not be empty/],
    ['dmWaitEvent eventNr range', () => dm.dmWaitEvent('ok', 2 ** 32), RangeError, /eventNr must be an integer from 0 to 4294967295/],
    ['dmInfo name type', () => dm.dmInfo(undefined as unknown as string), TypeError, /dmInfo: name must be a string, got undefined/],
    ['mknodBlock major range', () => dm.mknodBlock('/tmp/x', 4096, 0), RangeError, /major must be an integer from 0 to 4095/],
    ['mknodBlock minor type', () => dm.mknodBlock('/tmp/x', 7, '0' as unknown as number), TypeError, /minor must be a number/],
    ['unlinkNode empty path', () => dm.unlinkNode(''), RangeError, /path must not be empty/],
    ['blockRead misaligned offset', () => dm.blockRead('/dev/null', 100, 512), RangeError, /offsetBytes must be a multiple of 512/],
    ['blockRead zero length', () => dm.blockRead('/dev/null', 0, 0), RangeError, /lengthBytes must be a positive multiple of 512/],
    ['blockZeroOut misaligned length', () => dm.blockZeroOut('/dev/null', 0, 513), RangeError, /lengthBytes must be a positive multiple/],
    ['blockDiscard unsafe offset', () => dm.blockDiscard('/dev/null', 2 ** 60, 512), RangeError, /offsetBytes must be an integer/],
    ['blockWrite data type', () => dm.blockWrite('/dev/null', 0, 'abc' as unknown as Uint8Array), TypeError, /data must be a Uint8Array/],
    ['blockWrite data length', () => dm.blockWrite('/dev/null', 0, new Uint8Array(100)), RangeError, /data\.length must be a positive multiple of 512/],
    ['loopAttach path type', () => dm.loopAttach(null as unknown as string), TypeError, /loopAttach: filePath must be a string, got null/],
    ['loopAttach flag type', () => dm.loopAttach('/tmp/x', { readOnly: 'no' as unknown as boolean }), TypeError, /options\.readOnly/],
  ];

  it.each(cases)('%s', async (_label, call, type, message) => {
    const err = await rejection(call());
    expect(err).toBeInstanceOf(type);
    expect(err.message).toMatch(message);
  });
});

/** Without device-mapper, opening the control node fails ENOENT (no node) or ENODEV (a node, no driver). */
const noDeviceMapper = ['ENOENT', 'ENODEV'];
const controlOpenError = (): string => (existsSync(dm.DM_CONTROL_PATH) ? 'ENODEV' : 'ENOENT');

describe('device-mapper on this host', () => {
  it('dmVersion answers 4.x with device-mapper and rejects ENOENT without it', async () => {
    if (dm.hasDeviceMapper()) {
      const version = await dm.dmVersion();
      expect(version.major).toBe(4);
      expect(version.minor).toBeGreaterThan(0);
    } else {
      const err = await rejection(dm.dmVersion());
      expect(noDeviceMapper).toContain(err.code);
      expect(err.syscall).toBe('open');
      expect(err.operation).toBe('DM_VERSION');
      expect(err.path).toBe(dm.DM_CONTROL_PATH);
      expect(err.message).toMatch(/device-mapper is not available on this host/);
      expect(err.message).toMatch(/dm_mod/);
    }
  });

  it('dmInfo of an unknown name rejects with a DmNativeError (ENXIO, or ENOENT without device-mapper)', async () => {
    const err = await rejection(dm.dmInfo('thinfleet-test-no-such-device'));
    const expected = dm.hasDeviceMapper() ? { code: 'ENXIO', errno: 6 } : { code: controlOpenError(), errno: controlOpenError() === 'ENOENT' ? 2 : 19 };
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ ...expected, operation: 'DM_DEV_STATUS', device: 'thinfleet-test-no-such-device' });
    expect(err.message).toMatch(new RegExp(`^DM_DEV_STATUS thinfleet-test-no-such-device: ${expected.code} \\(`));
    expect(dm.isDmNativeError(err, expected.code)).toBe(true);
    expect(dm.isDmNativeError(err, 'EBUSY')).toBe(false);
  });

  it('every dm call rejects the same way without device-mapper', async () => {
    if (dm.hasDeviceMapper()) {
      expect(Array.isArray(await dm.dmListTargetVersions())).toBe(true);
      return;
    }
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['DM_LIST_DEVICES', () => dm.dmListDevices()],
      ['DM_LIST_VERSIONS', () => dm.dmListTargetVersions()],
      ['DM_DEV_CREATE', () => dm.dmCreate('t1', 'uuid-1')],
      ['DM_DEV_REMOVE', () => dm.dmRemove('t1', { deferred: true })],
      ['DM_DEV_SUSPEND', () => dm.dmSuspend('t1', { noFlush: true, skipLockfs: true })],
      ['DM_DEV_SUSPEND', () => dm.dmResume('t1')],
      ['DM_TABLE_LOAD', () => dm.dmLoadTable('t1', [{ startSector: 0, lengthSectors: 8, type: 'zero', params: '' }])],
      ['DM_TABLE_CLEAR', () => dm.dmClearTable('t1')],
      ['DM_TABLE_STATUS', () => dm.dmTable('t1', { inactive: true })],
      ['DM_TABLE_STATUS', () => dm.dmStatus('t1', { noFlush: true })],
      ['DM_TABLE_DEPS', () => dm.dmDeps('t1')],
      ['DM_TARGET_MSG', () => dm.dmMessage('t1', 0, 'create_thin 0')],
      ['DM_DEV_WAIT', () => dm.dmWaitEvent('t1', 0)],
    ];
    for (const [operation, call] of calls) {
      const err = await rejection(call());
      expect(err).toMatchObject({ code: controlOpenError(), syscall: 'open', operation });
    }
  });
});

describe('block and loop devices', () => {
  const SIZE = 4 << 20;
  let dir = '';
  let image = '';
  let loop: string | null = null;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dm-native-test-'));
    image = join(dir, 'disk.img');
    await writeFile(image, '');
    await truncate(image, SIZE); // sparse
    try {
      loop = await dm.loopAttach(image);
    } catch (err) {
      throw new Error(`these tests need a loop device (root and /dev/loop-control); loopAttach failed: ${(err as Error).message}`, { cause: err });
    }
  });

  afterAll(async () => {
    if (loop !== null && (await dm.loopBackingFile(loop).catch(() => null)) !== null) {
      await dm.loopDetach(loop);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('attaches the file to /dev/loopN and reports it as the backing file', async () => {
    expect(loop).toMatch(/^\/dev\/loop\d+$/);
    expect(await dm.loopBackingFile(loop!)).toBe(image);
    expect(await dm.blockSizeBytes(loop!)).toBe(SIZE);
    const dev = await dm.blockDeviceNumber(loop!);
    expect(dev.major).toBe(7);
    expect(dev.minor).toBe(Number(loop!.slice('/dev/loop'.length)));
  });

  it('round-trips blockWrite and blockRead, then zeroes with blockZeroOut and blockDiscard', async () => {
    const data = Buffer.alloc(8192);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    await dm.blockWrite(loop!, 65536, data);
    expect((await dm.blockRead(loop!, 65536, 8192)).equals(data)).toBe(true);
    // an unaligned view of the same bytes is copied, not required to be aligned
    await dm.blockWrite(loop!, SIZE - 4096, new Uint8Array(data.buffer, data.byteOffset + 512, 4096));
    expect((await dm.blockRead(loop!, SIZE - 4096, 4096)).equals(data.subarray(512, 4608))).toBe(true);

    await dm.blockZeroOut(loop!, 65536, 4096);
    const afterZero = await dm.blockRead(loop!, 65536, 8192);
    expect(afterZero.subarray(0, 4096).every((b) => b === 0)).toBe(true);
    expect(afterZero.subarray(4096).equals(data.subarray(4096))).toBe(true);

    await dm.blockDiscard(loop!, 65536, 8192);
    expect((await dm.blockRead(loop!, 65536, 8192)).every((b) => b === 0)).toBe(true);
  });

  it('blockKeepOpen keeps one counted write descriptor per path that blockWrite uses, blockRelease closes it', async () => {
    // A symlink to the loop device, kept open, then pointed at /dev/null: writes through the
    // path reach the loop device only if they use the kept descriptor.
    const link = join(dir, 'kept-link');
    await symlink(loop!, link);
    const openOnLoop = async (): Promise<number> => {
      const fds = await readdir('/proc/self/fd');
      const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
      return targets.filter((t) => t === loop).length;
    };
    const before = await openOnLoop();
    await dm.blockKeepOpen(link);
    await dm.blockKeepOpen(link);
    expect(await openOnLoop()).toBe(before + 1);
    await rm(link);
    await symlink('/dev/null', link);
    const data = Buffer.alloc(4096, 0x5a);
    await dm.blockWrite(link, 256 * 4096, data);
    expect((await dm.blockRead(loop!, 256 * 4096, 4096)).equals(data)).toBe(true);

    await dm.blockRelease(link);
    expect(await openOnLoop()).toBe(before + 1);
    await dm.blockRelease(link);
    expect(await openOnLoop()).toBe(before);
    await dm.blockRelease(link); // not kept: nothing happens
    // Released: a write opens the path again, which is /dev/null now (no O_DIRECT there).
    expect(await rejection(dm.blockWrite(link, 256 * 4096, Buffer.alloc(4096, 0x11)))).toMatchObject({ code: 'EINVAL', syscall: 'open' });
    expect((await dm.blockRead(loop!, 256 * 4096, 4096)).equals(data)).toBe(true);
    expect(await rejection(dm.blockKeepOpen(join(dir, 'missing')))).toMatchObject({ code: 'ENOENT', operation: 'blockKeepOpen' });
  });

  it('runs many calls at once off the JS thread', async () => {
    const blocks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(4096, i + 1));
    await Promise.all(blocks.map((b, i) => dm.blockWrite(loop!, (128 + i) * 4096, b)));
    const [sizes, reads] = await Promise.all([
      Promise.all(Array.from({ length: 64 }, () => dm.blockSizeBytes(loop!))),
      Promise.all(blocks.map((_, i) => dm.blockRead(loop!, (128 + i) * 4096, 4096))),
    ]);
    expect(sizes.every((s) => s === SIZE)).toBe(true);
    expect(reads.every((r, i) => r.equals(blocks[i]!))).toBe(true);
  });

  it('rejects I/O past the end of the device with errno codes', async () => {
    expect(await rejection(dm.blockRead(loop!, SIZE, 512))).toMatchObject({
      code: 'ENXIO',
      syscall: 'pread',
      operation: 'blockRead',
      device: loop,
    });
    expect(await rejection(dm.blockWrite(loop!, SIZE, Buffer.alloc(512)))).toMatchObject({
      code: 'ENOSPC',
      syscall: 'pwrite',
      operation: 'blockWrite',
    });
    expect(await rejection(dm.blockZeroOut(loop!, SIZE, 512))).toMatchObject({
      code: 'EINVAL',
      errno: 22,
      syscall: 'ioctl',
      operation: 'BLKZEROOUT',
      device: loop,
    });
  });

  it('read-only attachments refuse writes', async () => {
    const ro = await dm.loopAttach(image, { readOnly: true });
    try {
      expect(await dm.loopBackingFile(ro)).toBe(image);
      expect(await rejection(dm.blockWrite(ro, 0, Buffer.alloc(512)))).toMatchObject({ code: 'EPERM' });
    } finally {
      await dm.loopDetach(ro);
    }
  });

  it('detaches, then reports no backing file and ENXIO on a second detach', async () => {
    const second = await dm.loopAttach(image);
    await dm.loopDetach(second);
    expect(await dm.loopBackingFile(second)).toBeNull();
    expect(await rejection(dm.loopDetach(second))).toMatchObject({
      code: 'ENXIO',
      errno: 6,
      syscall: 'ioctl',
      operation: 'LOOP_CLR_FD',
      device: second,
    });
  });

  it('gives block calls on a regular file ENOTTY/ENOTBLK errors with code, errno, operation, device', async () => {
    const size = await rejection(dm.blockSizeBytes(image));
    expect(['ENOTTY', 'ENOTBLK']).toContain(size.code);
    expect(size).toMatchObject({ syscall: 'ioctl', operation: 'BLKGETSIZE64', device: image });
    expect(size.errno).toBeGreaterThan(0);
    expect(size.message).toBe(`BLKGETSIZE64 ${image}: ${size.code} (Inappropriate ioctl for device)`);

    expect(await rejection(dm.blockDeviceNumber(image))).toMatchObject({
      code: 'ENOTBLK',
      errno: 15,
      syscall: 'stat',
      operation: 'blockDeviceNumber',
      device: image,
    });
    expect(await rejection(dm.blockSizeBytes(join(dir, 'missing')))).toMatchObject({
      code: 'ENOENT',
      syscall: 'open',
      operation: 'BLKGETSIZE64',
    });
    expect(await rejection(dm.loopBackingFile(image))).toMatchObject({ code: 'ENOTTY', operation: 'LOOP_GET_STATUS64' });
  });

  it('mknodBlock makes parents, is idempotent, replaces a different node; unlinkNode tolerates ENOENT', async () => {
    const node = join(dir, 'dev', 'mapper', 'vol');
    const { major, minor } = await dm.blockDeviceNumber(loop!);
    await dm.mknodBlock(node, major, minor);
    await dm.mknodBlock(node, major, minor);
    expect(await dm.blockDeviceNumber(node)).toEqual({ major, minor });
    expect(await dm.blockSizeBytes(node)).toBe(SIZE);

    await dm.mknodBlock(node, 7, 250);
    expect(await dm.blockDeviceNumber(node)).toEqual({ major: 7, minor: 250 });

    const file = join(dir, 'dev', 'plain');
    await writeFile(file, 'not a node');
    await dm.mknodBlock(file, major, minor);
    expect(await dm.blockDeviceNumber(file)).toEqual({ major, minor });

    await dm.unlinkNode(node);
    await dm.unlinkNode(node);
    expect(await rejection(dm.blockDeviceNumber(node))).toMatchObject({ code: 'ENOENT' });
    expect(await rejection(dm.unlinkNode(join(dir, 'dev')))).toMatchObject({ code: 'EISDIR', syscall: 'unlink' });
  });
});

describe('fence and watchdog argument validation', () => {
  const plan = { pool: 'p', devicePrefix: 'tf-p-', metaDevice: 'tf-p-_tmeta', dataDevice: 'tf-p-_tdata', poolDevice: 'tf-p-_tpool' };
  const cases: Array<[string, () => unknown, ErrorConstructor, RegExp]> = [
    ['dmFencePool plan type', () => dm.dmFencePool(null as never, 500), TypeError, /dmFencePool: plan must be an object/],
    ['dmFencePool missing device', () => dm.dmFencePool({ ...plan, metaDevice: undefined } as never, 500), TypeError, /plan\.metaDevice: name must be a string/],
    ['dmFencePool wait range', () => dm.dmFencePool(plan, 60_001), RangeError, /volumeSuspendWaitMs must be an integer from 0 to 60000/],
    ['watchdogArm zero timeout', () => dm.watchdogArm('/tmp/x', 0, 10), RangeError, /timeoutSeconds must be at least 1/],
    ['watchdogArm interval over timeout', () => dm.watchdogArm('/tmp/x', 1, 1001), RangeError, /petIntervalMs must be an integer from 0 to 1000/],
    ['watchdogArm empty path', () => dm.watchdogArm('', 10, 100), RangeError, /path must not be empty/],
    ['watchdogSetDeadline negative', () => dm.watchdogSetDeadline(-1), RangeError, /monotonicMs/],
    ['watchdogSetFencePlans not an array', () => dm.watchdogSetFencePlans({} as never, 500), TypeError, /plans must be an array/],
  ];
  it.each(cases)('%s', async (_label, call, type, message) => {
    const err = await (async () => call())().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(type);
    expect(String(err)).toMatch(message);
  });

  it('monotonicNowMs is CLOCK_MONOTONIC in ms (the clock of process.hrtime) and never goes back', () => {
    const a = dm.monotonicNowMs();
    const hr = Number(process.hrtime.bigint() / 1_000_000n);
    const b = dm.monotonicNowMs();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(hr - a)).toBeLessThan(1000);
  });
});
