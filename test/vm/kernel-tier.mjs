#!/usr/bin/env node
/**
 * The kernel test tier (`npm run test:kernel`) and the kernel benchmarks (`--bench NAME`).
 *
 *   node test/vm/kernel-tier.mjs [--mem MiB] [--smp N] [--timeout SEC] [vitest args...]
 *   node test/vm/kernel-tier.mjs --bench NAME [--mem MiB] [--smp N] [--timeout SEC] [-- bench args...]
 *
 * Where it runs:
 *   THINFLEET_KERNEL_TIER=host  on this host; needs root, /dev/mapper/control and dm_thin_pool.
 *   otherwise                   in the qemu guest of test/vm/vm.mjs (Debian's kernel, TCG).
 *
 * Tests: runs `vitest run --config vitest.kernel.config.ts [vitest args]` (node_modules/.bin/vitest,
 * which `npx vitest` would pick, minus npm's ~6 s start-up under TCG) with
 * THINFLEET_KERNEL_ARTIFACTS=<repo>/.cache/kernel-artifacts/<run id>, then runs thin_check on
 * every *.meta file the suite left there (the metadata of each pool the tests made and tore
 * down). Fails when vitest fails, when any thin_check fails, or when there is no *.meta file at
 * all. The artifacts are deleted after a clean run and kept (path printed) otherwise, or always
 * with THINFLEET_KEEP_ARTIFACTS=1; the newest 5 kept runs survive later runs.
 * Bench: runs `node test/bench/NAME.bench.mjs [bench args]` in the same environment.
 *
 * Exit code: vitest's (or the bench's) when non-zero, else 1 when a metadata check failed, else
 * 0; 2 when something needed is missing; 124 on timeout; 125 when the guest failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { walkArgs, wholeNumber } from '../support/args.mjs';
import { EXIT_MISSING, repoRoot, runInVm, VmSetupError } from './vm.mjs';

const log = (msg) => console.error(`kernel tier: ${msg}`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

function parseArgs(argv) {
  const opts = { bench: undefined, memMiB: 4096, smp: 2, timeoutSec: 1800, inGuest: false, runId: undefined, rest: [] };
  const after = walkArgs(argv, (a, value) => {
    if (a === '--bench') opts.bench = value();
    else if (a === '--mem') opts.memMiB = wholeNumber(a, value());
    else if (a === '--smp') opts.smp = wholeNumber(a, value());
    else if (a === '--timeout') opts.timeoutSec = wholeNumber(a, value());
    else if (a === '--in-guest') opts.inGuest = true;
    else if (a === '--run-id') opts.runId = value();
    else opts.rest.push(a); // vitest's (or the bench's) own arguments
  });
  opts.rest.push(...after);
  if (opts.bench !== undefined && !/^[A-Za-z0-9._-]+$/.test(opts.bench)) {
    throw new Error(`--bench: bad name ${JSON.stringify(opts.bench)}`);
  }
  return opts;
}

const localVitest = join(repoRoot, 'node_modules', '.bin', 'vitest');
function noVitest() {
  log(`vitest is not installed in ${repoRoot} (no node_modules/.bin/vitest): run \`npm ci\` first`);
  return EXIT_MISSING;
}

const benchFile = (name) => join(repoRoot, 'test', 'bench', `${name}.bench.mjs`);

function onPath(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Exits with 2 unless this host can run the tier itself. */
function requireHostKernel() {
  const problems = [];
  if (process.getuid?.() !== 0) problems.push('must run as root (device-mapper ioctls, loop devices)');
  if (!existsSync('/dev/mapper/control')) problems.push('/dev/mapper/control is missing (no device-mapper: modprobe dm_mod)');
  if (!existsSync('/sys/module/dm_thin_pool')) {
    const probe = spawnSync('modprobe', ['dm_thin_pool'], { encoding: 'utf8' });
    if (probe.status !== 0 || !existsSync('/sys/module/dm_thin_pool')) {
      problems.push(`dm_thin_pool is not loaded and \`modprobe dm_thin_pool\` failed${probe.stderr ? `: ${probe.stderr.trim()}` : ''}`);
    }
  }
  if (problems.length > 0) {
    log(`THINFLEET_KERNEL_TIER=host, but this host cannot run it:\n  - ${problems.join('\n  - ')}`);
    log('unset THINFLEET_KERNEL_TIER to run the tier in the qemu guest instead');
    process.exit(EXIT_MISSING);
  }
}

