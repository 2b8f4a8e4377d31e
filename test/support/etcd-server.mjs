/**
 * A real single-member etcd for tests and the lock bench: the `etcd` binary (Debian's
 * etcd-server, 3.4) spawned on 127.0.0.1 with free ports and a temporary data directory, tuned
 * to start and re-elect quickly. Tests kill, restart and freeze it (SIGSTOP) to inject faults; a
 * TCP proxy (tcp-proxy.ts) is for faults on the network path. Plain JavaScript so that
 * test/bench/lock.bench.mjs runs it under plain Node; the types are in etcd-server.d.mts.
 *
 * No etcd outlives the test process: each is spawned under `setpriv --pdeathsig KILL` when
 * setpriv exists (it dies with the thread that spawned it, even if that process is SIGKILLed),
 * and a process 'exit' hook SIGKILLs any still running and removes the temporary data dirs.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { singleMemberEtcdArgs } from '@thinfleet/lock';

/** The error message when the etcd binary cannot be found. */
export const ETCD_NOT_INSTALLED = 'etcd is not installed: apt-get install etcd-server (scripts/setup.sh does)';

/** Where the etcd binary is looked for when `etcd` is not in PATH (Debian's etcd-server). */
const DEFAULT_BINARY_FALLBACK = '/usr/bin/etcd';
/** How long `startEtcd` and `restart` wait for `/health` to report healthy. */
const READY_TIMEOUT_MS = 20_000;
/** How long `stop` (and `kill` with a catchable signal) waits before SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Start attempts with fresh ports, for the race where another process takes a probed port. */
const START_ATTEMPTS = 3;
/** How much of etcd's stderr is kept for error messages. */
const STDERR_TAIL_CHARS = 8_192;

