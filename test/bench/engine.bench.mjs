#!/usr/bin/env node
// bench:engine — the engine against LVM, and the engine's start-up, on a real kernel. Run by
// `npm run bench:engine` inside the test VM (as root); prints figures, ratios and PASS/BELOW
// against the goals of design.md ("Numbers to beat"). A benchmark, not a test: a missed goal is
// printed, not an exit code; an error is an exit code.
//
//   node test/bench/engine.bench.mjs [options]
//     --sim-only          only the SimDm parts (no root, no kernel, no lvm: runs on any host)
//     --no-sim            skip the SimDm parts
//     --no-lvm            skip the lvcreate baseline (then no ratio is printed)
//     --single K          timed single snapshots per origin kind (default 30)
//     --lvm-series N      consecutive `lvcreate -s` of one origin (default 100; the first K give
//                         the single-snapshot baseline, all N the batch baseline)
//     --batch B           snapshot items in the timed batch (default 1000)
//     --volumes V         volumes in the pool for the start-up figures (default 10000)
//     --runs R            repetitions of each start-up figure (default 3)
//     --profile P         snapshots measured with counting clients (default 5)
//     --active A          volumes activated for the last profiled pass (default 20)
//
// Parts:
// 1. lvcreate baseline: a VG on a loop device over a sparse file, a thin pool LV, an active
//    thin origin with data and an inactive one; `lvcreate -s` (udev sync off), one process per
//    snapshot, interleaved with the engine's runs of part 2 so the host's load hits both.
// 2. engine on the kernel (NativeDmClient), a pool on a loop device over a sparse file: K x
//    pool.snapshot of an active origin with data (the suspend window) and of an inactive one;
//    one pool.batch of B snapshot items; a profiled pass that counts ioctls, messages and
//    catalog writes per snapshot.
// 3. start-up with V volumes: the pool filled with create batches, then activatePool of a
//    deactivated pool (catalog load + devices + recovery), activatePool by a new Engine while
//    the devices are still active (a restarted agent adopting them), and CatalogStore.open
//    alone; each from a catalog that replays its journal and again after a checkpoint.
// 4. the same engine figures on SimDm (no ratio: the simulator is not a kernel).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CatalogStore, readLabel } from '@thinfleet/catalog';
import { NativeBlockClient, NativeDmClient, openSimHost } from '@thinfleet/devmapper';
import { Engine, reduceCatalog } from '@thinfleet/engine';
import { walkArgs, wholeNumber } from '../support/args.mjs';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

// ---- options -----------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { simOnly: false, sim: true, lvm: true, single: 30, lvmSeries: 100, batch: 1000, volumes: 10_000, runs: 3, profile: 5, active: 20 };
  const rest = walkArgs(argv, (a, value) => {
    if (a === '--sim-only') opts.simOnly = true;
    else if (a === '--no-sim') opts.sim = false;
    else if (a === '--no-lvm') opts.lvm = false;
    else if (a === '--single') opts.single = wholeNumber(a, value(), 1);
    else if (a === '--lvm-series') opts.lvmSeries = wholeNumber(a, value(), 1);
    else if (a === '--batch') opts.batch = wholeNumber(a, value(), 1);
    else if (a === '--volumes') opts.volumes = wholeNumber(a, value(), 10);
    else if (a === '--runs') opts.runs = wholeNumber(a, value(), 1);
    else if (a === '--profile') opts.profile = wholeNumber(a, value(), 0);
    else if (a === '--active') opts.active = wholeNumber(a, value(), 0);
    else throw new Error(`unknown option ${a}`);
  });
  if (rest.length > 0) throw new Error(`unexpected arguments after --: ${rest.join(' ')}`);
  if (opts.simOnly && !opts.sim) throw new Error('--sim-only and --no-sim exclude each other');
  return opts;
}

// ---- output ------------------------------------------------------------------------------

const started = performance.now();
const progress = (msg) => console.error(`[bench:engine +${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const out = (line = '') => console.log(line);

function stats(samplesMs) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const mean = samplesMs.reduce((s, x) => s + x, 0) / samplesMs.length;
  return { n: samplesMs.length, mean, p50: q(0.5), p90: q(0.9), min: sorted[0], max: sorted[sorted.length - 1] };
}

const ms = (x) => (x >= 100 ? `${x.toFixed(0)} ms` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`);
const fmtStats = (s) => `mean ${ms(s.mean)}, p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, min ${ms(s.min)}, max ${ms(s.max)} (n=${s.n})`;
const pad = (s, n) => (s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length));
const row = (label, text) => out(`  ${pad(label, 46)}${text}`);
const verdict = (ok) => (ok ? 'PASS' : 'BELOW');

