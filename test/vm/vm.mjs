/**
 * Runs a command inside a qemu guest that boots Debian's kernel with device-mapper, dm-thin and
 * loop loaded, the host's root shared read-only and the work tree shared read-write (both 9p).
 * The command runs chrooted into the host root, with cwd in the work tree, so the host's node,
 * npx, etcd, dmsetup and thin_check all run in the guest against the guest's kernel.
 *
 * Plain ESM JavaScript so it runs before anything is built.
 *
 * @example
 *   import { runInVm } from './vm.mjs';
 *   const { exitCode } = await runInVm({ command: ['node', '--version'] });
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The command that installs everything the guest needs (Debian/Ubuntu). */
export const INSTALL_HINT = 'apt-get install -y qemu-system-x86 linux-image-amd64 busybox-static';

/** Repository root (the default work tree shared with the guest). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

const here = fileURLToPath(new URL('.', import.meta.url));

/** Exit code of a guest run that did not get to report the command's own exit code. */
export const EXIT_VM_FAILED = 125;
/** Exit code of a guest run stopped by its timeout (as timeout(1)). */
export const EXIT_TIMEOUT = 124;
/** Exit code when qemu, the kernel, its modules or busybox-static are missing. */
export const EXIT_MISSING = 2;

/** qemu, the kernel image, modules or busybox-static are missing; `exitCode` is 2. */
export class VmSetupError extends Error {
  constructor(message) {
    super(`${message}\ninstall with: ${INSTALL_HINT}`);
    this.name = 'VmSetupError';
    this.exitCode = EXIT_MISSING;
  }
}

function findInPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/**
 * Finds qemu and builds (or reuses) the initramfs.
 * @returns {{qemu: string, kver: string, kernel: string, initrd: string}}
 * @throws {VmSetupError} when something is not installed
 */