function run(command, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber[signal] ?? 0) : 1)));
  });
}
const signalNumber = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };

function findMetaFiles(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findMetaFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.meta')) found.push(path);
  }
  return found.sort();
}

/**
 * thin_check opens with O_DIRECT; a file system without it (tmpfs) answers EINVAL. Then the
 * file is checked through a read-only loop device.
 */
function thinCheck(file) {
  let r = spawnSync('thin_check', [file], { encoding: 'utf8' });
  let via = '';
  if (r.status !== 0 && /syscall 'open' failed: Invalid argument/.test(`${r.stdout}${r.stderr}`)) {
    const loop = spawnSync('losetup', ['--read-only', '--find', '--show', file], { encoding: 'utf8' });
    if (loop.status === 0) {
      const dev = loop.stdout.trim();
      r = spawnSync('thin_check', [dev], { encoding: 'utf8' });
      spawnSync('losetup', ['-d', dev]);
      via = ` (through ${dev}: the file system refuses O_DIRECT)`;
    }
  }
  if (r.error) throw new Error(`cannot run thin_check: ${r.error.message}`);
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim(), via };
}

/** The tier's steps, in whatever environment this process runs in (host or guest). */
async function runSteps(opts) {
  if (!onPath('thin_check')) {
    log('thin_check not found: apt-get install -y thin-provisioning-tools');
    return EXIT_MISSING;
  }
  const where = process.env.THINFLEET_IN_VM === '1' ? 'guest' : 'host';

  if (opts.bench !== undefined) {
    const file = benchFile(opts.bench);
    if (!existsSync(file)) {
      log(`no benchmark ${opts.bench}: ${relative(repoRoot, file)} does not exist`);
      return 1;
    }
    log(`bench ${opts.bench} on the ${where}: node ${relative(repoRoot, file)} ${opts.rest.join(' ')}`);
    return run(process.execPath, [file, ...opts.rest], process.env);
  }

  if (!existsSync(localVitest)) return noVitest();
  const runId = opts.runId ?? newRunId();
  const artifactsRoot = join(repoRoot, '.cache', 'kernel-artifacts');
  pruneKeptArtifacts(artifactsRoot);
  const artifacts = join(artifactsRoot, runId);
  mkdirSync(artifacts, { recursive: true });

  // `npx vitest` without npx: under TCG loading npm itself costs ~6 s, and the guest has no
  // network for npx to fall back on.
  const args = ['run', '--config', 'vitest.kernel.config.ts', ...opts.rest];
  log(`on the ${where}, kernel ${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}: vitest ${args.join(' ')}`);
  log(`THINFLEET_KERNEL_ARTIFACTS=${artifacts}`);
  const started = Date.now();
  const vitestCode = await run(localVitest, args, { ...process.env, THINFLEET_KERNEL_ARTIFACTS: artifacts });
  log(`vitest exited ${vitestCode} after ${secs(Date.now() - started)}`);

  const metas = findMetaFiles(artifacts);
  let checkFailed = false;
  if (metas.length === 0) {
    checkFailed = true;
    log(
      `FAIL: the suite left no *.meta file in ${relative(repoRoot, artifacts)}: every pool a kernel test makes must leave its metadata file there after teardown, so thin_check found nothing to check`,
    );
  } else {
    const bad = [];
    for (const file of metas) {
      const { ok, output, via } = thinCheck(file);
      if (!ok) {
        bad.push(file);
        log(`thin_check FAILED on ${relative(repoRoot, file)}${via}:\n${output.replace(/^/gm, '    ')}`);
      }
    }
    checkFailed = bad.length > 0;
    log(`thin_check: ${metas.length} metadata file(s) checked, ${metas.length - bad.length} clean, ${bad.length} with errors (${relative(repoRoot, artifacts)})`);
  }

  const code = vitestCode !== 0 ? vitestCode : checkFailed ? 1 : 0;
  if (code === 0 && process.env.THINFLEET_KEEP_ARTIFACTS !== '1') rmSync(artifacts, { recursive: true, force: true });
  else log(`artifacts kept in ${artifacts}`);
  return code;
}