// ---- counting clients --------------------------------------------------------------------

/** Counts calls and time per kind while `on`; forwards everything untouched while off. */
class Meter {
  on = false;
  calls = new Map();

  add(key, elapsedMs, bytes = 0) {
    const c = this.calls.get(key) ?? { n: 0, ms: 0, bytes: 0 };
    c.n += 1;
    c.ms += elapsedMs;
    c.bytes += bytes;
    this.calls.set(key, c);
  }

  /** Runs `fn` with counting on; returns its result, the elapsed time and what was counted. */
  async measure(fn) {
    this.calls = new Map();
    this.on = true;
    const t0 = performance.now();
    try {
      const result = await fn();
      return { result, elapsedMs: performance.now() - t0, calls: this.calls };
    } finally {
      this.on = false;
    }
  }
}

/** A proxy over a DmClient or BlockClient that reports each async call to `meter`. */
function metered(target, meter, keyOf) {
  return new Proxy(target, {
    get(t, prop) {
      const v = Reflect.get(t, prop, t);
      if (typeof v !== 'function') return v;
      return (...args) => {
        if (!meter.on) return v.apply(t, args);
        const t0 = performance.now();
        const r = v.apply(t, args);
        if (r === null || typeof r?.then !== 'function') return r;
        const { key, bytes } = keyOf(String(prop), args);
        return r.then(
          (x) => {
            meter.add(key, performance.now() - t0, bytes);
            return x;
          },
          (e) => {
            meter.add(`${key} (failed)`, performance.now() - t0, bytes);
            throw e;
          },
        );
      };
    },
  });
}

const dmKey = (prop, args) => ({ key: prop === 'message' ? `dm message ${String(args[2]).split(' ')[0]}` : `dm ${prop}`, bytes: 0 });
const blockKey = (prop, args) => ({ key: `block ${prop}`, bytes: prop === 'write' ? (args[2]?.length ?? 0) : prop === 'read' ? (args[2] ?? 0) : 0 });

/** Wraps one catalog store's append so its time (encode + write + reduce) is counted too. */
function meterCatalog(pool, meter) {
  const catalog = pool.core.catalog;
  if (catalog.__metered) return;
  const append = catalog.append.bind(catalog);
  const checkpoint = catalog.checkpoint.bind(catalog);
  catalog.append = async (record) => {
    if (!meter.on) return append(record);
    const t0 = performance.now();
    const before = catalog.sizeInfo();
    await append(record);
    const after = catalog.sizeInfo();
    const checkpointed = after.journalUsedBytes < before.journalUsedBytes || after.recordsSinceCheckpoint <= before.recordsSinceCheckpoint;
    meter.add(`catalog append ${record.t}${checkpointed ? ' (+checkpoint)' : ''}`, performance.now() - t0);
  };
  catalog.checkpoint = async () => {
    if (!meter.on) return checkpoint();
    const t0 = performance.now();
    await checkpoint();
    meter.add('catalog checkpoint', performance.now() - t0);
  };
  catalog.__metered = true;
}

/** Prints what a measured run counted, per `per` operations. */
function printCalls(title, measured, per, unit = 'snapshot') {
  const { calls, elapsedMs } = measured;
  out(`  ${title}: ${ms(elapsedMs / per)} per ${unit}${per > 1 ? ` (${ms(elapsedMs)} for ${per})` : ''}`);
  let dmMs = 0;
  let dmN = 0;
  let writeMs = 0;
  let appendMs = 0;
  const keys = [...calls.keys()].sort();
  for (const key of keys) {
    const c = calls.get(key);
    if (key.startsWith('dm ')) {
      dmMs += c.ms;
      dmN += c.n;
    }
    if (key === 'block write') writeMs += c.ms;
    if (key.startsWith('catalog append')) appendMs += c.ms;
    const bytes = c.bytes > 0 ? `, ${(c.bytes / per / KiB).toFixed(1)} KiB` : '';
    out(`    ${pad(key, 44)}${(c.n / per).toFixed(per > 1 ? 2 : 0).padStart(8)} calls ${ms(c.ms / per).padStart(10)}${bytes}   (${((100 * c.ms) / elapsedMs).toFixed(0)}%)`);
  }
  out(`    ${pad('=> dm ioctls', 44)}${(dmN / per).toFixed(per > 1 ? 2 : 0).padStart(8)} calls ${ms(dmMs / per).padStart(10)}   (${((100 * dmMs) / elapsedMs).toFixed(0)}%)`);
  out(
    `    ${pad('=> catalog appends (encode + write + reduce)', 44)}${' '.repeat(14)}${ms(appendMs / per).padStart(10)}   (${((100 * appendMs) / elapsedMs).toFixed(0)}%), of which device writes ${ms(writeMs / per)}`,
  );
  const other = elapsedMs - dmMs - appendMs;
  out(`    ${pad('=> the rest (JS: planning, lookups, results)', 44)}${' '.repeat(14)}${ms(other / per).padStart(10)}   (${((100 * other) / elapsedMs).toFixed(0)}%)`);
}

