/**
 * Pool.readCopyWindow (what a sparse copy reads of its source) and the job mark's `args` (where
 * a copy keeps its source for the pool's next holder), on the simulated kernel: the mapped
 * ranges of a window, their bytes, the whole window with an external origin, the helper device
 * of an inactive volume made and removed within the call (and by start-up after a crash), and
 * hostile input.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEngineError, type Engine, type JobMark } from '@thinfleet/engine';
import { EngineTestHost, expectSameBytes, pattern, SMALL_CATALOG } from './support/engine-test-host.js';
import { copyHelperDeviceName } from '../src/names.js';

const MiB = 1024 * 1024;
/** The engine's default data block: 64 KiB. */
const BLOCK = MiB / 16;

/** The test host and its engine, opened afresh for each test. */
const t = {} as { host: EngineTestHost; engine: Engine };
beforeEach(async () => {
  t.host = await EngineTestHost.open();
  t.engine = t.host.engine();
});
afterEach(() => t.host.teardown());

const helpers = async (): Promise<string[]> => (await t.host.dm.list()).map((d) => d.name).filter((n) => n.includes('-_copy-'));

async function refusal(promise: Promise<unknown>): Promise<{ code: string; argument?: string }> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isEngineError(err)) throw new Error(`expected an EngineError, got ${String(err)}`);
  return { code: err.code, ...(err.argument === undefined ? {} : { argument: err.argument }) };
}

describe('Pool.readCopyWindow', () => {
  it('reads the mapped ranges of an inactive volume through a helper device it removes, and the whole window with an origin', async () => {
    const pool = await t.engine.createPool({ name: t.host.poolName(), devices: await t.host.devices(1), ...SMALL_CATALOG });
    const v = await pool.createVolume('v', 2 * MiB, { activate: true });
    await t.host.block.write(v.devicePath!, BLOCK, pattern(1, BLOCK));
    await t.host.block.write(v.devicePath!, 3 * BLOCK, pattern(2, 2 * BLOCK));
    await pool.deactivateVolume('v');

    const read = await pool.readCopyWindow(v.uuid, 0, MiB, false);
    expect(read.mapped).toEqual([
      { offsetBytes: BLOCK, lengthBytes: BLOCK },
      { offsetBytes: 3 * BLOCK, lengthBytes: 2 * BLOCK },
    ]);
    expect(read.runs.map((r) => [r.offsetBytes, r.data.length])).toEqual([
      [BLOCK, BLOCK],
      [3 * BLOCK, 2 * BLOCK],
    ]);
    expectSameBytes(read.runs[1]!.data, pattern(2, 2 * BLOCK));
    // A window that starts and ends inside blocks clips the ranges to itself.
    const inner = await pool.readCopyWindow(v.uuid, BLOCK + 512, 3 * BLOCK, false);
    expect(inner.mapped).toEqual([
      { offsetBytes: BLOCK + 512, lengthBytes: BLOCK - 512 },
      { offsetBytes: 3 * BLOCK, lengthBytes: BLOCK + 512 },
    ]);
    // Nothing mapped: no helper is made at all.
    expect((await pool.readCopyWindow(v.uuid, MiB, MiB, false)).runs).toEqual([]);
    expect(await helpers()).toEqual([]);
    expect((await pool.show('v')).active).toBe(false);

    const [image] = await t.host.devices(1, MiB);
    await t.host.block.write(image!, 0, pattern(9, MiB));
    const e = await pool.createExternal('e', image!, { activate: true });
    await t.host.block.write(e.devicePath!, 0, Buffer.alloc(BLOCK));
    const whole = await pool.readCopyWindow(e.uuid, 0, MiB, true);
    expect(whole.mapped).toEqual([{ offsetBytes: 0, lengthBytes: BLOCK }]);
    const expected = pattern(9, MiB);
    expected.fill(0, 0, BLOCK);
    expect(whole.runs.length).toBe(1);
    expectSameBytes(whole.runs[0]!.data, expected);
  });

  it('refuses a uuid it does not know and a window outside the volume; start-up removes a helper a crash left', async () => {
    const pool = await t.engine.createPool({ name: t.host.poolName(), devices: await t.host.devices(1), ...SMALL_CATALOG });
    const v = await pool.createVolume('v', MiB);
    expect(await refusal(pool.readCopyWindow('no-such-uuid', 0, MiB, false))).toEqual({ code: 'NO_SUCH_VOLUME' });
    expect(await refusal(pool.readCopyWindow('__proto__', 0, MiB, false))).toEqual({ code: 'NO_SUCH_VOLUME' });
    expect(await refusal(pool.readCopyWindow(v.uuid, MiB, 512, false))).toEqual({ code: 'INVALID_ARGUMENT', argument: 'offsetBytes' });
    expect(await refusal(pool.readCopyWindow(v.uuid, 100, 512, false))).toEqual({ code: 'INVALID_ARGUMENT', argument: 'offsetBytes' });
    expect(await refusal(pool.readCopyWindow(v.uuid, 0, 0, false))).toEqual({ code: 'INVALID_ARGUMENT', argument: 'lengthBytes' });
    expect(await refusal(pool.readCopyWindow(v.uuid, 0, 65 * MiB, false))).toEqual({ code: 'INVALID_ARGUMENT', argument: 'lengthBytes' });

    // A helper device left by a crash (made by hand here) is removed at the next start-up.
    const name = copyHelperDeviceName(pool.name, 1);
    await t.host.dm.create(name, { uuid: 'left-by-a-crash' });
    await pool.deactivate();
    await (await t.host.engine().activatePool(pool.name, pool.devicePaths)).recover();
    expect(await helpers()).toEqual([]);
  });
});

