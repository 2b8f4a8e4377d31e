/**
 * Kernel tier: a live move of an open volume between two pools of one host on the real
 * device-mapper (dm-mirror with a disk log we write, DM_DEV_RENAME), under a writer that holds
 * the volume's device open (as a VM does: one open file, kept across the rename) and writes a
 * pattern log of 4 KiB O_DSYNC writes. Every acknowledged write must read back on the
 * destination; the source pool must have lost the volume's thin id; the regions the source never
 * wrote must not be provisioned in the destination. Prints the longest pause the writer saw
 * (`live move pauses`). Teardown copies both pools' metadata for the tier's thin_check.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { JobManager } from '../src/jobs/index.js';
import { EngineTestHost, expectSameBytes, pattern, SMALL_CATALOG } from '../../../packages/engine/test/support/engine-test-host.js';
import { recordingLogger, settled } from './support/job-harness.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 64 * KiB;
const SIZE = 32 * MiB;
const WRITE = 4 * KiB;

const hosts: EngineTestHost[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const h of hosts) await h.teardown();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A host (torn down after the file, which keeps both pools' metadata for thin_check) with two pools. */
async function twoPools() {
  const host = await EngineTestHost.open();
  hosts.push(host);
  const engine = host.engine();
  const pool = async (label: string) => engine.createPool({ name: host.poolName(label), devices: await host.devices(1, 96 * MiB), dataBlockBytes: BLOCK, ...SMALL_CATALOG });
  return { host, engine, source: await pool('src'), target: await pool('dst') };
}

describe('live move on the kernel', () => {
  it('moves an open volume under a writer: every acknowledged write reads back on the destination, the source thin id is gone', async () => {
    const { host, engine, source, target } = await twoPools();
    const v = await source.createVolume('vm', SIZE, { activate: true });
    const expected = Buffer.alloc(SIZE);
    // A quarter of the blocks hold data before the move.
    for (let b = 0; b < SIZE / BLOCK; b += 4) {
      const data = pattern(300 + b, BLOCK);
      await host.block.write(v.devicePath!, b * BLOCK, data);
      data.copy(expected, b * BLOCK);
    }

    // The "VM": one open file on the device for the whole move, O_DSYNC writes in the first half.
    const file = await open(v.devicePath!, constants.O_RDWR | constants.O_DSYNC);
    let running = true;
    let writes = 0;
    let longestMs = 0;
    const latencies: number[] = [];
    const writer = (async () => {
      let x = 777;
      while (running) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        const at = (x % (SIZE / 2 / WRITE)) * WRITE;
        const data = pattern(20_000 + writes, WRITE);
        const t0 = performance.now();
        await file.write(data, 0, WRITE, at);
        const ms = performance.now() - t0;
        latencies.push(ms);
        longestMs = Math.max(longestMs, ms);
        data.copy(expected, at);
        writes += 1;
      }
    })();

    const stateDir = await mkdtemp(join(tmpdir(), 'thinfleet-live-move-'));
    dirs.push(stateDir);
    const { logger, lines } = recordingLogger();
    const m = new JobManager({ stateDir, engine, block: host.block, logger, movePollMs: 50 });
    await m.start();
    const started = Date.now();
    const job = await m.startMove({ pool: source.name, volume: 'vm', targetPool: target.name });
    const done = await settled(m, job.id);
    const moveMs = Date.now() - started;
    const writesDuringMove = writes;
    running = false;
    await writer;
    await file.close();
    await m.stop();
    const sorted = [...latencies].sort((a, b) => a - b);
    const switched = lines.find((l) => l.msg === 'move: switched') ?? {};
    const resync = lines.find((l) => l.msg === 'move: resyncing') ?? {};
    console.log(
      `live move pauses: ${JSON.stringify({
        writes,
        writesDuringMove,
        longestWriteMs: Math.round(longestMs),
        p99WriteMs: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
        medianWriteMs: Math.round(sorted[sorted.length >> 1] ?? 0),
        mirrorPauseMs: switched.mirrorPauseMs,
        switchPauseMs: switched.switchPauseMs,
        regions: resync.regions,
        cleanRegions: resync.cleanRegions,
        moveMs,
        state: done.state,
      })}`,
    );

    expect(done, done.error ?? '').toMatchObject({ state: 'succeeded', doneBytes: SIZE });
    expect(writesDuringMove).toBeGreaterThan(0);
    expect((await source.list()).map((x) => x.name)).toEqual([]);
    expect(await source.reconcile()).toMatchObject({ consistent: true, unknownToCatalog: [] });
    expect(await target.reconcile()).toMatchObject({ consistent: true });
    const moved = (await target.list({ usage: true })).find((x) => x.name === 'vm');
    expect(moved).toMatchObject({ uuid: v.uuid, job: null, active: true });
    // Sparse: blocks written before the move (a quarter) plus those of the writer's half, never all.
    expect(moved?.mappedBytes).toBeLessThan(SIZE);
    expect((await host.dm.list()).filter((d) => /-_(move|mlog)-/.test(d.name))).toEqual([]);
    expectSameBytes(await host.block.read(moved!.devicePath!, 0, SIZE), expected);
    await target.deactivateVolume('vm');
    await source.deactivate();
    await target.deactivate();
  });
});