// ---- helpers -------------------------------------------------------------------------------

async function sparseFile(path, sizeBytes) {
  await writeFile(path, '');
  await truncate(path, sizeBytes);
  return path;
}

function run(cmd, args, env) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  const elapsedMs = performance.now() - t0;
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  return { ...r, elapsedMs };
}

function mustRun(cmd, args, env) {
  const r = run(cmd, args, env);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit ${r.status}:\n${`${r.stdout}${r.stderr}`.trim()}`);
  return r;
}

/** A pattern buffer for data writes (not all zero, so the kernel really maps blocks). */
function pattern(seed, length) {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) b.writeUInt32LE((seed * 2654435761 + i) >>> 0, i);
  return b;
}

// ---- part 1: lvcreate ------------------------------------------------------------------------

/** LVM's own settings for the bench: udev sync off, no monitoring, nothing written under /etc. */
const LVM_CLI_CONFIG = 'activation { udev_sync = 0 udev_rules = 0 monitoring = 0 } devices { obtain_device_list_from_udev = 0 }';

/**
 * Sets up the LVM side and returns a handle that runs one timed `lvcreate -s` at a time, so
 * the engine's runs can be interleaved with LVM's (a shared host's load then hits both).
 */
async function openLvm(ctx, opts) {
  const { dir, block } = ctx;
  const version = run('lvm', ['version']);
  if (version.status !== 0) throw new Error(`lvm2 is missing or broken (\`lvm version\` exit ${version.status}): apt-get install -y lvm2\n${version.stderr}`);
  const lvmVersion = /LVM version:\s*(\S+)/.exec(version.stdout)?.[1] ?? '?';

  // A private LVM_SYSTEM_DIR: backups and archives go to the temp dir (on a host they must not
  // land in /etc/lvm), and only our loop device is scanned.
  const sysDir = join(dir, 'lvm');
  await mkdir(join(sysDir, 'backup'), { recursive: true });
  await mkdir(join(sysDir, 'archive'), { recursive: true });
  const img = await sparseFile(join(dir, 'lvm.img'), 4 * GiB);
  const loop = await block.attachLoop(img);
  ctx.cleanups.push(() => block.detachLoop(loop));
  const devicesSection = [`filter = [ "a|^${loop}$|", "r|.*|" ]`];
  const env = { ...process.env, LVM_SYSTEM_DIR: sysDir, LVM_SUPPRESS_FD_WARNINGS: '1' };
  // use_devicesfile exists from lvm 2.03.12; off, so no system.devices file decides what is seen.
  if (run('lvmconfig', ['--type', 'default', 'devices/use_devicesfile'], env).status === 0) devicesSection.push('use_devicesfile = 0');
  const lvmConf = `devices { ${devicesSection.join(' ')} } backup { backup_dir = "${sysDir}/backup" archive_dir = "${sysDir}/archive" }`;
  await writeFile(join(sysDir, 'lvm.conf'), `${lvmConf}\n`);
  const check = run('lvmconfig', ['--validate', '--config', LVM_CLI_CONFIG], env);
  if (check.status !== 0 || /unknown|invalid/i.test(check.stderr)) {
    throw new Error(`lvm ${lvmVersion} rejects the bench's configuration:\n${`${check.stdout}${check.stderr}`.trim()}`);
  }

  const vg = `tfbench${process.pid}`;
  const lvm = (cmd, ...args) => mustRun('lvm', [cmd, '--config', LVM_CLI_CONFIG, ...args], env);
  const metadataSize = opts.lvmSeries > 200 ? ['--metadatasize', '16m'] : [];
  lvm('pvcreate', '-y', ...metadataSize, loop);
  lvm('vgcreate', vg, loop);
  ctx.cleanups.push(() => {
    const r = run('lvm', ['vgchange', '--config', LVM_CLI_CONFIG, '--noudevsync', '-an', vg], env);
    if (r.status !== 0) progress(`warning: vgchange -an ${vg} failed: ${r.stderr.trim()}`);
  });
  lvm('lvcreate', '--noudevsync', '-y', '-L', '2g', '-T', `${vg}/pool`);
  lvm('lvcreate', '--noudevsync', '-y', '-V', '1g', '-T', `${vg}/pool`, '-n', 'origin');
  lvm('lvcreate', '--noudevsync', '-y', '-V', '1g', '-T', `${vg}/pool`, '-n', 'cold');
  lvm('lvchange', '--noudevsync', '-an', `${vg}/cold`);
  const originPath = `/dev/mapper/${vg}-origin`;
  for (let i = 0; i < 8; i++) await block.write(originPath, i * MiB, pattern(i, MiB));
  progress(`lvm ${lvmVersion}: VG ${vg} on ${loop}, thin pool, active origin with 8 MiB written, inactive origin`);

  const active = [];
  const inactive = [];
  return {
    /** One timed `lvcreate -s` of the active origin; the series is all of them. */
    snapActive() {
      const n = active.length + 1;
      active.push(lvm('lvcreate', '--noudevsync', '-s', `${vg}/origin`, '-n', `snap${n}`).elapsedMs);
      if (n % 25 === 0) progress(`lvcreate -s ${n}/${Math.max(opts.lvmSeries, opts.single)}: last ${ms(active.at(-1))}`);
    },
    /** One timed `lvcreate -s` of the inactive origin. */
    snapInactive() {
      inactive.push(lvm('lvcreate', '--noudevsync', '-s', `${vg}/cold`, '-n', `csnap${inactive.length + 1}`).elapsedMs);
    },
    /** Runs `lvcreate -s` of the active origin until the series has `total`. */
    seriesUpTo(total) {
      while (active.length < total) this.snapActive();
    },
    /** Checks LVM made every snapshot and sums up. */
    finish() {
      const names = lvm('lvs', '--noheadings', '-o', 'lv_name', vg)
        .stdout.split('\n')
        .map((l) => l.trim());
      const listed = names.filter((l) => /^c?snap\d+$/.test(l)).length;
      if (listed !== active.length + inactive.length) throw new Error(`lvs lists ${listed} snapshots, expected ${active.length + inactive.length}`);
      const ten = Math.min(10, active.length);
      return {
        lvmVersion,
        lvmConf: lvmConf.replaceAll(sysDir, '<tmp>'),
        single: stats(active.slice(0, opts.single)),
        singleInactive: stats(inactive),
        series: stats(active),
        head: stats(active.slice(0, ten)),
        tail: stats(active.slice(-ten)),
      };
    },
  };
}

