#!/usr/bin/env node
// bench:jobs — what the agent's background jobs cost the volumes around them, on a real kernel.
// Run by `npm run bench:jobs` inside the test VM (as root); prints figures beside their anchors
// from the same run, with PASS/BELOW against the goals of issue 14 (a writer's longest pause
// p99 < 100 ms while a job runs). A benchmark, not a test: a missed goal is printed, not an exit
// code; an error (or a write that does not read back) is an exit code.
//
//   node test/bench/jobs.bench.mjs [--size MiB] [--rate WRITES_PER_S] [--idle-s S] [--delete-chunk MiB] [--flatten-chunk MiB]
//     --size           bytes of the deleted and the flattened volume, in MiB (default 128)
//     --rate           each writer's 4 KiB writes per second (default 50)
//     --idle-s         seconds of the idle anchor (default 4)
//     --delete-chunk   the delete's bytes per discard, in MiB (default: the agent's deleteChunkBytes)
//     --flatten-chunk  the flatten's bytes per step, in MiB (default: the agent's flattenChunkBytes)
//
// Parts, one pool on a loop device over a sparse file, jobs run by the agent's JobManager
// in-process (the agent's own code, default chunk sizes), writers as separate processes
// (test/vm/two-host/writer.mjs: 4 KiB O_DIRECT|O_DSYNC writes, each to a fresh 64 KiB slot, so
// each provisions a block and makes dm-thin commit; its `ms` per write is the pause measured):
// 1. anchor: `dd if=ORIGIN of=VOLUME bs=4M oflag=direct` of SIZE into a thin volume (MiB/s), and
//    the writer on volume `other` with no job running (its latency when nothing else happens);
// 2. delete: the chunked delete of that filled volume while the writer writes `other`;
// 3. flatten: a volume over an external origin of SIZE random bytes, flattened while one writer
//    writes `other` and another writes the flattened volume itself. Afterwards every write of the
//    flattened volume's writer must read back, and every block it did not write must read the
//    origin's content (checked: a failure is an error).
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { NativeBlockClient, NativeDmClient } from '@thinfleet/devmapper';
import { Engine } from '@thinfleet/engine';
import { DEFAULT_AGENT_CONFIG } from '../../services/agent/dist/index.js';
import { JobManager } from '../../services/agent/dist/jobs/index.js';
import { walkArgs, wholeNumber } from '../support/args.mjs';
import { pause, quantiles, runJob, startWriter } from './bench-writers.mjs';
import { checkBlock } from '../vm/two-host/pattern.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;
const GOAL_P99_MS = 100;
const SLOT_BYTES = 64 * KiB;

const opts = { sizeMiB: 128, rate: 50, idleS: 4, deleteChunkMiB: null, flattenChunkMiB: null };
walkArgs(process.argv.slice(2), (a, value) => {
  if (a === '--size') opts.sizeMiB = wholeNumber(a, value(), 8);
  else if (a === '--delete-chunk') opts.deleteChunkMiB = wholeNumber(a, value(), 1);
  else if (a === '--flatten-chunk') opts.flattenChunkMiB = wholeNumber(a, value(), 1);
  else if (a === '--rate') opts.rate = wholeNumber(a, value(), 1);
  else if (a === '--idle-s') opts.idleS = wholeNumber(a, value(), 1);
  else throw new Error(`unknown option ${a}`);
});
const sizeBytes = opts.sizeMiB * MiB;
const deleteChunkBytes = opts.deleteChunkMiB === null ? DEFAULT_AGENT_CONFIG.deleteChunkBytes : opts.deleteChunkMiB * MiB;
const flattenChunkBytes = opts.flattenChunkMiB === null ? DEFAULT_AGENT_CONFIG.flattenChunkBytes : opts.flattenChunkMiB * MiB;

const out = (line = '') => process.stdout.write(`${line}\n`);
const progress = (line) => process.stderr.write(`[bench:jobs] ${line}\n`);
const pad = (s, n) => (s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length));
const ms = (x) => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const verdict = (ok) => (ok ? 'PASS' : 'BELOW');

