/**
 * Pool.flattenChunk and Pool.detachExternalOrigin on the simulated kernel: the copy of an
 * external origin into a volume that is active and written meanwhile, the detach, the helper
 * device's life, and hostile input. The crash story is in engine-crash.test.ts (scenario
 * "flatten and detach").
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEngineError, type Engine, type EngineErrorCode, type Pool } from '@thinfleet/engine';
import type { DmClient } from '@thinfleet/devmapper';
import { EngineTestHost, expectSameBytes, pattern, SMALL_CATALOG } from './support/engine-test-host.js';
import { poolCore } from '../src/pool.js';

const MiB = 1024 * 1024;
/** The pools' data block size (the engine's default). */
const BLOCK = MiB / 16;

let host: EngineTestHost;
let engine: Engine;

beforeEach(async () => ({ host, engine } = await EngineTestHost.open().then((h) => ({ host: h, engine: h.engine() }))));
afterEach(() => host.teardown());

async function refusal(promise: Promise<unknown>): Promise<{ code: EngineErrorCode; argument?: string; message: string }> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isEngineError(err)) throw new Error(`expected an EngineError, got ${String(err)}`);
  return { code: err.code, ...(err.argument === undefined ? {} : { argument: err.argument }), message: err.message };
}

/**
 * A pool with volume `vm` over a 1 MiB origin: blocks 0-3 and 8 of the origin hold patterns,
 * block 5 is all zero, the rest hold patterns too; the volume is 2 MiB (past the origin: zeros).
 */
async function setup(dm?: DmClient): Promise<{ pool: Pool; origin: Buffer; image: string }> {
  const pool = await (dm === undefined ? engine : host.engine({ dm })).createPool({ name: host.poolName(), devices: await host.devices(1), ...SMALL_CATALOG });
  const [image] = await host.devices(1, MiB);
  const origin = Buffer.alloc(MiB);
  for (let b = 0; b < MiB / BLOCK; b++) if (b !== 5) pattern(100 + b, BLOCK).copy(origin, b * BLOCK);
  await host.block.write(image!, 0, origin);
  await pool.createExternal('vm', image!, { sizeBytes: 2 * MiB });
  return { pool, origin, image: image! };
}

/** The volume's whole content. */
async function content(pool: Pool, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  const size = (await pool.show(name)).sizeBytes;
  for (let at = 0; at < size; at += MiB) parts.push(await pool.readVolume(name, at, MiB));
  return Buffer.concat(parts);
}

