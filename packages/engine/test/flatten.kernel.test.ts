/**
 * Kernel tier: flattening a volume over an external origin (a loop device) on the real
 * device-mapper while a writer keeps writing a pattern log through the volume's device, then
 * detaching the origin. Every acknowledged write must read back, every block never written must
 * read the origin's content, before and after the origin is overwritten (it is no longer read).
 * The pause of each chunk is logged (`flatten pauses`). Teardown copies the pool's metadata for
 * the tier's thin_check.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { EngineTestHost, expectSameBytes, pattern, SMALL_CATALOG } from './support/engine-test-host.js';
import { startPatternWriter } from './support/pattern-writer.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 64 * KiB;
const SIZE = 16 * MiB;
const CHUNK = MiB;

const hosts: EngineTestHost[] = [];
afterAll(async () => {
  for (const h of hosts) await h.teardown();
});

describe('flatten on the kernel', () => {
  it('copies the origin into a volume written throughout, keeps every write, and reads the same after the detach', async () => {
    const host = await EngineTestHost.open();
    hosts.push(host);
    const engine = host.engine();
    const pool = await engine.createPool({ name: host.poolName('flat'), devices: await host.devices(1, 64 * MiB), dataBlockBytes: BLOCK, ...SMALL_CATALOG });
    const [image] = await host.devices(1, SIZE);
    const origin = Buffer.alloc(SIZE);
    for (let b = 0; b < SIZE / BLOCK; b++) if (b % 5 !== 4) pattern(500 + b, BLOCK).copy(origin, b * BLOCK);
    await host.block.write(image!, 0, origin);
    const v = await pool.createExternal('vm', image!, { activate: true });
    const device = v.devicePath!;
    const expected = Buffer.from(origin);

    // The VM: 4 KiB O_DSYNC writes at pseudo-random places, logged once acknowledged.
    const writer = startPatternWriter(host.block, device, SIZE, expected, { seed: 4242 });

    const pausesMs: number[] = [];
    let copiedBytes = 0;
    const started = Date.now();
    for (let at = 0; at < SIZE; at += CHUNK) {
      const chunk = await pool.flattenChunk('vm', at, CHUNK);
      pausesMs.push(chunk.pauseMs);
      copiedBytes += chunk.copiedBytes;
    }
    const copyMs = Date.now() - started;
    const writesDuringCopy = writer.writes;
    await pool.detachExternalOrigin('vm');
    await pool.removeFlattenHelper('vm');
    await writer.stop();
    const sorted = [...pausesMs].sort((a, b) => a - b);
    console.log(
      `flatten pauses: ${JSON.stringify({ chunks: pausesMs.length, chunkBytes: CHUNK, pausesMs, medianMs: sorted[sorted.length >> 1], maxMs: sorted.at(-1), copiedBytes, copyMs, writesDuringCopy })}`,
    );

    expect(writesDuringCopy).toBeGreaterThan(0);
    expect(copiedBytes).toBeGreaterThan(0);
    expect(copiedBytes).toBeLessThanOrEqual(SIZE - (SIZE / BLOCK / 5) * BLOCK);
    expect(await pool.show('vm')).toMatchObject({ externalOrigin: null, active: true });
    expect((await host.dm.list()).filter((d) => d.name.includes('-_flat-'))).toEqual([]);
    const table = (await host.dm.table(device.replace('/dev/mapper/', ''))).map((l) => l.params).join(' ');
    expect(table.trim().split(/\s+/)).toHaveLength(2); // pool device and thin id: no origin
    expectSameBytes(await host.block.read(device, 0, SIZE), expected);
    // The origin is no longer read.
    await host.block.write(image!, 0, Buffer.alloc(SIZE, 0xee));
    expectSameBytes(await host.block.read(device, 0, SIZE), expected);
    expect(await pool.reconcile()).toMatchObject({ consistent: true });
    await pool.deactivate();
  });
});
