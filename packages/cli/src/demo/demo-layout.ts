/**
 * Where `thinfleet demo` keeps its cluster: one directory holding the coordinator's state (its
 * embedded etcd under `coordinator/etcd`), one state directory per demo host (`host-1`...), the
 * shared storage (`shared/`, the pool files every host opens), the logs, and `demo.json` with the
 * ports it chose, so that a second start finds the same cluster on the same ports.
 *
 * Crash story: nothing here is written in place. `demo.json` and the config files are replaced
 * whole (temp file, rename); a crash leaves the old or the new file. Pools and volumes live in
 * the pool files and the hosts' state directories, which only the agents write.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The demo's hosts, in order: three agents acting as three machines. */
export const DEMO_HOSTS: readonly string[] = ['host-1', 'host-2', 'host-3'];

/** A pool of the demo: a sparse file on the shared storage, served by `home` after setup. */
export interface DemoPool {
  readonly name: string;
  readonly fileName: string;
  readonly sizeBytes: number;
  /** The host asked to serve it at every start (it joins the others first). */
  readonly home: string;
}

const GiB = 1024 ** 3;

/** The demo's pools: both reachable from every host. */
export const DEMO_POOLS: readonly DemoPool[] = [
  { name: 'tank', fileName: 'tank.img', sizeBytes: 2 * GiB, home: 'host-1' },
  { name: 'scratch', fileName: 'scratch.img', sizeBytes: GiB, home: 'host-2' },
];

/**
 * Ports tried first (a documented demo range clear of the default coordinator 9750, the agent's
 * metrics 9746 and etcd 2379/2380); any of them in use is replaced by a free port the kernel picks.
 */
export const DEMO_PREFERRED_PORTS = { coordinator: 9850, etcdClient: 9851, etcdPeer: 9852 } as const;

/** The ports of one start, on 127.0.0.1. */
export type DemoPorts = { readonly [K in keyof typeof DEMO_PREFERRED_PORTS]: number };

/** Paths of one demo cluster. */
export interface DemoLayout {
  readonly dir: string;
  readonly sharedDir: string;
  readonly logDir: string;
  readonly coordinatorStateDir: string;
  readonly coordinatorConfig: string;
  readonly stateFile: string;
  /** The state directory of `host`. */
  hostDir(host: string): string;
  /** The unix socket `host`'s agent serves on. */
  hostSocket(host: string): string;
  hostConfig(host: string): string;
  logFile(name: string): string;
  poolFile(pool: DemoPool): string;
}

/**
 * The demo directory when `--dir` is not given: /var/lib/thinfleet-demo for root, else
 * `$XDG_STATE_HOME/thinfleet-demo` (default `~/.local/state/thinfleet-demo`).
 */
export function defaultDemoDir(env: Record<string, string | undefined>, isRoot: boolean): string {
  if (isRoot) return '/var/lib/thinfleet-demo';
  const state = env['XDG_STATE_HOME'] ?? join(env['HOME'] ?? '/tmp', '.local', 'state');
  return join(state, 'thinfleet-demo');
}

/** The layout under `dir` (made absolute); creates nothing. */
export function demoLayout(dir: string): DemoLayout {
  const root = resolve(dir);
  return {
    dir: root,
    sharedDir: join(root, 'shared'),
    logDir: join(root, 'logs'),
    coordinatorStateDir: join(root, 'coordinator'),
    coordinatorConfig: join(root, 'coordinator.json'),
    stateFile: join(root, 'demo.json'),
    hostDir: (host) => join(root, host),
    hostSocket: (host) => join(root, host, 'agent.sock'),
    hostConfig: (host) => join(root, host, 'agent.json'),
    logFile: (name) => join(root, 'logs', `${name}.log`),
    poolFile: (pool) => join(root, 'shared', pool.fileName),
  };
}