describe('Pool.flattenChunk and detachExternalOrigin', () => {
  it('copies only unmapped, non-zero origin blocks into an active volume, keeps its writes, and reads the same after the detach', async () => {
    const { pool, origin } = await setup();
    await pool.activateVolume('vm');
    // The VM wrote block 1 and half of block 3 (the rest of block 3 is the origin's, copied up by the kernel).
    await pool.writeVolume('vm', 1 * BLOCK, pattern(7, BLOCK));
    await pool.writeVolume('vm', 3 * BLOCK, pattern(8, BLOCK / 2));
    const expected = Buffer.alloc(2 * MiB);
    origin.copy(expected);
    pattern(7, BLOCK).copy(expected, BLOCK);
    pattern(8, BLOCK / 2).copy(expected, 3 * BLOCK);
    expectSameBytes(await content(pool, 'vm'), expected);

    // Two chunks of 512 KiB cover the origin; the third lies past it.
    const first = await pool.flattenChunk('vm', 0, MiB / 2);
    expect(first.copiedBytes).toBe(5 * BLOCK); // blocks 0, 2, 4, 6, 7: not 1 and 3 (written), not 5 (zero)
    expect(first.pauseMs).toBeGreaterThanOrEqual(0);
    expect((await pool.flattenChunk('vm', MiB / 2, MiB / 2)).copiedBytes).toBe(8 * BLOCK);
    expect(await pool.flattenChunk('vm', MiB, MiB)).toEqual({ copiedBytes: 0, pauseMs: 0 });
    // Idempotent: everything is mapped now (the mappings are still read, under a pause).
    expect((await pool.flattenChunk('vm', 0, MiB)).copiedBytes).toBe(0);
    expectSameBytes(await content(pool, 'vm'), expected);
    expect((await host.dm.list()).some((d) => d.name.includes('-_flat-'))).toBe(true);

    const seqBefore = poolCore(pool).catalog.seq;
    const detached = await pool.detachExternalOrigin('vm');
    expect(detached.externalOrigin).toBeNull();
    expect(poolCore(pool).catalog.seq, 'a catalog transaction: intent and commit').toBe(seqBefore + 2);
    expect([...pool.externalOriginsInUse()]).toEqual([]);
    const table = (await host.dm.table(poolCore(pool).names.pool.replace('_tpool', 'vm'))).map((l) => l.params).join(' ');
    expect(table.split(' ')).toHaveLength(2); // pool device and thin id, no origin
    expectSameBytes(await content(pool, 'vm'), expected);
    await pool.removeFlattenHelper('vm');
    await pool.removeFlattenHelper('vm'); // idempotent
    expect((await host.dm.list()).some((d) => d.name.includes('-_flat-'))).toBe(false);
  });

  it('never overwrites a write the VM issues while the chunk has the volume suspended', async () => {
    let queued: Promise<void> | undefined;
    let armed = false;
    // The VM writes block 2 (unmapped, so a copy candidate) the moment the volume is suspended.
    const dm: DmClient = Object.assign(Object.create(host.dm) as DmClient, {
      suspend: async (name: string, options?: object) => {
        const info = await host.dm.suspend(name, options);
        if (queued === undefined && armed && name.endsWith('-vm')) queued = host.block.write(host.dm.devicePath(name), 2 * BLOCK, pattern(9, BLOCK));
        return info;
      },
    });
    const { pool, origin } = await setup(dm);
    await pool.activateVolume('vm');
    armed = true;
    const result = await pool.flattenChunk('vm', 0, MiB);
    await queued;
    expect(queued).toBeDefined();
    expect(result.copiedBytes).toBe(15 * BLOCK); // block 2 was copied too: the VM's write was queued behind the resume
    const expected = Buffer.alloc(2 * MiB);
    origin.copy(expected);
    pattern(9, BLOCK).copy(expected, 2 * BLOCK);
    expectSameBytes(await content(pool, 'vm'), expected);
    await pool.detachExternalOrigin('vm');
    expectSameBytes(await content(pool, 'vm'), expected);
    expect((await host.dm.info(`${poolCore(pool).names.pool.replace('_tpool', 'vm')}`)).suspended).toBe(false);
  });

  it('copies into an inactive volume without a pause; recovery removes a helper device left behind', async () => {
    const { pool, origin } = await setup();
    const result = await pool.flattenChunk('vm', 0, 2 * MiB);
    expect(result).toEqual({ copiedBytes: 15 * BLOCK, pauseMs: 0 });
    const helpers = (await host.dm.list()).filter((d) => d.name.includes('-_flat-'));
    expect(helpers).toHaveLength(1);
    expect((await pool.list()).find((v) => v.name === 'vm')?.active).toBe(false);
    await pool.recover();
    expect((await host.dm.list()).filter((d) => d.name.includes('-_flat-'))).toEqual([]);
    await pool.detachExternalOrigin('vm');
    await pool.activateVolume('vm');
    const expected = Buffer.alloc(2 * MiB);
    origin.copy(expected);
    expectSameBytes(await content(pool, 'vm'), expected);
  });

  it('resumes the volume and fails DEADLINE_EXCEEDED when the pause passes the deadline', async () => {
    let clock = 0;
    const slow = host.engine({ snapshotDeadlineMs: 50, now: () => (clock += 30) });
    const pool = await slow.createPool({ name: host.poolName(), devices: await host.devices(1), ...SMALL_CATALOG });
    const [image] = await host.devices(1, MiB);
    for (let b = 0; b < 4; b++) await host.block.write(image!, 2 * b * BLOCK, pattern(b + 1, BLOCK)); // blocks 0, 2, 4, 6: four writes
    await pool.createExternal('vm', image!);
    await pool.activateVolume('vm');
    expect((await refusal(pool.flattenChunk('vm', 0, MiB))).code).toBe('DEADLINE_EXCEEDED');
    const name = poolCore(pool).names.pool.replace('_tpool', 'vm');
    expect((await host.dm.info(name)).suspended).toBe(false);
    expect((await host.dm.status(poolCore(pool).names.pool))[0]?.params).toContain(' - '); // no metadata snapshot held
  });

  it('refuses hostile input naming the argument and changes nothing', async () => {
    const { pool } = await setup();
    await pool.createVolume('plain', MiB);
    const tx = poolCore(pool).catalog.state.committedTx;
    const before = JSON.stringify(poolCore(pool).catalog.state.volumes);
    expect(await refusal(pool.flattenChunk('plain', 0, MiB))).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'volume' });
    expect(await refusal(pool.detachExternalOrigin('plain'))).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'volume' });
    expect((await refusal(pool.flattenChunk('nope', 0, MiB))).code).toBe('NO_SUCH_VOLUME');
    expect((await refusal(pool.detachExternalOrigin('nope'))).code).toBe('NO_SUCH_VOLUME');
    for (const offset of [-512, 1, 2 * MiB, Number.NaN, 2 ** 60]) {
      expect(await refusal(pool.flattenChunk('vm', offset, MiB))).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'offsetBytes' });
    }
    for (const length of [0, 100, -512, 128 * MiB, Number.POSITIVE_INFINITY]) {
      expect(await refusal(pool.flattenChunk('vm', 0, length))).toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'lengthBytes' });
    }
    expect(poolCore(pool).catalog.state.committedTx).toBe(tx);
    expect(JSON.stringify(poolCore(pool).catalog.state.volumes)).toBe(before);
    expect((await host.dm.list()).filter((d) => d.name.includes('-_flat-'))).toEqual([]);
  });
});