// ---- parts 2 and 3: the engine -------------------------------------------------------------

/**
 * One engine environment: the kernel (NativeDmClient) or the simulator, with counting clients.
 */
async function openEnvironment(kind, dir) {
  const meter = new Meter();
  let dm;
  let block;
  let close = () => undefined;
  if (kind === 'kernel') {
    dm = new NativeDmClient();
    block = new NativeBlockClient();
  } else {
    const sim = await openSimHost(join(dir, 'sim-kernel'));
    dm = sim.dm;
    block = sim.block;
    close = () => sim.close();
  }
  return { kind, meter, dm: metered(dm, meter, dmKey), block: metered(block, meter, blockKey), rawDm: dm, rawBlock: block, close };
}

/** Removes whatever dm devices of pool `name` are left (volumes, then pool, then linear). */
async function removeLeftovers(dm, name) {
  const prefix = `tf-${name.replaceAll('-', '--')}-`;
  const rank = (n) => (n.endsWith('-_tmeta') || n.endsWith('-_tdata') ? 2 : n.endsWith('-_tpool') ? 1 : 0);
  for (let round = 0; round < 5; round++) {
    const ours = (await dm.list()).filter((d) => d.name.startsWith(prefix)).sort((a, b) => rank(a.name) - rank(b.name));
    if (ours.length === 0) return;
    for (const d of ours) {
      const info = await dm.info(d.name).catch(() => null);
      if (info?.suspended) await dm.resume(d.name).catch(() => undefined);
      await dm.remove(d.name).catch(() => undefined);
    }
  }
}

async function timeSnapshots(pool, origin, prefix, count, before) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    before?.();
    const t0 = performance.now();
    await pool.snapshot(origin, `${prefix}${i}`);
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

