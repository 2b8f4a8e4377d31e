/**
 * A real single-member etcd for tests: the `etcd` binary (Debian's etcd-server, 3.4) spawned on
 * 127.0.0.1 with free ports and a temporary data directory, tuned to start and re-elect quickly.
 * Tests kill, restart and freeze it (SIGSTOP) to inject faults; a TCP proxy
 * (tcp-proxy.ts) is for faults on the network path.
 *
 * No etcd outlives the test process: each is spawned under `setpriv --pdeathsig KILL` when
 * setpriv exists (it dies with the thread that spawned it, even if that process is SIGKILLed),
 * and a process 'exit' hook SIGKILLs any still running and removes the temporary data dirs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The error message when the etcd binary cannot be found. */
export const ETCD_NOT_INSTALLED = 'etcd is not installed: apt-get install etcd-server (scripts/setup.sh does)';

/** How long `startEtcd` and `restart` wait for `/health` to report healthy. */
const READY_TIMEOUT_MS = 20_000;
/** How long `stop` (and `kill` with a catchable signal) waits before SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Start attempts with fresh ports, for the race where another process takes a probed port. */
const START_ATTEMPTS = 3;
/** How much of etcd's stderr is kept for error messages. */
const STDERR_TAIL_CHARS = 8_192;

/** Options of {@link startEtcd}; all optional. */
export interface EtcdServerOptions {
  /** Member name (`--name`); default `thinfleet`. */
  readonly name?: string;
  /**
   * Data directory; default a new temporary directory, removed by `dispose()`. A directory given
   * here is never removed; if it holds an etcd member already, that member's data is served.
   */
  readonly dataDir?: string;
  /** The etcd executable, a path or a name looked up in PATH; default `etcd`. */
  readonly binary?: string;
}

/** A running (or stopped) etcd started by `startEtcd`. */
export interface EtcdServer {
  /** Client URL, `http://127.0.0.1:<clientPort>`, for etcd clients and the JSON gateway (`/v3/...`). */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  /** The pid of the current process, or of the last one once it has exited; changes on restart. */
  readonly pid: number;
  /** True from a successful start until the process exits (a paused process is running). */
  readonly running: boolean;
  /** The last few kilobytes of etcd's stderr (warnings and errors), across restarts. */
  stderrTail(): string;
  /** SIGTERM, wait for the exit, SIGKILL after 5 s. Idempotent; a paused process is continued first. */
  stop(): Promise<void>;
  /**
   * Sends `signal` (default SIGKILL) and waits for the exit; SIGKILL follows after 5 s if a
   * catchable signal did not end it. No-op when not running.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * SIGKILLs the process if it runs, then starts etcd again on the same data dir and ports and
   * waits until healthy. Fails if another process took a port meanwhile, or after `dispose()`.
   */
  restart(): Promise<void>;
  /** SIGSTOP: the process stays alive and its sockets open, but nothing is answered. Idempotent. */
  pause(): void;
  /** SIGCONT after `pause()`. No-op when not paused or not running. */
  resume(): void;
  /** `stop()`, then removes the data dir if `startEtcd` created it. Idempotent. */
  dispose(): Promise<void>;
}

/** One spawned etcd process. */
interface Launched {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Settles when the process has exited (or failed to spawn); never rejects. */
  readonly exited: Promise<void>;
  readonly hasExited: () => boolean;
  readonly exitDescription: () => string;
  /** The tail of this process's own stderr. */
  readonly stderr: () => string;
}

/** Every etcd process this module started and that has not exited yet. */
const live = new Set<ChildProcess>();
/** Temporary data dirs made by `startEtcd` and not yet removed by `dispose()`. */
const madeDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
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
 * about 0.2 s; the smallest lease TTL etcd grants is then 1 s), fsync off (`--unsafe-no-fsync`:
 * data survives the process being killed, not the machine crashing), a 128 MiB backend quota and
 * warning-level logs to stderr. Lease TTLs restart in full when etcd restarts (etcd 3.4 does not
 * checkpoint them).
 *
 * @throws Error with {@link ETCD_NOT_INSTALLED} when the binary is missing.
 */