/** Writes `value` as JSON to `path` whole: a temp file renamed over it. */
export function writeJsonFile(path: string, value: unknown): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/** Resolves to true when 127.0.0.1:`port` can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => done(true)));
  });
}

/** A port on 127.0.0.1 the kernel says is free now (another process may take it before we use it). */
function anyFreePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/**
 * The ports for this start: those `demo.json` recorded (a second start keeps its address) or
 * the preferred ones, each replaced by a free one when taken; recorded in `demo.json`.
 */
export async function choosePorts(layout: DemoLayout): Promise<DemoPorts> {
  let recorded: Partial<Record<keyof DemoPorts, unknown>> = {};
  try {
    recorded = (JSON.parse(readFileSync(layout.stateFile, 'utf8')) as { ports?: Partial<Record<keyof DemoPorts, unknown>> }).ports ?? {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
  }
  const chosen: Record<string, number> = {};
  const taken = new Set<number>();
  for (const key of Object.keys(DEMO_PREFERRED_PORTS) as Array<keyof DemoPorts>) {
    const wanted = recorded[key];
    let port = typeof wanted === 'number' && Number.isInteger(wanted) && wanted > 0 && wanted < 65536 ? wanted : DEMO_PREFERRED_PORTS[key];
    while (taken.has(port) || !(await portFree(port))) port = await anyFreePort();
    taken.add(port);
    chosen[key] = port;
  }
  const ports = chosen as DemoPorts;
  writeJsonFile(layout.stateFile, { ports });
  return ports;
}

/** Creates the demo's directories (mode 0700: the sockets and the etcd data are the user's alone). */
export function makeDirectories(layout: DemoLayout): void {
  for (const dir of [layout.dir, layout.sharedDir, layout.logDir, layout.coordinatorStateDir, ...DEMO_HOSTS.map((h) => layout.hostDir(h))]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
}

/**
 * The lock timing of the demo cluster: a failover within about TTL + lock delay + 2 s = 7.5 s.
 * The 1 s watchdog keeps the coordinator's lock-delay rule (lockDelayMs >= 1000 - 1500 + 1000).
 */
export const DEMO_LOCK = { ttlSeconds: 5, marginMs: 1500, lockDelayMs: 500, watchdogTimeoutSeconds: 1 } as const;

/** Writes the coordinator's config (embedded etcd on the chosen ports, state under the demo dir). */
export function writeCoordinatorConfig(layout: DemoLayout, ports: DemoPorts, etcdBinary: string): void {
  writeJsonFile(layout.coordinatorConfig, {
    listen: `127.0.0.1:${ports.coordinator}`,
    stateDir: layout.coordinatorStateDir,
    coordinatorId: 'demo-coordinator',
    metricsListen: null,
    etcd: { endpoints: [], tls: null, prefix: 'thinfleet/' },
    embeddedEtcd: { binary: etcdBinary, clientPort: ports.etcdClient, peerPort: ports.etcdPeer },
    lock: DEMO_LOCK,
    logLevel: 'info',
  });
}

/**
 * Writes `host`'s agent config: its own socket and state directory (the simulated kernel keeps
 * its devices in `sim-kernel/` there), no metrics port, cluster mode with the coordinator, and
 * the simulated host watchdog (fencing "watchdog"; a plain file `watchdog` in the host's
 * directory stands in for the device, which the simulated watchdog never opens).
 */
export function writeAgentConfig(layout: DemoLayout, host: string, ports: DemoPorts): void {
  const watchdogDevice = join(layout.hostDir(host), 'watchdog');
  writeFileSync(watchdogDevice, '', { mode: 0o600 });
  writeJsonFile(layout.hostConfig(host), {
    socket: layout.hostSocket(host),
    stateDir: layout.hostDir(host),
    dm: 'sim',
    metricsListen: null,
    logLevel: 'info',
    // Small steps, so that a chunked delete shows its progress and moves with its pool.
    deleteChunkBytes: 16 * 1024 * 1024,
    shutdownTimeoutMs: 10_000,
    cluster: { coordinator: `127.0.0.1:${ports.coordinator}`, nodeId: host, advertise: '', tls: null },
    fencing: 'watchdog',
    watchdogDevice,
  });
}
