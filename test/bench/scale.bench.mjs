#!/usr/bin/env node
// bench:scale — one pool of 100,000 volumes (issue 16, item 5): start-up and the first page of a
// listing. Builds the pool through the engine's real path (pool.batch of create items, --batch
// per transaction), then prints, each with PASS/BELOW against the goal:
//   - the catalog: JSON size of the state, checkpoint bytes on disk, CatalogStore.open time
//     (goal < 3 s, as part of start-up);
//   - activatePool of the deactivated pool by a new Engine (catalog load, devices, recovery;
//     goal < 3 s);
//   - activatePool by a new Engine while the pool's devices are still active (a restarted agent
//     adopting them; goal < 3 s);
//   - the first page of the listing: pool.list of the first 100 names, as `volume list` asks
//     first (the first list after start-up also sorts every name once; goal < 100 ms).
// Each start-up figure is the median of --runs runs; the first build, the fill, is printed too.
// On the kernel when run as root on a host with device-mapper (the test VM:
// `node test/vm/kernel-tier.mjs --bench scale --mem 12288`: at 100,000 volumes the loop files
// outgrow a 4 GiB guest's tmpfs), else on SimDm (`npm run bench:scale`; --sim forces it).
// A benchmark, not a test: a missed goal is printed, not an exit code.
//
//   node test/bench/scale.bench.mjs [--volumes N] [--batch B (default 2000 on the kernel, 5000 on SimDm)] [--runs R] [--sim]
import { existsSync } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CatalogStore, decodeCheckpointHeader, readLabel } from '@thinfleet/catalog';
import { NativeBlockClient, NativeDmClient, openSimHost } from '@thinfleet/devmapper';
import { Engine, reduceCatalog } from '@thinfleet/engine';
import { ms, stats, verdict } from './bench-stats.mjs';
import { walkArgs, wholeNumber } from '../support/args.mjs';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const START_GOAL_MS = 3000;
const FIRST_ROW_GOAL_MS = 100;
const opts = { volumes: 100_000, batch: undefined, runs: 3, sim: false };
walkArgs(process.argv.slice(2), (a, value) => {
  if (a === '--volumes') opts.volumes = wholeNumber(a, value(), 1);
  else if (a === '--batch') opts.batch = wholeNumber(a, value(), 1);
  else if (a === '--runs') opts.runs = wholeNumber(a, value(), 1);
  else if (a === '--sim') opts.sim = true;
  else throw new Error(`unknown option ${a}`);
});

const onKernel = !opts.sim && process.getuid?.() === 0 && existsSync('/dev/mapper/control');
// Creates per transaction: under TCG a transaction of 5,000 create messages outlasts even a raised window.
opts.batch ??= onKernel ? 2000 : 5000;
const progress = (line) => process.stderr.write(`[scale] ${line}\n`);
const out = (line = '') => process.stdout.write(`${line}\n`);

const dir = await mkdtemp(join(tmpdir(), 'thinfleet-bench-scale-'));
let dm;
let block;
let close = () => undefined;
if (onKernel) {
  dm = new NativeDmClient();
  block = new NativeBlockClient();
} else {
  const sim = await openSimHost(join(dir, 'kernel'));
  ({ dm, block } = sim);
  close = () => sim.close();
}