export async function startEtcd(options: EtcdServerOptions = {}): Promise<EtcdServer> {
  const binary = resolveExecutable(options.binary ?? 'etcd');
  if (binary === undefined) throw new Error(ETCD_NOT_INSTALLED);
  const name = options.name ?? 'thinfleet';
  const madeDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'thinfleet-etcd-'));
  if (madeDir) madeDirs.add(dataDir);
  installExitHook();
  const setpriv = resolveExecutable('setpriv');
  let tail = '';
  const appendTail = (text: string): void => {
    tail = (tail + text).slice(-STDERR_TAIL_CHARS);
  };

  let launched: Launched | undefined;
  let ports: { client: number; peer: number } | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      const [client, peer] = await freePorts(2);
      if (client === undefined || peer === undefined) throw new Error('freePorts returned too few ports');
      const candidate = launch(setpriv, binary, etcdArgs(name, dataDir, client, peer), appendTail);
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
  let current: Launched = launched;
  let paused = false;
  let disposed = false;

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const wasPaused = paused;
    paused = false;
    await killAndWait(current, signal, wasPaused);
  };

  const server: EtcdServer = {
    endpoint,
    clientPort,
    peerPort,
    dataDir,
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
      const candidate = launch(setpriv, binary, etcdArgs(name, dataDir, clientPort, peerPort), appendTail);
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
  return server;
}

function removeMadeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  madeDirs.delete(dir);
}

function etcdArgs(name: string, dataDir: string, clientPort: number, peerPort: number): string[] {
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  return [
    '--name', name,
    '--data-dir', dataDir,
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `${name}=${peerUrl}`,
    '--initial-cluster-state', 'new',
    '--heartbeat-interval', '10',
    '--election-timeout', '100',
    '--snapshot-count', '10000',
    '--quota-backend-bytes', String(128 * 1024 * 1024),
    '--unsafe-no-fsync',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    '--log-level', 'warn',
  ];
}

/** Spawns etcd (under setpriv when available) and tracks it until it exits. */
function launch(setpriv: string | undefined, binary: string, args: string[], onStderr: (text: string) => void): Launched {
  // etcd reads ETCD_* variables as flags; the test's settings must be the only ones.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD_')));
  const child = setpriv === undefined
    ? spawn(binary, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let exitDescription = '';
  let hasExited = false;
  const exited = new Promise<void>((resolve) => {
    const done = (description: string): void => {
      if (hasExited) return;
      hasExited = true;
      exitDescription = description;
      live.delete(child);
      resolve();
    };
    // 'close' rather than 'exit': stderr is read to the end by then, for the error messages.
    child.once('close', (code, signal) => done(signal === null ? `exit code ${code}` : `signal ${signal}`));
    child.once('error', (error) => {
      if (child.pid === undefined) done(`spawn failed: ${error.message}`);
    });
  });
  child.stderr?.setEncoding('utf8');
  let stderr = '';
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_TAIL_CHARS);
    onStderr(text);
  });
  if (child.pid !== undefined) live.add(child);
  return {
    child,
    pid: child.pid ?? -1,
    exited,
    hasExited: () => hasExited,
    exitDescription: () => exitDescription,
    stderr: () => stderr,
  };
}

/** Polls `/health` until `{"health":"true"}`; fails on exit or after READY_TIMEOUT_MS. */
async function waitHealthy(launched: Launched, endpoint: string, stderrTail: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (launched.hasExited()) {
      throw new Error(`etcd exited (${launched.exitDescription()}) before it was healthy; stderr tail:\n${stderrTail()}`);
    }
    try {
      const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = (await response.json()) as { health?: unknown };
      if (body.health === 'true') return;
    } catch {
      // not listening yet, or not healthy yet
    }
    if (Date.now() >= deadline) {
      throw new Error(`etcd at ${endpoint} not healthy after ${READY_TIMEOUT_MS} ms; stderr tail:\n${stderrTail()}`);
    }
    await Promise.race([delay(25), launched.exited]);
  }
}

/** Sends `signal` (and SIGCONT if the process is stopped), waits for exit, SIGKILL after the grace. */
async function killAndWait(launched: Launched, signal: NodeJS.Signals, stopped = false): Promise<void> {
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
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
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
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** The executable's path: `name` itself if it contains a slash, else the first match in PATH. */
function resolveExecutable(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, name));
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