/** Every etcd process this module started and that has not exited yet. */
const live = new Set();
/** Temporary data dirs made by `startEtcd` and not yet removed by `dispose()`. */
const madeDirs = new Set();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    // Best effort: a test that did not dispose (or crashed) leaves no data dir behind either.
    for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * Starts a single-member etcd on 127.0.0.1 and waits until `/health` reports healthy (at most
 * 20 s; the error then carries the tail of etcd's stderr). Ports are probed free by binding port 0;
 * if etcd then cannot bind one because another process took it, the start is retried with new
 * ports, at most 3 attempts.
 *
 * Settings for fast tests: heartbeat 10 ms and election timeout 100 ms (a restart is healthy in
 * about 0.2 s; the smallest lease TTL etcd grants is then 1 s), fsync off unless `fsync: true`
 * (`--unsafe-no-fsync`: data survives the process being killed, not the machine crashing), a
 * 128 MiB backend quota and warning-level logs to stderr. Lease TTLs restart in full when etcd
 * restarts (etcd 3.4 does not checkpoint them).
 *
 * @param {import('./etcd-server.d.mts').EtcdServerOptions} [options]
 * @returns {Promise<import('./etcd-server.d.mts').EtcdServer>}
 * @throws Error with {@link ETCD_NOT_INSTALLED} when the binary is missing.
 */
export async function startEtcd(options = {}) {
  const binary = options.binary === undefined ? (resolveExecutable('etcd') ?? resolveExecutable(DEFAULT_BINARY_FALLBACK)) : resolveExecutable(options.binary);
  if (binary === undefined) throw new Error(ETCD_NOT_INSTALLED);
  const name = options.name ?? 'thinfleet';
  const fsync = options.fsync ?? false;
  const madeDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'thinfleet-etcd-'));
  if (madeDir) madeDirs.add(dataDir);
  installExitHook();
  const setpriv = resolveExecutable('setpriv');
  let tail = '';
  const appendTail = (text) => {
    tail = (tail + text).slice(-STDERR_TAIL_CHARS);
  };
  const args = (clientPort, peerPort) => etcdArgs(name, dataDir, clientPort, peerPort, fsync);

  let launched;
  let ports;
  try {
    for (let attempt = 1; ; attempt++) {
      const [client, peer] = await freePorts(2);
      if (client === undefined || peer === undefined) throw new Error('freePorts returned too few ports');
      const candidate = launch(setpriv, binary, args(client, peer), appendTail);
      try {
        await waitHealthy(candidate, `http://127.0.0.1:${client}`, () => tail);
        launched = candidate;
        ports = { client, peer };
        break;
      } catch (error) {
        await killAndWait(candidate, 'SIGKILL');
        const portTaken = /address already in use/i.test(candidate.stderr());
        if (!portTaken || attempt >= START_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    if (madeDir) removeMadeDir(dataDir);
    throw error;
  }

  const { client: clientPort, peer: peerPort } = ports;
  const endpoint = `http://127.0.0.1:${clientPort}`;
  let current = launched;
  let paused = false;
  let disposed = false;

  const kill = async (signal = 'SIGKILL') => {
    const wasPaused = paused;
    paused = false;
    await killAndWait(current, signal, wasPaused);
  };

  return {
    endpoint,
    clientPort,
    peerPort,
    dataDir,
    binary,
    underSetpriv: setpriv !== undefined,
    get pid() {
      return current.pid;
    },
    get running() {
      return !current.hasExited();
    },
    stderrTail: () => tail,
    stop: () => kill('SIGTERM'),
    kill,
    async restart() {
      if (disposed) throw new Error('etcd restart after dispose()');
      await kill('SIGKILL');
      appendTail('--- restart ---\n');
      const candidate = launch(setpriv, binary, args(clientPort, peerPort), appendTail);
      current = candidate;
      try {
        await waitHealthy(candidate, endpoint, () => tail);
      } catch (error) {
        await killAndWait(candidate, 'SIGKILL');
        throw error;
      }
    },
    pause() {
      if (current.hasExited()) throw new Error('etcd is not running');
      if (paused) return;
      current.child.kill('SIGSTOP');
      paused = true;
      waitUntilStopped(current.pid);
    },
    resume() {
      if (!paused) return;
      paused = false;
      if (!current.hasExited()) current.child.kill('SIGCONT');
    },
    async dispose() {
      disposed = true;
      await kill('SIGTERM');
      if (madeDir) removeMadeDir(dataDir);
    },
  };
}

function removeMadeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  madeDirs.delete(dir);
}

function etcdArgs(name, dataDir, clientPort, peerPort, fsync) {
  return [
    ...singleMemberEtcdArgs({ name, dataDir, clientPort, peerPort }),
    // Test tuning: fast heartbeats and elections, a small quota, no fsync unless asked for.
    '--heartbeat-interval',
    '10',
    '--election-timeout',
    '100',
    '--snapshot-count',
    '10000',
    '--quota-backend-bytes',
    String(128 * 1024 * 1024),
    ...(fsync ? [] : ['--unsafe-no-fsync']),
  ];
}

/**
 * Spawns etcd (under setpriv when available) and tracks it until it exits. Returns one launched
 * process: `{ child, pid, exited, hasExited(), exitDescription(), stderr() }` (see
 * {@link trackExit}), where `stderr()` is the tail of this process's own stderr.
 */
function launch(setpriv, binary, args, onStderr) {
  // etcd reads ETCD_* variables as flags; the test's settings must be the only ones.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD_')));
  const child =
    setpriv === undefined
      ? spawn(binary, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const tracked = trackExit(child, live);
  child.stderr?.setEncoding('utf8');
  let stderr = '';
  child.stderr?.on('data', (text) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
    onStderr(text);
  });
  return {
    child,
    pid: child.pid ?? -1,
    exited: tracked.exited,
    hasExited: tracked.hasExited,
    exitDescription: tracked.description,
    stderr: () => stderr,
  };
}

/**
 * Follows `child` until it exits: it is in `live` meanwhile (if it was spawned), `exited` settles
 * then (or when the spawn failed) and never rejects, and `description()` tells how it ended
 * (`exit code N`, `signal S` or `spawn failed: ...`). Also used by the lock bench for its own
 * child processes.
 */
export function trackExit(child, live) {
  let hasExited = false;
  let description = '';
  const exited = new Promise((resolve) => {
    const done = (text) => {
      if (hasExited) return;
      hasExited = true;
      description = text;
      live.delete(child);
      resolve();
    };
    // 'close' rather than 'exit': stderr is read to the end by then, for the error messages.
    child.once('close', (code, signal) => done(signal === null ? `exit code ${code}` : `signal ${signal}`));
    child.once('error', (error) => {
      if (child.pid === undefined) done(`spawn failed: ${error.message}`);
    });
  });
  if (child.pid !== undefined) live.add(child);
  return { exited, hasExited: () => hasExited, description: () => description };
}

/** Polls `/health` until `{"health":"true"}`; fails on exit or after READY_TIMEOUT_MS. */
async function waitHealthy(launched, endpoint, stderrTail) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (launched.hasExited()) {
      throw new Error(`etcd exited (${launched.exitDescription()}) before it was healthy; stderr tail:\n${stderrTail()}`);
    }
    try {
      const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = await response.json();
      if (body?.health === 'true') return;
    } catch {
      // not listening yet, or not healthy yet
    }
    if (Date.now() >= deadline) {
      throw new Error(`etcd at ${endpoint} not healthy after ${READY_TIMEOUT_MS} ms; stderr tail:\n${stderrTail()}`);
    }
    await Promise.race([delay(25), launched.exited]);
  }
}

/**
 * Blocks until every thread of `pid` is in the stopped state. kill(SIGSTOP) only queues the
 * signal; a thread running on another CPU stops a little later, and a request sent in that gap
 * would still be answered.
 */
function waitUntilStopped(pid, timeoutMs = 2_000) {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let running = 0;
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state !== 'T' && state !== 't') running++;
      }
    } catch (error) {
      if (error.code === 'ENOENT' || error.code === 'ESRCH') return; // exited: nothing left to stop
      throw error;
    }
    if (running === 0) return;
    if (Date.now() > deadline) throw new Error(`etcd (pid ${pid}) did not stop within ${timeoutMs} ms of SIGSTOP`);
    Atomics.wait(pause, 0, 0, 1);
  }
}

/** Sends `signal` (and SIGCONT if the process is stopped), waits for exit, SIGKILL after the grace. */
async function killAndWait(launched, signal, stopped = false) {
  if (launched.hasExited()) return;
  launched.child.kill(signal);
  if (stopped && signal !== 'SIGKILL') launched.child.kill('SIGCONT');
  if (signal !== 'SIGKILL') {
    const timer = setTimeout(() => launched.child.kill('SIGKILL'), STOP_GRACE_MS);
    await launched.exited;
    clearTimeout(timer);
    return;
  }
  await launched.exited;
}

/** Ports free on 127.0.0.1 right now: all bound at once (so distinct), then released. */
async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('unexpected server address');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve()))));
  }
}

/** The executable's path: `name` itself if it contains a slash, else the first match in PATH. */
function resolveExecutable(name) {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