async function main() {
  if (process.getuid?.() !== 0) throw new Error('bench:jobs needs root and device-mapper: run it in the VM with `npm run bench:jobs`');
  const inVm = process.env.THINFLEET_IN_VM === '1';
  const kernelRelease = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'thinfleet-bench-jobs-'));
  const dm = new NativeDmClient();
  const block = new NativeBlockClient();
  const cleanups = [];
  const results = {};
  const name = `tfj${process.pid}`;
  try {
    const poolImg = join(dir, 'pool.img');
    await writeFile(poolImg, '');
    await truncate(poolImg, 4 * sizeBytes + 512 * MiB);
    const poolDev = await block.attachLoop(poolImg);
    cleanups.push(() => block.detachLoop(poolDev));
    const originImg = join(dir, 'origin.img');
    const fh = await open(originImg, 'w');
    const chunk = Buffer.alloc(4 * MiB);
    for (let at = 0; at < sizeBytes; at += chunk.length) await fh.write(randomFillSync(chunk), 0, chunk.length, at);
    await fh.close();
    const originDev = await block.attachLoop(originImg, { readOnly: true });
    cleanups.push(() => block.detachLoop(originDev));

    const engine = new Engine({ dm, block });
    const pool = await engine.createPool({ name, devices: [poolDev] });
    cleanups.push(() => engine.destroyPool(name, { force: true }));
    const stateDir = join(dir, 'agent-state');
    const manager = new JobManager({ stateDir, engine, block, logger: pino({ level: 'silent' }), chunkBytes: deleteChunkBytes, flattenChunkBytes });
    await manager.start();
    cleanups.push(() => manager.stop());

    const other = await pool.createVolume('other', sizeBytes, { activate: true });
    const slots = Math.floor(sizeBytes / SLOT_BYTES);

    // 1. Anchors: dd into a thin volume, and the writer alone.
    progress(`dd of ${opts.sizeMiB} MiB into a thin volume`);
    const copy = await pool.createVolume('copy', sizeBytes, { activate: true });
    let t0 = performance.now();
    const dd = spawnSync('dd', [`if=${originDev}`, `of=${copy.devicePath}`, 'bs=4M', 'oflag=direct', 'status=none'], { encoding: 'utf8' });
    if (dd.status !== 0) throw new Error(`dd failed: ${dd.stderr.slice(0, 400)}`);
    results.ddMs = performance.now() - t0;
    await pool.deactivateVolume('copy');

    const writerA = startWriter(other.devicePath, 'A', { slots, strideBytes: SLOT_BYTES, rate: opts.rate });
    cleanups.push(() => writerA.stop());
    await pause(1000); // the writer's own start-up is not part of any figure
    progress(`writer alone for ${opts.idleS} s`);
    t0 = performance.now();
    await pause(opts.idleS * 1000);
    results.idle = quantiles(writerA.between(t0, performance.now()));

    // 2. The chunked delete of the filled volume.
    progress('delete job');
    t0 = performance.now();
    results.deleteMs = (await runJob(manager, 'delete', { pool: name, volume: 'copy' })).ms;
    results.deleteOther = quantiles(writerA.between(t0, performance.now()));

    // 3. Flatten of a volume over the external origin, written during the flatten.
    progress('flatten job');
    const flat = await pool.createExternal('flat', originDev, { activate: true });
    const writerB = startWriter(flat.devicePath, 'B', { slots, strideBytes: SLOT_BYTES, rate: opts.rate });
    cleanups.push(() => writerB.stop());
    await pause(1000);
    t0 = performance.now();
    results.flattenMs = (await runJob(manager, 'flatten', { pool: name, volume: 'flat' })).ms;
    const t1 = performance.now();
    await writerB.stop();
    await writerA.stop();
    results.flattenOther = quantiles(writerA.between(t0, t1));
    results.flattenSelf = quantiles(writerB.between(t0, t1));

    // The flattened volume: every acknowledged write reads back; every other block is the origin's.
    const after = await pool.show('flat');
    if (after.externalOrigin !== null) throw new Error('the flattened volume still names its external origin');
    const written = new Set();
    for (const entry of writerB.log) {
      const problem = await checkBlock(after.devicePath, entry);
      if (problem !== null) throw new Error(`flattened volume: write ${entry.seq} at ${entry.offset} does not read back: ${problem}`);
      written.add(entry.offset);
    }
    let compared = 0;
    for (let at = 0; at < sizeBytes; at += SLOT_BYTES) {
      if (written.has(at)) continue;
      const [mine, theirs] = await Promise.all([block.read(after.devicePath, at, SLOT_BYTES), block.read(originDev, at, SLOT_BYTES)]);
      if (!mine.equals(theirs)) throw new Error(`flattened volume: the 64 KiB at ${at} differ from the origin's`);
      compared++;
    }
    results.checked = { writes: writerB.log.length, blocks: compared };
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((err) => progress(`cleanup: ${err.message}`));
    await rm(dir, { recursive: true, force: true });
  }

  const mibps = (msTaken) => (opts.sizeMiB / (msTaken / 1000)).toFixed(1);
  out(`bench:jobs on ${inVm ? 'the qemu TCG guest' : 'this host'}, kernel ${kernelRelease}, node ${process.version}`);
  out(`volumes of ${opts.sizeMiB} MiB; delete chunk ${deleteChunkBytes / MiB} MiB, flatten chunk ${flattenChunkBytes / MiB} MiB;`);
  out(`writers: 4 KiB O_DIRECT|O_DSYNC writes at ${opts.rate}/s, each to a fresh 64 KiB slot`);
  out();
  out(`writer pause (latency of each write while the job runs)   goal: p99 < ${GOAL_P99_MS} ms`);
  const line = (label, q, goal) =>
    out(`  ${pad(label, 44)}p50 ${pad(ms(q.p50), 9)}p99 ${pad(ms(q.p99), 9)}max ${pad(ms(q.max), 9)}n=${pad(String(q.n), 6)}${goal ? verdict(q.p99 < GOAL_P99_MS) : '(anchor)'}`);
  line('no job (anchor)', results.idle, false);
  line('another volume, during a delete', results.deleteOther, true);
  line('another volume, during a flatten', results.flattenOther, true);
  line('the flattened volume, during its flatten', results.flattenSelf, true);
  out();
  out(`throughput over ${opts.sizeMiB} MiB`);
  out(`  ${pad('dd bs=4M oflag=direct into a thin volume', 44)}${mibps(results.ddMs)} MiB/s (anchor)`);
  out(`  ${pad('delete job (discard chunks + delete)', 44)}${mibps(results.deleteMs)} MiB/s (${(results.ddMs / results.deleteMs).toFixed(2)}x dd)`);
  out(`  ${pad('flatten job (copy + detach), under writers', 44)}${mibps(results.flattenMs)} MiB/s (${(results.ddMs / results.flattenMs).toFixed(2)}x dd)`);
  out();
  out(`checked: ${results.checked.writes} writes to the flattened volume read back; ${results.checked.blocks} unwritten 64 KiB slots equal the origin's`);
}

main().catch((err) => {
  process.stderr.write(`bench:jobs failed: ${err.stack ?? err}\n`);
  process.exitCode = 1;
});
