#!/usr/bin/env node
// bench:mobility — what copying and moving a volume costs, on a real kernel. Run by
// `npm run bench:mobility` inside the test VM (as root); prints figures beside their anchors from
// the same run, with PASS/BELOW against the goal of issue 15 (a writer's longest pause during a
// live move p99 < 100 ms). A benchmark, not a test: a missed goal is printed, not an exit code;
// an error (a copy that differs, a write that does not read back) is an exit code.
//
//   node test/bench/mobility.bench.mjs [--size MiB] [--mapped PERCENT] [--rate WRITES_PER_S] [--idle-s S]
//     --size     bytes of the copied and the moved volume, in MiB (default 256)
//     --mapped   how much of the copied volume holds data, in percent of its 1 MiB extents
//                (default 25; seeded, so every run copies the same layout)
//     --rate     the writer's 4 KiB writes per second during the live move (default 50)
//     --idle-s   seconds of the writer's idle anchor (default 4)
//
// Two pools on loop devices over sparse files, jobs run by the agent's JobManager in-process
// (the agent's own code and default settings):
// 1. sparse copy of volume `src` (SIZE, MAPPED % of its extents random bytes, the rest never
//    written) from pool A into a new volume of pool B, against two anchors from the same run,
//    each into a fresh thin volume of pool B: `dd bs=4M conv=sparse iflag=direct oflag=direct`
//    (reads every byte, writes the non-zero blocks) and `qemu-img convert -n --target-is-zero
//    -t none -T none -f raw -O raw` (qemu-img's own zero detection). Printed: MiB/s of the
//    volume's size and what each left mapped in pool B. Afterwards the copy's bytes must equal
//    the source's (checked: a difference is an error).
// 2. live move of volume `live`, active and held open by a writer process (a descriptor kept
//    open, as a VM keeps its disk), from pool A to pool B. The writer's latency with nothing
//    else running is the anchor; during the move each write's latency is a pause the move may
//    have caused. Afterwards every acknowledged write must read back on the volume's device in
//    pool B, and pool A must no longer hold the volume (checked).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { NativeBlockClient, NativeDmClient } from '@thinfleet/devmapper';
import { Engine } from '@thinfleet/engine';
import { JobManager } from '../../services/agent/dist/jobs/index.js';
import { walkArgs, wholeNumber } from '../support/args.mjs';
import { pattern, rng } from '../support/seeded.mjs';
import { checkBlock } from '../vm/two-host/pattern.mjs';
import { pause, quantiles, runJob, startWriter } from './bench-writers.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;
const GOAL_P99_MS = 100;
const SLOT_BYTES = 64 * KiB;
const EXTENT_BYTES = MiB;
const SEED = 15;

const opts = { sizeMiB: 256, mappedPercent: 25, rate: 50, idleS: 4 };
walkArgs(process.argv.slice(2), (a, value) => {
  if (a === '--size') opts.sizeMiB = wholeNumber(a, value(), 8);
  else if (a === '--mapped') opts.mappedPercent = wholeNumber(a, value(), 1);
  else if (a === '--rate') opts.rate = wholeNumber(a, value(), 1);
  else if (a === '--idle-s') opts.idleS = wholeNumber(a, value(), 1);
  else throw new Error(`unknown option ${a}`);
});
if (opts.mappedPercent > 100) throw new Error('--mapped: at most 100');
const sizeBytes = opts.sizeMiB * MiB;

const out = (line = '') => process.stdout.write(`${line}\n`);
const progress = (line) => process.stderr.write(`[bench:mobility] ${line}\n`);
const pad = (s, n) => (s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length));
const ms = (x) => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const verdict = (ok) => (ok ? 'PASS' : 'BELOW');