describe('job mark args', () => {
  it('are kept with the mark, and malformed ones refused', async () => {
    const pool = await t.engine.createPool({ name: t.host.poolName(), devices: await t.host.devices(1), ...SMALL_CATALOG });
    await pool.createVolume('v', MiB);
    const mark: JobMark = { kind: 'copy', jobId: 'j1', doneBytes: 0, chunkBytes: BLOCK, createdMs: 1, phase: 'copy', args: { sourcePool: 'p', sourceUuid: 'u' } };
    expect((await pool.markJob('v', mark)).job).toEqual(mark);
    expect((await pool.list())[0]!.job).toEqual(mark);
    const bad = (args: unknown) => refusal(pool.markJob('v', { ...mark, args } as JobMark));
    expect(await bad({ 'bad key': 'x' })).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'mark' });
    expect(await bad({ k: 'a\0b' })).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'mark' });
    expect(await bad({ k: 'x'.repeat(4097) })).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'mark' });
    expect(await bad(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])))).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'mark' });
    expect(await bad(['a'])).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'mark' });
    expect((await pool.show('v')).job).toEqual(mark);
  });
});

describe('a create with a given uuid (a volume moved from another pool keeps its uuid; the rule is the one the live move uses)', () => {
  it('makes the volume with that uuid, and refuses a malformed uuid or one the pool has', async () => {
    const pool = await t.engine.createPool({ name: t.host.poolName(), devices: await t.host.devices(1), ...SMALL_CATALOG });
    const other = await pool.createVolume('other', MiB);
    const made = await pool.batch([{ item: 'c', op: 'create', volume: 'moved', sizeBytes: MiB, uuid: 'f00dfeed-0000-4000-8000-000000000001' }]);
    expect(made.items[0]!.volume).toMatchObject({ name: 'moved', uuid: 'f00dfeed-0000-4000-8000-000000000001' });
    const [image] = await t.host.devices(1, MiB);
    const ext = await pool.batch([{ item: 'e', op: 'create-external', volume: 'ext', externalOrigin: image!, uuid: 'f00dfeed-0000-4000-8000-000000000002' }]);
    expect(ext.items[0]!.volume).toMatchObject({ uuid: 'f00dfeed-0000-4000-8000-000000000002', externalOrigin: image });
    const refused = (uuid: unknown) => refusal(pool.batch([{ item: 'c', op: 'create', volume: 'x', sizeBytes: MiB, uuid } as never]));
    expect(await refused(other.uuid)).toEqual({ code: 'NAME_EXISTS', argument: 'uuid' });
    expect(await refused('f00dfeed-0000-4000-8000-000000000001')).toEqual({ code: 'NAME_EXISTS', argument: 'uuid' });
    expect(await refused('__proto__')).toEqual({ code: 'INVALID_ARGUMENT', argument: 'uuid' });
    expect(await refused('x'.repeat(65))).toEqual({ code: 'INVALID_ARGUMENT', argument: 'uuid' });
    expect(await refused(7)).toEqual({ code: 'INVALID_ARGUMENT', argument: 'uuid' });
    // Two items of one batch cannot both take it.
    const twice = pool.batch([
      { item: 'a', op: 'create', volume: 'a', sizeBytes: MiB, uuid: '0123abcd-0000-4000-8000-00000000000a' },
      { item: 'b', op: 'create', volume: 'b', sizeBytes: MiB, uuid: '0123abcd-0000-4000-8000-00000000000a' },
    ]);
    expect(await refusal(twice)).toEqual({ code: 'NAME_EXISTS', argument: 'uuid' });
    expect((await pool.list()).map((v) => v.name)).toEqual(['ext', 'moved', 'other']);
  });
});
