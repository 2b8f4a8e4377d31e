/**
 * The single-member etcd a coordinator runs itself when no etcd cluster is configured
 * (`etcd.endpoints: []`): Debian's `etcd` binary (3.4) as a child process on 127.0.0.1, started,
 * waited for, restarted when it dies, and stopped with the coordinator.
 *
 * Crash behaviour:
 * - etcd itself: every write is in its write-ahead log, fsynced, before etcd acknowledges it, so
 *   an etcd crash (or kill -9, or power loss) loses nothing acknowledged. The supervisor restarts
 *   it on the same data dir with backoff; clients see UNAVAILABLE meanwhile and retry. Lease TTLs
 *   restart in full when etcd starts again (etcd 3.4 does not checkpoint them).
 * - the coordinator: etcd must not outlive it as an orphan (it would keep the ports and the data
 *   dir's locks, and the next coordinator's etcd could not start). Three layers see to that:
 *   etcd is spawned under `setpriv --pdeathsig KILL` when util-linux's setpriv exists, so the
 *   kernel kills it when the coordinator dies; under systemd the unit's cgroup is killed as a
 *   whole; and a pid file `<dataDir>.pid` (with the default layout
 *   /var/lib/thinfleet-coordinator/etcd.pid) names the running etcd, so a start finding a live
 *   process there whose /proc/<pid>/cmdline has `--data-dir <dataDir>` kills it first and waits
 *   for it to exit. A pid reused by another program never matches and is left alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { dirname, resolve } from 'node:path';
import { singleMemberEtcdArgs } from '@thinfleet/lock';
import type { Logger } from 'pino';
import { stopOrphanEtcd, writePidFile } from './etcd-orphan.js';

/** Why an embedded etcd could not be started. */
export type EmbeddedEtcdErrorCode = 'ETCD_NOT_INSTALLED' | 'ETCD_START_FAILED' | 'ETCD_ORPHAN_ALIVE';

export class EmbeddedEtcdError extends Error {
  constructor(
    message: string,
    readonly code: EmbeddedEtcdErrorCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EmbeddedEtcdError';
  }
}

export interface EmbeddedEtcdOptions {
  /** The etcd executable, an absolute path (Debian: /usr/bin/etcd from etcd-server). */
  readonly binary: string;
  /** etcd's data directory; created mode 0700 (with missing parents) when absent. */
  readonly dataDir: string;
  /** Ports on 127.0.0.1; they must be free (etcd binds both even as a single member). */
  readonly clientPort: number;
  readonly peerPort: number;
  /** Member name (`--name`); default `thinfleet`. Only used when the data dir is new. */
  readonly name?: string;
  readonly logger: Logger;
}

/** How long {@link EmbeddedEtcd.start} waits for `/health` to answer healthy. */
const READY_TIMEOUT_MS = 15_000;
/** stop(): SIGTERM first, SIGKILL when etcd is still running after this long. */
const STOP_GRACE_MS = 5_000;
/** Restart backoff: the first delay, doubling per crash up to the last. */
const RESTART_FIRST_DELAY_MS = 250;
const RESTART_MAX_DELAY_MS = 5_000;
/** A run this long counts as healthy: the next crash restarts after the first delay again. */
const STABLE_RUN_MS = 30_000;
/** How much of etcd's stderr is kept for error messages. */
const STDERR_TAIL_CHARS = 8_192;
/** Where setpriv (util-linux) lives on Debian. */
const SETPRIV = '/usr/bin/setpriv';

/** One spawned etcd process, followed until it exits. */
interface Launched {
  readonly child: ChildProcess;
  readonly startedAt: number;
  /** Settles when the process has exited or failed to spawn; never rejects. */
  readonly exited: Promise<void>;
  exit: string | null;
}