const name = 'scalebench';
const img = join(dir, 'pool.img');
let loop;
let engine;
let pool;
try {
  await writeFile(img, '');
  // Sparse: 100,000 volumes of 64 MiB need no data, only thin-pool metadata (one mapping tree each).
  await truncate(img, 256 * GiB);
  loop = await block.attachLoop(img);
  const devices = [loop];
  // The transaction window's deadline (30 s by default, a bound on how long origins stay
  // suspended) raised for the fill: creates suspend nothing, and a batch of thousands of create
  // messages takes longer than 30 s under TCG. Start-up below runs with the default.
  engine = new Engine({ dm, block, snapshotDeadlineMs: 600_000 });
  pool = await engine.createPool({ name, devices, metadataBytes: 4 * 1024 * MiB });

  // ---- fill: the engine's real path, one transaction per batch of creates ------------------
  const fillStart = performance.now();
  for (let made = 0; made < opts.volumes;) {
    const n = Math.min(opts.batch, opts.volumes - made);
    const items = Array.from({ length: n }, (_, j) => ({ item: `i${made + j}`, op: 'create', volume: `vol-${String(made + j).padStart(6, '0')}`, sizeBytes: 64 * MiB }));
    const t0 = performance.now();
    await pool.batch(items);
    made += n;
    progress(`${made} volumes (batch of ${n}: ${ms(performance.now() - t0)})`);
  }
  const fillMs = performance.now() - fillStart;
  // Two volumes active, as on a host running VMs: adoption checks each active volume's table.
  await pool.activateVolume('vol-000000');
  await pool.activateVolume(`vol-${String(opts.volumes - 1).padStart(6, '0')}`);
  // The catalog on disk as a start-up finds it after a clean stop: a checkpoint, no journal.
  await pool.core.catalog.checkpoint();
  const jsonBytes = Buffer.byteLength(JSON.stringify(pool.core.catalog.state));

  // ---- catalog load ----------------------------------------------------------------------
  const readOnly = { read: (o, l) => block.read(loop, o, l), write: () => Promise.reject(new Error('read-only')) };
  const label = await readLabel(readOnly);
  const catalogSamples = [];
  let info;
  for (let i = 0; i < opts.runs; i++) {
    const t0 = performance.now();
    const store = await CatalogStore.open({ device: readOnly, layout: label.catalog, reduce: reduceCatalog });
    catalogSamples.push(performance.now() - t0);
    info = store.sizeInfo();
    if (Object.keys(store.state.volumes).length !== opts.volumes) throw new Error('the catalog does not hold every volume');
  }
  // The checkpoint in force: the slot whose header has the higher generation.
  const headers = [];
  for (const slot of [0, 1]) headers.push(decodeCheckpointHeader(await block.read(loop, label.catalog.offsetBytes + slot * label.catalog.slotBytes, 512)));
  const header = headers.filter((h) => h !== null).sort((a, b) => b.generation - a.generation)[0];

  // ---- adoption: a new Engine while the devices are active -------------------------------
  const adoptSamples = [];
  for (let i = 0; i < opts.runs; i++) {
    const restarted = new Engine({ dm, block });
    const t0 = performance.now();
    await restarted.activatePool(name, devices);
    adoptSamples.push(performance.now() - t0);
  }

  // ---- activation of the deactivated pool ------------------------------------------------
  const coldSamples = [];
  for (let i = 0; i < opts.runs; i++) {
    await pool.deactivate();
    engine = new Engine({ dm, block });
    const t0 = performance.now();
    pool = await engine.activatePool(name, devices);
    coldSamples.push(performance.now() - t0);
    if (pool.lastRecovery?.outcome !== 'clean') throw new Error(`recovery was ${pool.lastRecovery?.outcome}, expected clean`);
  }

  // ---- the listing's first page ----------------------------------------------------------
  const FIRST_PAGE_VOLUMES = 100;
  const listSamples = [];
  for (let i = 0; i < opts.runs; i++) {
    const t0 = performance.now();
    const page = await pool.list({ afterName: null, limit: FIRST_PAGE_VOLUMES });
    listSamples.push(performance.now() - t0);
    if (page.length === 0) throw new Error('the listing is empty');
  }

  // ---- report ----------------------------------------------------------------------------
  const where = onKernel ? 'the kernel (NativeDmClient)' : 'SimDm (the simulated kernel)';
  const row = (label, s, goalMs) => out(`  ${label.padEnd(46)} p50 ${ms(s.p50).padStart(9)}  max ${ms(s.max).padStart(9)}   goal < ${ms(goalMs)}: ${verdict(s.p50 < goalMs)}`);
  out(`bench:scale on ${where}, node ${process.version}: one pool of ${opts.volumes} volumes, median of ${opts.runs} runs each`);
  if (!onKernel) out("  (the goals are the VM's, on the kernel; on SimDm these are relative costs on this host, not the judged figures)");
  out(`  fill: ${opts.volumes} creates in batches of ${opts.batch}: ${ms(fillMs)} (${ms(fillMs / opts.volumes)} per create)`);
  out(
    `  catalog: state ${(jsonBytes / MiB).toFixed(1)} MiB of JSON (${(jsonBytes / opts.volumes).toFixed(0)} bytes per volume); checkpoint ${(info.checkpointBytes / MiB).toFixed(2)} MiB on disk` +
      ` (format ${header?.formatVersion}, ${header?.stateEncoding}; ${(info.checkpointBytes / opts.volumes).toFixed(1)} bytes per volume) in a ${(info.slotBytes / MiB).toFixed(0)} MiB slot:` +
      ` room for about ${Math.floor(info.slotBytes / (info.checkpointBytes / opts.volumes)).toLocaleString('en-US')} volumes like these`,
  );
  row('catalog load (CatalogStore.open)', stats(catalogSamples), START_GOAL_MS);
  row('activatePool, pool deactivated', stats(coldSamples), START_GOAL_MS);
  row('activatePool, devices still active (adopt)', stats(adoptSamples), START_GOAL_MS);
  row(`first page of the listing (${FIRST_PAGE_VOLUMES} names)`, stats(listSamples), FIRST_ROW_GOAL_MS);
} finally {
  // Deactivated, not destroyed: destroying deletes every thin device (one kernel message each,
  // minutes at 100,000 under TCG); the pool's file goes with the directory.
  progress('deactivating the pool');
  try {
    if (pool !== undefined) await pool.deactivate();
  } catch (err) {
    progress(`deactivating the pool failed: ${err.message}`);
  }
  if (loop !== undefined) await block.detachLoop(loop).catch(() => undefined);
  close();
  await rm(dir, { recursive: true, force: true });
}