/** Runs `cmd`; returns its wall time in ms. @throws when it fails */
function timed(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${r.stderr.slice(0, 400)}`);
  return performance.now() - t0;
}

/** SHA-256 of the first `lengthBytes` of `device`, read in 4 MiB steps. */
async function deviceSum(block, device, lengthBytes) {
  const hash = createHash('sha256');
  for (let at = 0; at < lengthBytes; at += 4 * MiB) hash.update(await block.read(device, at, Math.min(4 * MiB, lengthBytes - at)));
  return hash.digest('hex');
}

/** Bytes volume `name` maps in `pool` (from the kernel's metadata). */
async function mappedBytes(pool, name) {
  const v = (await pool.list({ usage: true })).find((x) => x.name === name);
  if (v === undefined) throw new Error(`no volume ${name} in pool ${pool.name}`);
  return v.mappedBytes ?? 0;
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('bench:mobility needs root and device-mapper: run it in the VM with `npm run bench:mobility`');
  const inVm = process.env.THINFLEET_IN_VM === '1';
  const kernelRelease = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'thinfleet-bench-mobility-'));
  const dm = new NativeDmClient();
  const block = new NativeBlockClient();
  const cleanups = [];
  const r = {};
  const nameA = `tfma${process.pid}`;
  const nameB = `tfmb${process.pid}`;
  try {
    const engine = new Engine({ dm, block });
    const pools = {};
    for (const name of [nameA, nameB]) {
      const img = join(dir, `${name}.img`);
      await writeFile(img, '');
      await truncate(img, 5 * sizeBytes + 512 * MiB);
      const dev = await block.attachLoop(img);
      cleanups.push(() => block.detachLoop(dev));
      pools[name] = await engine.createPool({ name, devices: [dev] });
      cleanups.push(() => engine.destroyPool(name, { force: true }));
    }
    const poolA = pools[nameA];
    const poolB = pools[nameB];
    const manager = new JobManager({ stateDir: join(dir, 'agent-state'), engine, block, logger: pino({ level: 'silent' }) });
    await manager.start();
    cleanups.push(() => manager.stop());

    // The source: MAPPED % of its 1 MiB extents random bytes, chosen by a seeded generator.
    const src = await poolA.createVolume('src', sizeBytes, { activate: true });
    const random = rng(SEED);
    let written = 0;
    for (let at = 0; at < sizeBytes; at += EXTENT_BYTES) {
      if (random() * 100 >= opts.mappedPercent) continue;
      await block.write(src.devicePath, at, pattern(SEED + at / EXTENT_BYTES, EXTENT_BYTES));
      written += EXTENT_BYTES;
    }
    r.srcMapped = await mappedBytes(poolA, 'src');
    const srcSum = await deviceSum(block, src.devicePath, sizeBytes);
    progress(`source: ${opts.sizeMiB} MiB, ${written / MiB} MiB written`);

    // 1. Anchors, then the copy job.
    progress('dd conv=sparse');
    const ddVol = await poolB.createVolume('dd', sizeBytes, { activate: true });
    r.ddMs = timed('dd', [`if=${src.devicePath}`, `of=${ddVol.devicePath}`, 'bs=4M', 'conv=sparse', 'iflag=direct', 'oflag=direct', 'status=none']);
    r.ddMapped = await mappedBytes(poolB, 'dd');
    progress('qemu-img convert');
    const qiVol = await poolB.createVolume('qi', sizeBytes, { activate: true });
    r.qiMs = timed('qemu-img', ['convert', '-n', '--target-is-zero', '-t', 'none', '-T', 'none', '-f', 'raw', '-O', 'raw', src.devicePath, qiVol.devicePath]);
    r.qiMapped = await mappedBytes(poolB, 'qi');
    progress('copy job');
    r.copyMs = (await runJob(manager, 'copy', { pool: nameA, volume: 'src', targetPool: nameB, targetName: 'copy' })).ms;
    r.copyMapped = await mappedBytes(poolB, 'copy');
    const copied = await poolB.activateVolume('copy');
    if ((await deviceSum(block, copied.devicePath, sizeBytes)) !== srcSum) throw new Error("the copy's bytes differ from the source's");

    // 2. Live move of an open volume under a writer.
    const slots = Math.floor(sizeBytes / SLOT_BYTES);
    const live = await poolA.createVolume('live', sizeBytes, { activate: true });
    const writer = startWriter(live.devicePath, 'M', { slots, strideBytes: SLOT_BYTES, rate: opts.rate, hold: true });
    cleanups.push(() => writer.stop());
    await pause(1000); // the writer's own start-up is not part of any figure
    progress(`writer alone for ${opts.idleS} s`);
    let t0 = performance.now();
    await pause(opts.idleS * 1000);
    r.idle = quantiles(writer.between(t0, performance.now()));
    progress('live move');
    t0 = performance.now();
    r.moveMs = (await runJob(manager, 'move', { pool: nameA, volume: 'live', targetPool: nameB })).ms;
    r.move = quantiles(writer.between(t0, performance.now()));
    await pause(500); // writes after the move land on pool B too
    await writer.stop();
    if ((await poolA.list()).some((v) => v.name === 'live')) throw new Error('pool A still holds the moved volume');
    const moved = await poolB.show('live');
    if (moved.devicePath === null) throw new Error('the moved volume is not active in pool B');
    for (const entry of writer.log) {
      const problem = await checkBlock(moved.devicePath, entry);
      if (problem !== null) throw new Error(`moved volume: write ${entry.seq} at ${entry.offset} does not read back: ${problem}`);
    }
    r.checkedWrites = writer.log.length;
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch((err) => progress(`cleanup: ${err.message}`));
    await rm(dir, { recursive: true, force: true });
  }

  const mibps = (msTaken) => (opts.sizeMiB / (msTaken / 1000)).toFixed(1);
  const mapped = (bytes) => `${(bytes / MiB).toFixed(0)} MiB mapped`;
  out(`bench:mobility on ${inVm ? 'the qemu TCG guest' : 'this host'}, kernel ${kernelRelease}, node ${process.version}`);
  out(`volumes of ${opts.sizeMiB} MiB; the copied one has ${mapped(r.srcMapped)} (${opts.mappedPercent}% of its 1 MiB extents, seed ${SEED})`);
  out();
  out(`sparse copy into another pool (MiB/s of the volume's size; what the target maps afterwards)`);
  out(`  ${pad('dd bs=4M conv=sparse, direct I/O (anchor)', 46)}${pad(`${mibps(r.ddMs)} MiB/s`, 14)}${mapped(r.ddMapped)}`);
  out(`  ${pad('qemu-img convert --target-is-zero (anchor)', 46)}${pad(`${mibps(r.qiMs)} MiB/s`, 14)}${mapped(r.qiMapped)}`);
  out(`  ${pad('copy job', 46)}${pad(`${mibps(r.copyMs)} MiB/s`, 14)}${pad(mapped(r.copyMapped), 18)}${(r.ddMs / r.copyMs).toFixed(2)}x dd, ${(r.qiMs / r.copyMs).toFixed(2)}x qemu-img`);
  out();
  out(`writer pause during a live move (4 KiB O_DSYNC writes at ${opts.rate}/s, each to a fresh 64 KiB slot)   goal: p99 < ${GOAL_P99_MS} ms`);
  const line = (label, q, goal) =>
    out(`  ${pad(label, 44)}p50 ${pad(ms(q.p50), 9)}p99 ${pad(ms(q.p99), 9)}max ${pad(ms(q.max), 9)}n=${pad(String(q.n), 6)}${goal ? verdict(q.p99 < GOAL_P99_MS) : '(anchor)'}`);
  line('no job (anchor)', r.idle, false);
  line('the moved volume, during its move', r.move, true);
  out(`  the move took ${(r.moveMs / 1000).toFixed(1)} s (${mibps(r.moveMs)} MiB/s of the volume's size)`);
  out();
  out(`checked: the copy's bytes equal the source's; ${r.checkedWrites} writes to the moved volume read back in pool B`);
}

main().catch((err) => {
  process.stderr.write(`bench:mobility failed: ${err.stack ?? err}\n`);
  process.exitCode = 1;
});