/** A supervised single-member etcd; see the module comment for its crash behaviour. */
export class EmbeddedEtcd {
  /** `http://127.0.0.1:<clientPort>`, for etcd clients. */
  readonly endpoint: string;
  readonly dataDir: string;
  /** The pid file naming the running etcd: `<dataDir>.pid`. */
  readonly pidFile: string;
  #restarts = 0;
  #current: Launched | null = null;
  #stopping: Promise<void> | null = null;
  #restartTimer: NodeJS.Timeout | null = null;
  #nextDelayMs = RESTART_FIRST_DELAY_MS;
  #stderrTail = '';
  /** Set once the first start was healthy: exits before that fail start() instead. */
  #supervising = false;
  readonly #onProcessExit = (): void => {
    // The coordinator exits without stop(): ask etcd to shut down cleanly (setpriv's
    // pdeathsig, when in use, kills it a moment later anyway).
    this.#current?.child.kill('SIGTERM');
  };

  private constructor(
    private readonly options: EmbeddedEtcdOptions,
    private readonly args: readonly string[],
    private readonly setpriv: boolean,
  ) {
    this.endpoint = `http://127.0.0.1:${options.clientPort}`;
    this.dataDir = resolve(options.dataDir);
    this.pidFile = `${this.dataDir}.pid`;
  }

  /**
   * Kills an orphaned etcd of this data dir (see the module comment), spawns etcd, and resolves
   * once `/health` answers healthy. From then on an unexpected exit is logged (error, with the
   * exit code or signal) and etcd restarted on the same data dir after 250 ms, doubling per
   * crash up to 5 s, back to 250 ms after a run of 30 s.
   *
   * Not idempotent: a second instance on the same data dir would kill the first as an orphan.
   * @throws EmbeddedEtcdError `ETCD_NOT_INSTALLED` when `binary` does not exist (message: `etcd
   *   is not installed at <path>: apt-get install etcd-server`); `ETCD_START_FAILED` when etcd
   *   exits or is not healthy within 15 s (it is killed; the message ends with its stderr tail);
   *   `ETCD_ORPHAN_ALIVE` when an orphan survives SIGKILL. File system errors keep their errno.
   */
  static async start(options: EmbeddedEtcdOptions): Promise<EmbeddedEtcd> {
    try {
      accessSync(options.binary, constants.X_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new EmbeddedEtcdError(`etcd is not installed at ${options.binary}: apt-get install etcd-server`, 'ETCD_NOT_INSTALLED', { cause: err });
      }
      throw new EmbeddedEtcdError(`etcd at ${options.binary} cannot be executed: ${(err as Error).message}`, 'ETCD_START_FAILED', { cause: err });
    }
    const dataDir = resolve(options.dataDir);
    // etcd wants its data dir private (it warns otherwise); the parent holds the pid file.
    await mkdir(dirname(dataDir), { recursive: true, mode: 0o700 });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(dataDir, 0o700);

    const etcd = new EmbeddedEtcd(options, etcdArgs(options.name ?? 'thinfleet', dataDir, options.clientPort, options.peerPort), existsSync(SETPRIV));
    const survivor = await stopOrphanEtcd(etcd.pidFile, dataDir, STOP_GRACE_MS, options.logger);
    if (survivor !== null) throw new EmbeddedEtcdError(`orphaned etcd ${survivor} on ${dataDir} survived SIGKILL`, 'ETCD_ORPHAN_ALIVE');
    process.on('exit', etcd.#onProcessExit);
    try {
      const launched = await etcd.#launch();
      await etcd.#waitHealthy(launched, READY_TIMEOUT_MS);
      etcd.#supervising = true;
      // It died between answering healthy and now: that exit was not handled yet.
      if (launched.exit !== null) etcd.#onExit(launched);
    } catch (err) {
      await etcd.stop();
      throw err;
    }
    options.logger.info({ endpoint: etcd.endpoint, dataDir, pid: etcd.pid }, 'embedded etcd is running');
    return etcd;
  }

  /** How many times the supervisor has respawned etcd after it exited unexpectedly. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The pid of the running etcd; null between a crash and its restart, and after stop(). */
  get pid(): number | null {
    const current = this.#current;
    return current === null || current.exit !== null ? null : (current.child.pid ?? null);
  }

  /** The last few kilobytes etcd wrote to stderr, across restarts. */
  stderrTail(): string {
    return this.#stderrTail;
  }

  /**
   * Stops supervising, then SIGTERM, SIGKILL if etcd still runs after 5 s; resolves once it has
   * exited and the pid file is removed. Idempotent (later calls return the same promise); etcd is
   * never restarted after it.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const current = this.#current;
    if (current !== null && current.exit === null) {
      current.child.kill('SIGTERM');
      const timer = setTimeout(() => current.child.kill('SIGKILL'), STOP_GRACE_MS);
      await current.exited;
      clearTimeout(timer);
    }
    process.off('exit', this.#onProcessExit);
    await rm(this.pidFile, { force: true });
    this.options.logger.info({ dataDir: this.dataDir }, 'embedded etcd stopped');
  }

  /** Spawns etcd, records its pid, and arranges the restart when it exits. */
  async #launch(): Promise<Launched> {
    // etcd reads ETCD_* variables as flags: only ours may count (ETCD_UNSUPPORTED_ARCH is not a flag).
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD_') || key === 'ETCD_UNSUPPORTED_ARCH'));
    const stdio: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
    const child = this.setpriv
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', this.options.binary, ...this.args], { env, stdio })
      : spawn(this.options.binary, [...this.args], { env, stdio });
    let settle!: () => void;
    const launched: Launched = { child, startedAt: Date.now(), exited: new Promise<void>((r) => (settle = r)), exit: null };
    const done = (description: string): void => {
      if (launched.exit !== null) return;
      launched.exit = description;
      settle();
      this.#onExit(launched);
    };
    child.once('close', (code, signal) => done(signal === null ? `exit code ${code}` : `signal ${signal}`));
    child.once('error', (err) => {
      if (child.pid === undefined) done(`spawn failed: ${err.message}`);
    });
    child.stderr?.setEncoding('utf8');
    let partial = '';
    child.stderr?.on('data', (text: string) => {
      this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL_CHARS);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.#logEtcdLine(line);
    });
    this.#current = launched;
    if (child.pid !== undefined) await writePidFile(this.pidFile, child.pid);
    return launched;
  }

  /** An unexpected exit: log it and schedule the restart with the current backoff. */
  #onExit(launched: Launched): void {
    if (!this.#supervising || this.#stopping !== null || launched !== this.#current) return;
    if (Date.now() - launched.startedAt >= STABLE_RUN_MS) this.#nextDelayMs = RESTART_FIRST_DELAY_MS;
    const delayMs = this.#nextDelayMs;
    this.#nextDelayMs = Math.min(this.#nextDelayMs * 2, RESTART_MAX_DELAY_MS);
    const lastLines = this.#stderrTail.trimEnd().split('\n').slice(-5).join('\n');
    this.options.logger.error(
      { pid: launched.child.pid, exit: launched.exit, exitCode: launched.child.exitCode, signal: launched.child.signalCode, restartInMs: delayMs, stderrTail: lastLines },
      'embedded etcd exited unexpectedly; restarting it',
    );
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopping !== null) return;
      this.#restarts += 1;
      this.#launch().then(
        (next) =>
          this.#waitHealthy(next, READY_TIMEOUT_MS).then(
            () => this.options.logger.info({ pid: next.child.pid, restarts: this.#restarts }, 'embedded etcd restarted and healthy'),
            // An exit is handled by #onExit; a slow start is only worth a warning.
            (err: unknown) => next.exit === null && this.options.logger.warn({ err }, 'restarted embedded etcd is not healthy yet'),
          ),
        (err: unknown) => this.options.logger.error({ err }, 'embedded etcd restart failed'),
      );
    }, delayMs);
  }

  /** Polls `/health` until `{"health":"true"}`; kills nothing. */
  async #waitHealthy(launched: Launched, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (launched.exit !== null) {
        throw new EmbeddedEtcdError(`etcd exited (${launched.exit}) before it was healthy; stderr tail:\n${this.#stderrTail}`, 'ETCD_START_FAILED');
      }
      if (this.#stopping !== null) throw new EmbeddedEtcdError('embedded etcd was stopped while starting', 'ETCD_START_FAILED');
      if (await isHealthy(this.endpoint)) return;
      if (Date.now() >= deadline) {
        throw new EmbeddedEtcdError(`etcd at ${this.endpoint} not healthy after ${timeoutMs} ms; stderr tail:\n${this.#stderrTail}`, 'ETCD_START_FAILED');
      }
      await Promise.race([delay(50), launched.exited]);
    }
  }

  /** Forwards one line of etcd's (zap, JSON) stderr to the coordinator's log. */
  #logEtcdLine(line: string): void {
    if (line.trim() === '') return;
    let entry: { level?: unknown; msg?: unknown } | null = null;
    try {
      entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
    } catch {
      // not JSON: pass it on as it is
    }
    const msg = typeof entry?.msg === 'string' ? entry.msg : line;
    const level = typeof entry?.level === 'string' ? entry.level : 'warn';
    // Auth is off, so etcd's warning about unsigned auth tokens says nothing here.
    if (msg.startsWith('simple token is not cryptographically signed')) this.options.logger.debug({ etcd: entry ?? line }, `etcd: ${msg}`);
    else if (level === 'warn' || level === 'info' || level === 'debug') this.options.logger.warn({ etcd: entry ?? line }, `etcd: ${msg}`);
    else this.options.logger.error({ etcd: entry ?? line }, `etcd: ${msg}`);
  }
}

function etcdArgs(name: string, dataDir: string, clientPort: number, peerPort: number): string[] {
  return [
    ...singleMemberEtcdArgs({ name, dataDir, clientPort, peerPort }),
    // Keep an hour of history (watches resume within it); without compaction the revisions
    // written by lock grants grow until etcd's space quota stops all writes.
    '--auto-compaction-mode',
    'periodic',
    '--auto-compaction-retention',
    '1h',
  ];
}

/**
 * One `GET /health` on its own connection (no keep-alive socket left behind to hold the event
 * loop): true for `{"health":"true"}`, false for anything else (not listening, no leader yet).
 */
function isHealthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpGet(`${endpoint}/health`, { agent: false, timeout: 1_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve((JSON.parse(body) as { health?: unknown }).health === 'true');
        } catch {
          resolve(false);
        }
      });
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
