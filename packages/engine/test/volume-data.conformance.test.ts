/**
 * Reading and writing a volume's content through the engine (Pool.readVolume/writeVolume), on
 * the simulated kernel (unit tier) and the real device-mapper (kernel tier): what is written
 * reads back, a snapshot keeps the old content, and every refusal changes nothing.
 */
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEngineError, MAX_VOLUME_IO_BYTES, type Engine, type EngineErrorCode, type Pool } from '@thinfleet/engine';
import { EngineTestHost, expectSameBytes, pattern, SMALL_CATALOG } from './support/engine-test-host.js';

const MiB = 1024 * 1024;

let host: EngineTestHost;
let engine: Engine;
let pool: Pool;

beforeEach(async () => {
  host = await EngineTestHost.open();
  engine = host.engine();
  pool = await engine.createPool({ name: host.poolName(), devices: await host.devices(1, 64 * MiB), ...SMALL_CATALOG });
  await pool.createVolume('vm1', 4 * MiB, { activate: true });
});

afterEach(async () => {
  await host.teardown();
});

async function refusal(promise: Promise<unknown>): Promise<{ code: EngineErrorCode; message: string }> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isEngineError(err)) throw new Error(`expected an EngineError, got ${err === null ? 'success' : inspect(err)}`);
  return { code: err.code, message: err.message };
}

describe('volume content through the engine', () => {
  it('reads back what it wrote, and zeros where nothing was written', async () => {
    const data = pattern(11, 128 * 1024);
    await pool.writeVolume('vm1', MiB, data);
    expectSameBytes(await pool.readVolume('vm1', MiB, data.length), data);
    expect((await pool.readVolume('vm1', 0, 4096)).every((b) => b === 0)).toBe(true);
  });

  it('writes into the volume, not its snapshot', async () => {
    const before = pattern(1, 64 * 1024);
    await pool.writeVolume('vm1', 0, before);
    await pool.snapshot('vm1', 'vm1-s', { activate: true });
    await pool.writeVolume('vm1', 0, pattern(2, 64 * 1024));
    expectSameBytes(await pool.readVolume('vm1-s', 0, before.length), before);
  });

  it('refuses an inactive volume, saying how to activate it', async () => {
    await pool.deactivateVolume('vm1');
    const got = await refusal(pool.readVolume('vm1', 0, 512));
    expect(got.code).toBe('VOLUME_INACTIVE');
    expect(got.message).toMatch(/volume "vm1" is not active \(thinfleet volume activate .*\/vm1\)/);
  });

  it.each([
    ['an unaligned offset', 100, 512, /offset must be a multiple of 512/],
    ['an unaligned length', 0, 1000, /length must be a positive multiple of 512/],
    ['more than the most one call moves', 0, MAX_VOLUME_IO_BYTES + 512, /at most 1\.0 MiB/],
    ['a range past the end', 4 * MiB - 512, 1024, /ends beyond volume "vm1" \(4\.0 MiB\)/],
  ])('refuses %s and writes nothing', async (_title, offsetBytes, lengthBytes, message) => {
    const got = await refusal(pool.writeVolume('vm1', offsetBytes, new Uint8Array(lengthBytes).fill(0xaa)));
    expect(got.code).toBe('INVALID_ARGUMENT');
    expect(got.message).toMatch(message);
    expect((await pool.readVolume('vm1', 4 * MiB - MAX_VOLUME_IO_BYTES, MAX_VOLUME_IO_BYTES)).every((b) => b === 0)).toBe(true);
    expect((await pool.readVolume('vm1', 0, MAX_VOLUME_IO_BYTES)).every((b) => b === 0)).toBe(true);
  });

  it('names a volume that does not exist', async () => {
    expect((await refusal(pool.readVolume('nope', 0, 512))).code).toBe('NO_SUCH_VOLUME');
  });
});