/** The engine's figures in `env`; with `lvm`, LVM's runs are interleaved with the engine's. */
async function engineBench(env, ctx, opts, lvm = null) {
  const { dir } = ctx;
  const { meter } = env;
  const results = { kind: env.kind };
  const name = `tfb${env.kind === 'kernel' ? 'k' : 's'}${process.pid}`;
  const img = await sparseFile(join(dir, `${name}.img`), 8 * GiB);
  const loop = await env.block.attachLoop(img);
  const devices = [loop];
  ctx.cleanups.push(async () => {
    await removeLeftovers(env.rawDm, name);
    await env.rawBlock.detachLoop(loop).catch(() => undefined);
  });

  let engine = new Engine({ dm: env.dm, block: env.block });
  // The kernel formats an empty thin volume with a root block of its own (4 KiB): 10,000
  // create_thin need about 40 MiB of metadata, more than the default for 8 GiB of data.
  let pool = await engine.createPool({ name, devices, metadataBytes: 256 * MiB });
  progress(`${env.kind}: pool ${name} on ${loop}`);
  await pool.createVolume('base', 1 * GiB, { activate: true });
  const baseInfo = (await pool.list()).find((v) => v.name === 'base');
  // The simulator's pool commits its whole metadata, every mapping of every snapshot, on each
  // message: 8 MiB under thousands of snapshots would make it quadratic. One block there.
  const dataBytes = env.kind === 'kernel' ? 8 * MiB : 64 * KiB;
  for (let at = 0; at < dataBytes; at += Math.min(MiB, dataBytes)) await env.block.write(baseInfo.devicePath, at, pattern(at, Math.min(MiB, dataBytes)));
  results.originDataBytes = dataBytes;
  await pool.createVolume('cold', 1 * GiB);

  // Warm-up: the engine is a long-running agent; its first calls pay for JIT and module loading.
  for (let i = 0; i < 3; i++) {
    await pool.snapshot('base', `warm-a${i}`);
    await pool.snapshot('cold', `warm-i${i}`);
  }
  progress(`${env.kind}: ${opts.single} snapshots of an active origin, ${opts.single} of an inactive one`);
  results.singleActive = await timeSnapshots(pool, 'base', 'sa', opts.single, lvm && (() => lvm.snapActive()));
  results.singleInactive = await timeSnapshots(pool, 'cold', 'si', opts.single, lvm && (() => lvm.snapInactive()));

  meterCatalog(pool, meter);
  if (opts.profile > 0) {
    progress(`${env.kind}: profiling ${opts.profile} snapshots of each origin`);
    results.profileActive = await meter.measure(async () => {
      for (let i = 0; i < opts.profile; i++) await pool.snapshot('base', `pa${i}`);
    });
    results.profileInactive = await meter.measure(async () => {
      for (let i = 0; i < opts.profile; i++) await pool.snapshot('cold', `pi${i}`);
    });
  }

  const batchItems = (tag) => Array.from({ length: opts.batch }, (_, i) => ({ item: `${tag}${i}`, op: 'snapshot', volume: `${tag}${i}`, origin: 'base' }));
  // The batch runs in the middle of LVM's series.
  if (lvm) {
    const upTo = opts.single + Math.floor(Math.max(0, opts.lvmSeries - opts.single) / 2);
    progress(`lvm: lvcreate -s series up to ${upTo} of ${opts.lvmSeries}`);
    lvm.seriesUpTo(upTo);
  }
  progress(`${env.kind}: one batch of ${opts.batch} snapshots of the active origin`);
  {
    const items = batchItems('b');
    const t0 = performance.now();
    const r = await pool.batch(items);
    results.batchMs = performance.now() - t0;
    if (r.items.length !== opts.batch || r.items.some((x) => x.volume === null)) throw new Error('the batch did not return every snapshot');
  }
  if (lvm) {
    progress(`lvm: the rest of the lvcreate -s series, up to ${opts.lvmSeries}`);
    lvm.seriesUpTo(opts.lvmSeries);
  }
  progress(`${env.kind}: the same batch again, profiled`);
  results.profileBatch = await meter.measure(() => pool.batch(batchItems('c')));

  // Fill the pool to opts.volumes volumes with create batches.
  const have = () => Object.keys(pool.core.catalog.state.volumes).length;
  const fillStart = have();
  const fillSamples = [];
  let n = 0;
  // At least one create batch, so `v0` (activated by the start-up figures) exists even when the
  // snapshots above already reach --volumes.
  while (n === 0 || have() < opts.volumes) {
    const want = Math.max(1, Math.min(1000, opts.volumes - have()));
    const items = Array.from({ length: want }, (_, i) => ({ item: `v${n + i}`, op: 'create', volume: `v${n + i}`, sizeBytes: 64 * MiB }));
    n += want;
    const t0 = performance.now();
    await pool.batch(items);
    fillSamples.push({ ms: performance.now() - t0, count: want });
    progress(`${env.kind}: ${have()} volumes (last batch of ${want} creates: ${ms(fillSamples.at(-1).ms)})`);
  }
  results.volumes = have();
  if (fillSamples.length > 0) {
    const total = fillSamples.reduce((s, x) => s + x.ms, 0);
    const count = fillSamples.reduce((s, x) => s + x.count, 0);
    results.fill = { perCreateMs: total / count, count, batches: fillSamples.length, fromVolumes: fillStart };
  }

  // Start-up. Every activation is by a new Engine, as after an agent restart.
  const label = await readLabel({ read: (o, l) => env.block.read(loop, o, l), write: () => Promise.reject(new Error('read-only')) });
  const catalogOptions = { device: { read: (o, l) => env.block.read(loop, o, l), write: () => Promise.reject(new Error('read-only')) }, layout: label.catalog, reduce: reduceCatalog };
  const catalogLoad = async () => {
    const samples = [];
    let report;
    let info;
    for (let i = 0; i < opts.runs; i++) {
      const t0 = performance.now();
      const store = await CatalogStore.open(catalogOptions);
      samples.push(performance.now() - t0);
      report = store.loadReport;
      info = store.sizeInfo();
      if (Object.keys(store.state.volumes).length !== results.volumes) throw new Error('the catalog does not hold every volume');
    }
    return { stats: stats(samples), report, info };
  };
  const activateCold = async () => {
    const samples = [];
    let calls;
    for (let i = 0; i < opts.runs; i++) {
      await pool.deactivate();
      engine = new Engine({ dm: env.dm, block: env.block });
      const m = await meter.measure(() => engine.activatePool(name, devices));
      pool = m.result;
      samples.push(m.elapsedMs);
      calls = m;
      if (pool.lastRecovery?.outcome !== 'clean') throw new Error(`recovery was ${pool.lastRecovery?.outcome}, expected clean`);
    }
    return { stats: stats(samples), last: calls };
  };
  const activateAdopt = async () => {
    const samples = [];
    let calls;
    for (let i = 0; i < opts.runs; i++) {
      const restarted = new Engine({ dm: env.dm, block: env.block });
      const m = await meter.measure(() => restarted.activatePool(name, devices));
      samples.push(m.elapsedMs);
      calls = m;
    }
    return { stats: stats(samples), last: calls };
  };

  const startup = async () => {
    // Two volumes active, as on a host running VMs: adoption checks each active volume's table.
    await pool.activateVolume('base');
    await pool.activateVolume('v0');
    // The last commit record is staged (group commit); write it, as an agent does before it
    // hands a pool over, so the catalog on disk holds every volume.
    await pool.core.catalog.flush();
    return { catalog: await catalogLoad(), adopt: await activateAdopt(), cold: await activateCold() };
  };
  progress(`${env.kind}: start-up with ${results.volumes} volumes, catalog replaying its journal`);
  results.journal = await startup();
  progress(`${env.kind}: checkpointing the catalog, start-up again`);
  await pool.core.catalog.checkpoint();
  results.checkpoint = await startup();

  // Does a snapshot slow down with the pool's size? (O(volumes) work per transaction.)
  meterCatalog(pool, meter);
  await pool.activateVolume('base');
  await pool.snapshot('base', 'late-warm');
  progress(`${env.kind}: ${opts.single} snapshots with ${results.volumes} volumes in the pool`);
  results.lateActive = await timeSnapshots(pool, 'base', 'late', opts.single);
  if (opts.profile > 0) {
    results.profileLate = await meter.measure(async () => {
      for (let i = 0; i < opts.profile; i++) await pool.snapshot('base', `latep${i}`);
    });
    // Every transaction looks at the pool's active devices: does that grow with them?
    const idle = Object.values(pool.core.catalog.state.volumes).filter((v) => /^v\d+$/.test(v.name) && v.name !== 'v0');
    for (const v of idle.slice(0, opts.active)) await pool.activateVolume(v.name);
    results.activeVolumes = (await pool.list()).filter((v) => v.active).length;
    progress(`${env.kind}: ${opts.profile} snapshots with ${results.activeVolumes} active volumes, profiled`);
    results.profileManyActive = await meter.measure(async () => {
      for (let i = 0; i < opts.profile; i++) await pool.snapshot('base', `activep${i}`);
    });
  }

  progress(`${env.kind}: destroying the pool`);
  await engine.destroyPool(name, { force: true });
  return results;
}