/** Failed runs keep their artifacts; keep the newest few, and none from a run still going. */
function pruneKeptArtifacts(root, keep = 5) {
  let dirs;
  try {
    dirs = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(root, d.name));
  } catch {
    return;
  }
  const hourAgo = Date.now() - 3600_000;
  const byAge = dirs.map((path) => ({ path, mtimeMs: statSync(path).mtimeMs })).sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { path, mtimeMs } of byAge.slice(keep)) {
    if (mtimeMs < hourAgo) rmSync(path, { recursive: true, force: true });
  }
}

function newRunId() {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${t}-${process.pid}`;
}

// Host variables the guest run also gets.
function forwardedEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    const thinfleet = k.startsWith('THINFLEET_') && !k.startsWith('THINFLEET_VM_') && k !== 'THINFLEET_KERNEL_TIER';
    if (thinfleet || ['CI', 'NO_COLOR', 'FORCE_COLOR', 'DEBUG', 'NODE_OPTIONS'].includes(k)) env[k] = v;
  }
  return env;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    log(err.message);
    return EXIT_MISSING;
  }

  if (opts.inGuest) return runSteps(opts);

  if (opts.bench !== undefined && !existsSync(benchFile(opts.bench))) {
    log(`no benchmark ${opts.bench}: ${relative(repoRoot, benchFile(opts.bench))} does not exist`);
    return 1;
  }

  if (opts.bench === undefined && !existsSync(localVitest)) return noVitest();

  if (process.env.THINFLEET_KERNEL_TIER === 'host') {
    requireHostKernel();
    return runSteps(opts);
  }
  if (process.env.THINFLEET_KERNEL_TIER && process.env.THINFLEET_KERNEL_TIER !== 'vm') {
    log(`THINFLEET_KERNEL_TIER=${process.env.THINFLEET_KERNEL_TIER}: expected host or vm`);
    return EXIT_MISSING;
  }
  if (!onPath('thin_check')) {
    log("thin_check not found (the guest runs the host's): apt-get install -y thin-provisioning-tools");
    return EXIT_MISSING;
  }

  const runId = newRunId();
  const command = [process.execPath, join(repoRoot, 'test/vm/kernel-tier.mjs'), '--in-guest', '--run-id', runId];
  if (opts.bench !== undefined) command.push('--bench', opts.bench);
  command.push('--', ...opts.rest);
  log(`booting the qemu guest (TCG, -m ${opts.memMiB} -smp ${opts.smp}, timeout ${opts.timeoutSec} s)`);
  let result;
  try {
    result = await runInVm({
      command,
      env: forwardedEnv(),
      memMiB: opts.memMiB,
      smp: opts.smp,
      timeoutSec: opts.timeoutSec,
      // An emulated watchdog (/dev/watchdog in the guest) for the host-watchdog tests; a test
      // that leaves it armed powers the guest off, which fails the tier loudly.
      extraQemuArgs: ['-device', 'i6300esb', '-action', 'watchdog=poweroff'],
    });
  } catch (err) {
    if (err instanceof VmSetupError) {
      log(err.message);
      return err.exitCode;
    }
    throw err;
  }
  const boot = result.bootMs === undefined ? '?' : secs(result.bootMs);
  log(`guest exit ${result.exitCode}; wall ${secs(result.wallMs)} (boot ${boot})`);
  if (result.timedOut) log(`FAIL: timed out after ${opts.timeoutSec} s (--timeout SEC to change)`);
  return result.exitCode;
}

process.exitCode = await main();
