/**
 * Drives lock-worker.mjs: one lock node as a real process (the built package), so tests can
 * kill -9 it, freeze it with SIGSTOP and put a TCP proxy between it and etcd.
 *
 * Every line the worker prints is kept in `events`, in order; `take`, `release` and `write`
 * send a command and resolve with its answer (the first matching line printed after the
 * command was sent). Times (`at`) are wall-clock ms from {@link wallClockMs}, comparable across
 * the test process and every worker on the host.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The worker script. */
export const LOCK_WORKER = fileURLToPath(new URL('./lock-worker.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** How much of a worker's stderr is kept for error messages. */
const STDERR_TAIL_CHARS = 8_192;
/** How long `exit()` waits for a clean exit before SIGKILL. */
const EXIT_GRACE_MS = 5_000;

/** Workers still running: SIGKILLed when the test process exits, even frozen ones. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Wall-clock ms with sub-ms resolution: `performance.timeOrigin + performance.now()`. Monotonic
 * within a process; across processes on one host it differs only by how each sampled the wall
 * clock at its start (microseconds), so the test compares its own times with the workers'.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Brings packages/lock/dist up to date (`npx tsc -b packages/lock`), which the worker imports.
 * Test files running in parallel take turns through a lock directory, so none of them starts a
 * worker while another rewrites dist. A lock directory older than a minute is a leftover of a
 * killed run and is taken over.
 *
 * @example
 * beforeAll(() => buildLockPackage(), 120_000);
 */
export function buildLockPackage(): void {
  const lockDir = join(tmpdir(), `thinfleet-lock-build-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 16)}`);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 60_000) rmdirSync(lockDir);
      } catch {
        // released meanwhile
      }
      Atomics.wait(sleeper, 0, 0, 50);
    }
  }
  try {
    execFileSync('npx', ['tsc', '-b', 'packages/lock'], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch (err) {
    const out = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npx tsc -b packages/lock failed:\n${out.stdout?.toString() ?? ''}${out.stderr?.toString() ?? ''}`, { cause: err });
  } finally {
    rmdirSync(lockDir);
  }
}

/** How a worker is set up; see lock-worker.mjs. */
export interface LockNodeOptions {
  /** etcd's URL, or a proxy's in front of it. */
  readonly endpoint: string;
  readonly nodeId: string;
  /** Key prefix of the locks; one per test. */
  readonly prefix: string;
  readonly ttlSeconds?: number;
  readonly marginMs?: number;
  readonly lockDelayMs?: number;
  readonly callTimeoutMs?: number;
}

/** A line the worker printed (tokens still decimal strings, as printed). */
export type LockEvent =
  | { readonly event: 'ready'; readonly nodeId: string; readonly lease: string; readonly at: number }
  | {
      readonly event: 'granted';
      readonly name: string;
      readonly token: string;
      readonly dirty: boolean;
      readonly previousHolderDied: boolean;
      readonly previousHolder: string | null;
      readonly at: number;
    }
  /** `startedAt`: when the worker called release(); from then on it does not write under the lock. */
  | { readonly event: 'released'; readonly name: string; readonly released: boolean; readonly startedAt: number; readonly at: number }
  | { readonly event: 'write'; readonly name: string; readonly token: string | null; readonly deadlineLeftMs: number; readonly at: number }
  | { readonly event: 'lost'; readonly name: string; readonly message: string; readonly at: number }
  | { readonly event: 'session-lost'; readonly message: string; readonly at: number }
  | { readonly event: 'contention'; readonly name: string; readonly waiters: number; readonly at: number }
  /** A queued take now watches the queue key before its own (PoolLock's `waiting` event). */
  | { readonly event: 'waiting'; readonly name: string; readonly at: number }
  | { readonly event: 'error'; readonly command: string; readonly name: string | null; readonly code: string; readonly message: string; readonly at: number }
  | { readonly event: 'closed'; readonly at: number };

/** A grant as the worker reported it, token as a bigint. */
export interface WorkerGrant {
  readonly name: string;
  readonly token: bigint;
  readonly dirty: boolean;
  readonly previousHolderDied: boolean;
  readonly previousHolder: string | null;
  /** When the worker's take resolved (wall-clock ms). */
  readonly at: number;
}

/** The answer to `write NAME`: the token the node would write with now, or null. */
export interface WorkerWrite {
  readonly name: string;
  readonly token: bigint | null;
  /** The session's lease deadline minus now, as the worker saw it (negative: passed). */
  readonly deadlineLeftMs: number;
  readonly at: number;
}

/** The worker answered a command with an error line. */
export class LockNodeError extends Error {
  constructor(
    readonly nodeId: string,
    readonly command: string,
    readonly code: string,
    message: string,
  ) {
    super(`${nodeId}: ${command} failed with ${code}: ${message}`);
    this.name = 'LockNodeError';
  }
}

/** Options of {@link LockNode.waitFor}. */
export interface WaitOptions {
  /** Look at events from this index of `events` on (default 0). */
  readonly from?: number;
  /** Fail after this long (default 15 s). */
  readonly timeoutMs?: number;
  /** What is awaited, for the error message. */
  readonly what?: string;
}

type EventOf<K extends LockEvent['event']> = Extract<LockEvent, { event: K }>;

/**
 * A running lock-worker.mjs process.
 *
 * @example
 * const a = await LockNode.start({ endpoint: proxy.endpoint, nodeId: 'a', prefix });
 * const grant = await a.take('pool1');
 * await a.kill('SIGKILL');
 */
export class LockNode {
  /** Every line printed so far, in order. */
  readonly events: LockEvent[] = [];
  /** Settles when the process has exited; never rejects. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly nodeId: string;
  private readonly child: ChildProcess;
  private stderrTail = '';
  private partial = '';
  private readonly listeners = new Set<() => void>();
  private hasExited = false;

  private constructor(readonly options: LockNodeOptions) {
    this.nodeId = options.nodeId;
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // vitest's loader hooks are not for the worker
    this.child = spawn(process.execPath, [LOCK_WORKER, JSON.stringify(options)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    installExitHook();
    live.add(this.child);
    this.child.stdin!.on('error', () => {}); // writes to a worker that just died
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) if (line.trim() !== '') this.events.push(JSON.parse(line) as LockEvent);
      this.notify();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        live.delete(this.child);
        this.hasExited = true;
        this.notify();
        resolve({ code, signal });
      });
    });
  }

  /**
   * Spawns a worker and waits for its session to open.
   * @throws Error when it exits first or is not ready within `readyTimeoutMs` (default 15 s)
   */
  static async start(options: LockNodeOptions, readyTimeoutMs = 15_000): Promise<LockNode> {
    const node = new LockNode(options);
    try {
      await node.waitFor('ready', () => true, { timeoutMs: readyTimeoutMs, what: 'its session to open' });
    } catch (err) {
      await node.kill('SIGKILL');
      throw err;
    }
    return node;
  }

  /** The process id. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** False once the process has exited. */
  get running(): boolean {
    return !this.hasExited;
  }

  /** The tail of the worker's stderr. */
  stderr(): string {
    return this.stderrTail;
  }

  /** Sends one command line (ignored if the process is gone). */
  send(line: string): void {
    if (!this.hasExited && this.child.stdin!.writable) this.child.stdin!.write(`${line}\n`);
  }

  /**
   * The first event of kind `kind` at or after `from` that satisfies `match`.
   * @throws Error when the process exits or the timeout passes first
   */
  async waitFor<K extends LockEvent['event']>(kind: K, match: (event: EventOf<K>) => boolean, options: WaitOptions = {}): Promise<EventOf<K>> {
    return (await this.next((event) => event.event === kind && match(event as EventOf<K>), { what: `a "${kind}" event`, ...options })) as EventOf<K>;
  }

  /**
   * The first event at or after `options.from` that satisfies `match`.
   * @throws Error when the process exits or the timeout passes first
   */
  next(match: (event: LockEvent) => boolean, options: WaitOptions = {}): Promise<LockEvent> {
    const from = options.from ?? 0;
    const timeoutMs = options.timeoutMs ?? 15_000;
    const what = options.what ?? 'a matching event';
    return new Promise((resolve, reject) => {
      let scanned = from;
      const check = (): void => {
        for (; scanned < this.events.length; scanned++) {
          const event = this.events[scanned]!;
          if (match(event)) {
            finish();
            resolve(event);
            return;
          }
        }
        if (this.hasExited) {
          finish();
          reject(new Error(`${this.nodeId} exited while waiting for ${what}${this.describe()}`));
        }
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.nodeId}: no ${what} within ${timeoutMs} ms${this.describe()}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /**
   * Sends `take NAME` and resolves with the grant.
   * @throws LockNodeError when the worker answers with an error (LOST, ETCD, ...)
   */
  async take(name: string, timeoutMs = 15_000): Promise<WorkerGrant> {
    const answer = await this.command('take', name, 'granted', timeoutMs);
    return {
      name: answer.name,
      token: BigInt(answer.token),
      dirty: answer.dirty,
      previousHolderDied: answer.previousHolderDied,
      previousHolder: answer.previousHolder,
      at: answer.at,
    };
  }

  /** Sends `release NAME`; resolves true when a held lock was released. */
  async release(name: string, timeoutMs = 15_000): Promise<boolean> {
    return (await this.command('release', name, 'released', timeoutMs)).released;
  }

  /** Sends `write NAME`: the token this node would write to the pool with now, or null. */
  async write(name: string, timeoutMs = 15_000): Promise<WorkerWrite> {
    const answer = await this.command('write', name, 'write', timeoutMs);
    return { name: answer.name, token: answer.token === null ? null : BigInt(answer.token), deadlineLeftMs: answer.deadlineLeftMs, at: answer.at };
  }

  /**
   * Sends a signal: SIGKILL (and other fatal ones) resolve once the process is gone; SIGSTOP and
   * SIGCONT at once.
   */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.hasExited) return;
    this.child.kill(signal);
    if (signal === 'SIGKILL') await this.exited;
  }

  /** Sends `exit` (held locks are released, the session closed) and waits; SIGKILL after 5 s. */
  async exit(): Promise<void> {
    if (this.hasExited) return;
    this.send('exit');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Sends a command and waits for its answer (or an error line for it). */
  private async command<K extends 'granted' | 'released' | 'write'>(command: string, name: string, answer: K, timeoutMs: number): Promise<EventOf<K>> {
    const from = this.events.length;
    this.send(`${command} ${name}`);
    const event = await this.next((e) => (e.event === answer && (e as { readonly name?: string }).name === name) || (e.event === 'error' && e.command === command && e.name === name), {
      from,
      timeoutMs,
      what: `an answer to "${command} ${name}"`,
    });
    if (event.event === 'error') throw new LockNodeError(this.nodeId, `${command} ${name}`, event.code, event.message);
    return event as EventOf<K>;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private describe(): string {
    const tail = this.events
      .slice(-8)
      .map((e) => JSON.stringify(e))
      .join('\n  ');
    return `\n last events:\n  ${tail}${this.stderrTail === '' ? '' : `\n stderr:\n${this.stderrTail}`}`;
  }
}

/**
 * Returns `promise` with its rejection marked as handled, for a promise the test awaits only
 * later (a waiter's take): if it fails before then, the failure surfaces at that `await`
 * instead of as an unhandled rejection.
 *
 * @example
 * const waiting = awaitLater(b.take('p'));
 * // ... a fault ...
 * const grant = await waiting;
 */
export function awaitLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}