// ---- report ----------------------------------------------------------------------------------

function printEngine(r, lvm, opts) {
  const where = r.kind === 'kernel' ? 'real kernel (NativeDmClient)' : 'SimDm (simulated kernel; no ratio against lvcreate)';
  out();
  out(`engine on the ${where}`);
  const ratio = (lvmMs, engineMs) => (lvm ? `  ${(lvmMs / engineMs).toFixed(1)}x lvcreate` : '');
  const ratios = (l, e) => (lvm ? `  ${(l.mean / e.mean).toFixed(1)}x lvcreate by mean, ${(l.p50 / e.p50).toFixed(1)}x by p50` : '');
  row(`snapshot, active origin with ${r.originDataBytes / KiB} KiB data`, `${fmtStats(r.singleActive)}${ratios(lvm?.single, r.singleActive)}`);
  row('snapshot, inactive origin', `${fmtStats(r.singleInactive)}${ratios(lvm?.singleInactive, r.singleInactive)}`);
  const perBatch = r.batchMs / opts.batch;
  row(`batch of ${opts.batch} snapshots (active origin)`, `${ms(r.batchMs)} total, ${ms(perBatch)} per snapshot${ratio(lvm?.series.mean, perBatch)}`);
  if (r.fill) row(`create batches (1000 each) to ${r.volumes}`, `${ms(r.fill.perCreateMs)} per volume (${r.fill.count} creates in ${r.fill.batches} batches)`);
  row(`snapshot with ${r.volumes} volumes in the pool`, `${fmtStats(r.lateActive)}${ratio(lvm?.single.mean, r.lateActive.mean)}`);
  out();
  out(`start-up with ${r.volumes} volumes (${opts.runs} runs each; each activation by a new Engine)`);
  for (const [label, s] of [
    ['catalog replays its journal', r.journal],
    ['after a checkpoint', r.checkpoint],
  ]) {
    const c = s.catalog;
    out(`  ${label}: checkpoint ${(c.info.checkpointBytes / KiB).toFixed(0)} KiB, ${c.report.recordsReplayed} journal records (${(c.info.journalUsedBytes / KiB).toFixed(0)} KiB) replayed`);
    row('  catalog load alone (CatalogStore.open)', `${fmtStats(c.stats)}  ${verdict(c.stats.p50 < 1000)}`);
    row('  activatePool, pool deactivated', `${fmtStats(s.cold.stats)}  ${verdict(s.cold.stats.p50 < 1000)}`);
    row('  activatePool, devices still active (adopt)', `${fmtStats(s.adopt.stats)}  ${verdict(s.adopt.stats.p50 < 1000)}`);
  }
  out();
  out(`where the time goes (${r.kind}; calls per operation, time in them, share of the wall time)`);
  if (r.profileActive) printCalls(`snapshot of the active origin (${opts.profile} runs)`, r.profileActive, opts.profile);
  if (r.profileInactive) printCalls(`snapshot of the inactive origin (${opts.profile} runs)`, r.profileInactive, opts.profile);
  printCalls(`batch of ${opts.batch} snapshots`, r.profileBatch, opts.batch);
  const snapMsg = r.profileBatch.calls.get('dm message create_snap');
  if (snapMsg && lvm) {
    const floor = snapMsg.ms / snapMsg.n;
    out(`    floor: the kernel commits its metadata on every message; ${ms(floor)} per create_snap ioctl alone bounds the batch at ${(lvm.series.mean / floor).toFixed(0)}x lvcreate`);
  }
  if (r.profileLate) printCalls(`snapshot with ${r.volumes} volumes in the pool (${opts.profile} runs)`, r.profileLate, opts.profile);
  if (r.profileManyActive) printCalls(`snapshot with ${r.volumes} volumes, ${r.activeVolumes} of them active (${opts.profile} runs)`, r.profileManyActive, opts.profile);
  printCalls('activatePool, pool deactivated (last run, after the checkpoint)', r.checkpoint.cold.last, 1, 'activation');
  printCalls('activatePool, devices active (last run, after the checkpoint)', r.checkpoint.adopt.last, 1, 'activation');
}

