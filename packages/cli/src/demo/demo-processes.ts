/**
 * The demo's child processes: the built `thinfleet-coordinator` and `thinfleet-agent` binaries
 * run by this Node, found in the installed tree (never imported: the CLI does not depend on the
 * services), each writing its log to a file.
 *
 * No child outlives the demo: each runs in its own process group (a Ctrl-C in the terminal
 * reaches only the demo, which stops them in order), under `setpriv --pdeathsig KILL` when
 * util-linux's setpriv exists, so the kernel kills it when the demo dies however it dies (the
 * coordinator does the same for its embedded etcd), and the demo's `exit` handler SIGKILLs any
 * still running as a last resort.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SETPRIV = '/usr/bin/setpriv';

/** A service binary: where it is, or why it cannot be used. */
export interface ServiceBin {
  readonly path: string;
}

/**
 * The `bin` entry `binName` of the installed package `packageName` (`@thinfleet/agent`), found
 * the way Node finds packages: `node_modules/<package>` in this module's directory and each
 * parent. Unless `requireBuilt` is false, the package must be built (its `dist/index.js` present).
 * @throws Error naming the package and what to run when it is missing or not built
 */
export function findServiceBin(packageName: string, binName: string, requireBuilt = true): ServiceBin {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'node_modules', packageName, 'package.json');
    if (existsSync(manifest)) {
      const root = dirname(realpathSync(manifest));
      const bin = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: Record<string, string> }).bin?.[binName];
      if (bin === undefined) throw new Error(`${packageName} at ${root} has no ${binName} command`);
      if (requireBuilt && !existsSync(join(root, 'dist', 'index.js'))) throw new Error(`${packageName} at ${root} is not built: run \`npm run build\``);
      return { path: join(root, bin) };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${packageName} is not installed next to the thinfleet command (looked for node_modules/${packageName} above ${fileURLToPath(import.meta.url)})`);
    dir = parent;
  }
}

/** One running child. */
export interface DemoProcess {
  /** `coordinator`, `host-1`... */
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the process has exited: how (`exit code 0`, `signal SIGKILL`). Never rejects. */
  readonly exited: Promise<string>;
  /** How it exited, or null while it runs. */
  exit(): string | null;
  /** Sends `signal`; ignores a process already gone. */
  signal(signal: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Starts `node <bin> ...args` with stdout and stderr appended to `logFile`.
 * @throws Error when the process cannot be spawned (errno kept as the cause)
 */
export async function startProcess(name: string, bin: ServiceBin, args: readonly string[], logFile: string): Promise<DemoProcess> {
  const log = openSync(logFile, 'a', 0o600);
  const command = [process.execPath, bin.path, ...args];
  const usePdeathsig = existsSync(SETPRIV);
  let child: ChildProcess;
  try {
    child = usePdeathsig
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', ...command], { detached: true, stdio: ['ignore', log, log] })
      : spawn(command[0]!, command.slice(1), { detached: true, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const spawned = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', (err) => resolve(err));
  });
  if (spawned !== null || child.pid === undefined) throw new Error(`cannot start ${name}: ${spawned?.message ?? 'no pid'}`, { cause: spawned });
  running.add(child);
  if (!exitHookInstalled) {
    process.on('exit', killAllOnExit);
    exitHookInstalled = true;
  }
  let how: string | null = null;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      how = signal === null ? `exit code ${code}` : `signal ${signal}`;
      resolve(how);
    });
  });
  const pid = child.pid;
  return {
    name,
    pid,
    logFile,
    exited,
    exit: () => how,
    signal: (signal) => {
      if (how === null) child.kill(signal);
    },
  };
}

/**
 * Stops `processes` together: SIGTERM, then SIGKILL for any still running after `graceMs`.
 * Resolves once every one has exited. Idempotent for processes already gone.
 */
export async function stopProcesses(processes: readonly DemoProcess[], graceMs: number): Promise<void> {
  for (const p of processes) p.signal('SIGTERM');
  const timer = setTimeout(() => {
    for (const p of processes) p.signal('SIGKILL');
  }, graceMs);
  await Promise.all(processes.map((p) => p.exited));
  clearTimeout(timer);
}

/** The last `lines` lines of a log file, for an error message; empty when unreadable. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
