// Types of etcd-server.mjs, the real single-member etcd shared by the TypeScript tests and the
// plain-Node bench (test/bench/lock.bench.mjs).
import type { ChildProcess } from 'node:child_process';

/** The error message when the etcd binary cannot be found. */
export const ETCD_NOT_INSTALLED: string;

/** Options of {@link startEtcd}; all optional. */
export interface EtcdServerOptions {
  /** Member name (`--name`); default `thinfleet`. */
  readonly name?: string;
  /**
   * Data directory; default a new temporary directory, removed by `dispose()`. A directory given
   * here is never removed; if it holds an etcd member already, that member's data is served.
   */
  readonly dataDir?: string;
  /**
   * The etcd executable, a path or a name looked up in PATH; default `etcd` from PATH, else
   * `/usr/bin/etcd`.
   */
  readonly binary?: string;
  /**
   * Whether etcd fsyncs its writes; default false (`--unsafe-no-fsync`, as the tests run: data
   * survives the process being killed, not the machine crashing). The bench turns it on.
   */
  readonly fsync?: boolean;
}

/** A running (or stopped) etcd started by `startEtcd`. */
export interface EtcdServer {
  /** Client URL, `http://127.0.0.1:<clientPort>`, for etcd clients and the JSON gateway (`/v3/...`). */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  /** The etcd executable's path, as found. */
  readonly binary: string;
  /** True when etcd runs under `setpriv --pdeathsig KILL` (setpriv was found). */
  readonly underSetpriv: boolean;
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

/**
 * Starts a single-member etcd on 127.0.0.1 and waits until `/health` reports healthy (at most
 * 20 s; the error then carries the tail of etcd's stderr). Ports are probed free by binding port 0;
 * if etcd then cannot bind one because another process took it, the start is retried with new
 * ports, at most 3 attempts. Settings: see etcd-server.mjs.
 *
 * @throws Error with {@link ETCD_NOT_INSTALLED} when the binary is missing.
 */
export function startEtcd(options?: EtcdServerOptions): Promise<EtcdServer>;

/** What {@link trackExit} follows of a child process. */
export interface ExitTracker {
  /** Settles when the process has exited (or failed to spawn); never rejects. */
  readonly exited: Promise<void>;
  hasExited(): boolean;
  /** How it ended: `exit code N`, `signal S` or `spawn failed: ...`; empty before. */
  description(): string;
}

/**
 * Follows `child` until it exits: it is in `live` meanwhile (if it was spawned), and removed
 * when it has exited.
 */
export function trackExit(child: ChildProcess, live: Set<ChildProcess>): ExitTracker;