export function prepareVm() {
  const qemu = process.env.THINFLEET_VM_QEMU || findInPath('qemu-system-x86_64');
  if (!qemu) throw new VmSetupError('qemu-system-x86_64 not found in PATH');
  if (!existsSync(qemu)) throw new VmSetupError(`THINFLEET_VM_QEMU=${qemu} does not exist`);
  const build = spawnSync('bash', [join(here, 'build-initramfs.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (build.error) throw new Error(`cannot run build-initramfs.sh: ${build.error.message}`);
  if (build.status === EXIT_MISSING) {
    throw new VmSetupError('build-initramfs.sh: the kernel, its modules or busybox-static are missing');
  }
  if (build.status !== 0) throw new Error(`build-initramfs.sh failed (exit ${build.status})`);
  const vars = Object.fromEntries(
    build.stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  if (!vars.KERNEL || !vars.INITRD) throw new Error(`build-initramfs.sh printed no paths:\n${build.stdout}`);
  return { qemu, kver: vars.KVER, kernel: vars.KERNEL, initrd: vars.INITRD };
}

const shQuote = (s) => `'${String(s).replaceAll("'", `'"'"'`)}'`;

function jobScript({ command, env, cwd }) {
  const lines = ['# written by test/vm/vm.mjs; run by the guest /init, then deleted'];
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new Error(`bad environment variable name: ${key}`);
    lines.push(`export ${key}=${shQuote(value)}`);
  }
  lines.push(`cd ${shQuote(cwd)} || exit ${EXIT_VM_FAILED}`);
  lines.push(`exec ${command.map(shQuote).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

function removeStaleJobs(dir) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of names) {
    try {
      if (statSync(join(dir, name)).mtimeMs < dayAgo) rmSync(join(dir, name), { force: true });
    } catch {
      // someone else removed it
    }
  }
}

// Firmware and terminal noise on the serial line before the kernel starts.
// eslint-disable-next-line no-control-regex
const ansi = /\x1b(\[[0-9;?]*[A-Za-z]|c)/g;
const firmwareLine = /^(SeaBIOS \(version|iPXE|Press Ctrl-B|\s*$)/;
const firmwarePrefix = /^Booting from ROM\.*/;

/**
 * Boots the guest, runs `command` in it and returns its exit code.
 *
 * @param {object} opts
 * @param {string[]} opts.command   program and arguments, run with execve semantics (no shell)
 * @param {Record<string,string>} [opts.env]  extra environment for the command (the guest sets
 *   PATH, HOME=/tmp/home, TMPDIR=/tmp, USER=root, LANG=C.UTF-8, TERM=dumb, THINFLEET_IN_VM=1,
 *   DM_DISABLE_UDEV=1 so dmsetup and lvm make /dev/mapper nodes themselves: there is no udev)
 * @param {number} [opts.memMiB=4096]  guest memory
 * @param {number} [opts.smp=2]        guest CPUs
 * @param {number} [opts.timeoutSec=1800]  wall-clock limit; qemu is killed and 124 returned
 * @param {string} [opts.workTree=repoRoot]  host directory shared read-write at the same path
 * @param {string} [opts.cwd=workTree]  working directory of the command (inside the work tree)
 * @param {(text: string) => void} [opts.onOutput]  receives guest output line by line
 *   (default: written to process.stdout)
 * @param {boolean} [opts.captureOutput=false]  also return the output as `output`
 * @param {string[]} [opts.extraQemuArgs=[]]  more qemu arguments (e.g. a watchdog device:
 *   `['-device', 'i6300esb', '-action', 'watchdog=poweroff']`)
 * @param {AbortSignal} [opts.signal]  stops qemu (SIGTERM, SIGKILL after 5 s) when aborted: the
 *   run then ends like an interrupted one (exit code 143 unless the guest reported its own)
 * @returns {Promise<{exitCode: number, timedOut: boolean, wallMs: number,
 *   bootMs: number|undefined, commandMs: number|undefined, output?: string}>}
 *   `bootMs`: qemu start to the command's start; `commandMs`: the command's run, both wall time
 * @throws {VmSetupError} when qemu, the kernel or busybox-static are not installed
 */
export async function runInVm({
  command,
  env = {},
  memMiB = 4096,
  smp = 2,
  timeoutSec = 1800,
  workTree = repoRoot,
  cwd = workTree,
  onOutput = (text) => process.stdout.write(text),
  captureOutput = false,
  extraQemuArgs = [],
  signal,
} = {}) {
  if (!Array.isArray(command) || command.length === 0) throw new Error('runInVm: command must be a non-empty array');
  if (!/^\/[A-Za-z0-9._+@/-]*$/.test(workTree)) {
    throw new Error(`runInVm: work tree path ${JSON.stringify(workTree)} must be absolute, without spaces or shell characters`);
  }
  const rel = relative(workTree, cwd);
  if (rel.startsWith('..')) throw new Error(`runInVm: cwd ${cwd} is outside the work tree ${workTree}`);

  const { qemu, kernel, initrd } = prepareVm();

  const nonce = randomBytes(8).toString('hex');
  const jobsDir = join(workTree, '.cache', 'vm', 'jobs');
  mkdirSync(jobsDir, { recursive: true });
  removeStaleJobs(jobsDir);
  const jobFile = join(jobsDir, `${nonce}.sh`);
  writeFileSync(jobFile, jobScript({ command, env, cwd }), { mode: 0o644 });

  const append = ['console=ttyS0', 'quiet', 'panic=-1', `thinfleet.worktree=${workTree}`, `thinfleet.job=${relative(workTree, jobFile)}`, `thinfleet.nonce=${nonce}`];
  if (process.env.THINFLEET_VM_9P_CACHE) append.push(`thinfleet.cache=${process.env.THINFLEET_VM_9P_CACHE}`);
  if (process.env.THINFLEET_VM_9P_WTCACHE) append.push(`thinfleet.wtcache=${process.env.THINFLEET_VM_9P_WTCACHE}`);
  if (process.env.THINFLEET_VM_APPEND) append.push(process.env.THINFLEET_VM_APPEND);

  // Nested KVM hangs on the machines this was built on; TCG is the default.
  const accel = process.env.THINFLEET_VM_ACCEL ? [process.env.THINFLEET_VM_ACCEL] : ['tcg,thread=multi'];
  const args = [
    '-accel',
    ...accel,
    '-cpu',
    process.env.THINFLEET_VM_CPU || 'max',
    '-m',
    String(memMiB),
    '-smp',
    String(smp),
    '-nographic',
    '-no-reboot',
    '-nic',
    'none',
    '-kernel',
    kernel,
    '-initrd',
    initrd,
    '-append',
    append.join(' '),
    '-virtfs',
    'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs',
    `local,path=${workTree},mount_tag=worktree,security_model=none,multidevs=remap`,
    ...extraQemuArgs,
  ];

  const exitMarker = `THINFLEET_VM_EXIT:${nonce}=`;
  const stageMarker = `THINFLEET_VM_STAGE:${nonce}=run`;
  const initErrorMarker = `THINFLEET_VM_INIT_ERROR:${nonce}`;

  const started = Date.now();
  let runAt;
  let endAt;
  let guestCode;
  let initError = false;
  let timedOut = false;
  let sawKernelOrInit = false;
  let captured = '';
  let pending = '';

  const emit = (text) => {
    if (captureOutput) captured += text;
    onOutput(text);
  };
  let heldBlank = false; // init prints an empty line before the end marker
  const onLine = (raw) => {
    let line = raw.replace(/\r$/, '').replace(ansi, '');
    if (!sawKernelOrInit) {
      line = line.replace(firmwarePrefix, '');
      if (firmwareLine.test(line)) return;
    }
    if (heldBlank) {
      heldBlank = false;
      if (!line.includes(exitMarker)) emit('\n');
    }
    if (line === '' && sawKernelOrInit && endAt === undefined) {
      heldBlank = true;
      return;
    }
    if (line.includes(exitMarker)) {
      guestCode = Number(line.slice(line.indexOf(exitMarker) + exitMarker.length).trim());
      endAt = Date.now();
      return;
    }
    if (line.includes(stageMarker)) {
      runAt = Date.now();
      sawKernelOrInit = true;
      return;
    }
    if (line.includes(initErrorMarker)) {
      initError = true;
      return;
    }
    sawKernelOrInit = true;
    // After the command ended, only the guest's shutdown remains.
    if (endAt !== undefined && /^\[\s*\d+\.\d+\] (reboot|ACPI)/.test(line)) return;
    emit(`${line}\n`);
  };

  const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => process.stderr.write(`qemu: ${chunk}`));

  let killTimer;
  const timer = setTimeout(() => {
    timedOut = true;
    process.stderr.write(`\nrun-in-vm: timeout after ${timeoutSec} s; killing qemu\n`);
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
  }, timeoutSec * 1000);

  let interrupted;
  const onInt = (sig) => {
    interrupted = sig;
    child.kill('SIGTERM');
  };
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onInt);
  const onAbort = () => {
    onInt('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  let qemuStatus;
  try {
    qemuStatus = await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
  } catch (err) {
    throw new Error(`cannot start ${qemu}: ${err.message}`);
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onInt);
    signal?.removeEventListener('abort', onAbort);
    rmSync(jobFile, { force: true });
  }
  if (pending) onLine(pending);

  const wallMs = Date.now() - started;
  let exitCode;
  if (timedOut) {
    exitCode = EXIT_TIMEOUT;
  } else if (interrupted && guestCode === undefined) {
    exitCode = 128 + (interrupted === 'SIGINT' ? 2 : 15);
    process.stderr.write(`run-in-vm: ${interrupted}: stopped the guest\n`);
  } else if (guestCode !== undefined && Number.isInteger(guestCode)) {
    exitCode = guestCode;
    if (initError) process.stderr.write('run-in-vm: the guest /init failed before running the command\n');
  } else {
    exitCode = EXIT_VM_FAILED;
    const how = qemuStatus.signal ? `signal ${qemuStatus.signal}` : `exit code ${qemuStatus.code}`;
    process.stderr.write(`run-in-vm: qemu ended (${how}) without the guest's end marker: the guest crashed, panicked or was killed\n`);
  }
  return {
    exitCode,
    timedOut,
    wallMs,
    bootMs: runAt === undefined ? undefined : runAt - started,
    commandMs: runAt === undefined || endAt === undefined ? undefined : endAt - runAt,
    ...(captureOutput ? { output: captured } : {}),
  };
}