function printGoals(kernel, lvm, opts) {
  out();
  out('goals (design.md, "Numbers to beat")');
  if (lvm) {
    const a = lvm.single.mean / kernel.singleActive.mean;
    const i = lvm.singleInactive.mean / kernel.singleInactive.mean;
    const b = lvm.series.mean / (kernel.batchMs / opts.batch);
    row('snapshot >= 50x faster than lvcreate -s', `active origin ${a.toFixed(1)}x ${verdict(a >= 50)}; inactive origin ${i.toFixed(1)}x ${verdict(i >= 50)} (by mean)`);
    row(`batch of ${opts.batch}: >= 200x per snapshot`, `${b.toFixed(1)}x ${verdict(b >= 200)} (against the mean of ${opts.lvmSeries} consecutive lvcreate -s)`);
  } else {
    row('snapshot ratios', 'not measured (--no-lvm)');
  }
  const worst = Math.max(kernel.journal.cold.stats.p50, kernel.checkpoint.cold.stats.p50, kernel.journal.adopt.stats.p50, kernel.checkpoint.adopt.stats.p50);
  row(`start-up with ${kernel.volumes} volumes < 1 s (kernel)`, `slowest p50 ${ms(worst)} ${verdict(worst < 1000)}`);
}

// ---- main -------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const inVm = process.env.THINFLEET_IN_VM === '1';
  const kernelRelease = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
  if (!opts.simOnly && process.getuid?.() !== 0) throw new Error('the kernel parts need root (run in the VM with npm run bench:engine, or pass --sim-only)');
  const ctx = { dir: await mkdtemp(join(tmpdir(), 'thinfleet-bench-engine-')), cleanups: [], block: new NativeBlockClient() };
  let lvm = null;
  let kernel = null;
  let sim = null;
  try {
    if (!opts.simOnly) {
      const lvmHandle = opts.lvm ? await openLvm(ctx, opts) : null;
      const env = await openEnvironment('kernel', ctx.dir);
      kernel = await engineBench(env, ctx, opts, lvmHandle);
      lvm = lvmHandle?.finish() ?? null;
    }
    if (opts.sim) {
      const env = await openEnvironment('sim', ctx.dir);
      ctx.cleanups.push(() => env.close());
      sim = await engineBench(env, ctx, opts);
    }
  } finally {
    for (const cleanup of ctx.cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        progress(`cleanup: ${err.message}`);
      }
    }
    await rm(ctx.dir, { recursive: true, force: true });
  }

  out(`bench:engine on ${inVm ? 'the qemu TCG guest' : 'this host'}, kernel ${kernelRelease}, node ${process.version}`);
  if (lvm) {
    out();
    out(`lvcreate -s baseline: lvm ${lvm.lvmVersion}, --noudevsync, --config '${LVM_CLI_CONFIG}',`);
    out(`  LVM_SYSTEM_DIR=<tmp> with lvm.conf: ${lvm.lvmConf}`);
    out('  thin pool LV, active thin origin with 8 MiB written, inactive thin origin; each snapshot is one');
    out("  `lvm lvcreate -s vg/ORIGIN -n NAME` process; runs interleaved with the engine's (one each in turn;");
    out("  the engine's batch in the middle of the series), so a change in the host's load hits both");
    row(`first ${lvm.single.n} lvcreate -s (single snapshot)`, fmtStats(lvm.single));
    row(`${lvm.singleInactive.n} lvcreate -s of an inactive origin`, fmtStats(lvm.singleInactive));
    row(`all ${lvm.series.n} consecutive lvcreate -s`, fmtStats(lvm.series));
    row('  first 10 / last 10 of the series', `mean ${ms(lvm.head.mean)} / ${ms(lvm.tail.mean)}`);
    out(
      `  the batch baseline is the per-snapshot mean of that series of ${lvm.series.n}${lvm.series.n < opts.batch ? ` (not ${opts.batch}: lvcreate grows slower as the VG grows, so the ratio is a lower bound)` : ''}`,
    );
  }
  if (kernel) printEngine(kernel, lvm, opts);
  if (sim) printEngine(sim, null, opts);
  if (kernel) printGoals(kernel, lvm, opts);
  if (sim) {
    const worst = Math.max(sim.journal.cold.stats.p50, sim.checkpoint.cold.stats.p50, sim.journal.adopt.stats.p50, sim.checkpoint.adopt.stats.p50);
    row(`start-up with ${sim.volumes} volumes < 1 s (SimDm)`, `slowest p50 ${ms(worst)} ${verdict(worst < 1000)}`);
  }
}

try {
  await main();
} catch (err) {
  console.error(`bench:engine FAILED: ${err?.stack ?? err}`);
  process.exitCode = 1;
}
