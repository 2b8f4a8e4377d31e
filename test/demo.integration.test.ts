/**
 * `thinfleet demo` as a user runs it: the built CLI starts a coordinator (embedded etcd) and
 * three agents as processes; the CLI, through `--coordinator`, creates and lists volumes on a
 * shared pool; kill -9 of the host serving the pool moves the pool to another host; SIGINT stops
 * every process the demo started; a second start finds the volumes again; kill -9 of the demo
 * leaves no process behind.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from './support/wait-until.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'packages/cli/bin/thinfleet.mjs');

/** The demo's --json document (packages/cli/src/demo/demo-banner.ts, DemoReady). */
interface DemoReady {
  dir: string;
  simulated: boolean;
  coordinator: { address: string; pid: number; logFile: string };
  etcd: { endpoint: string };
  hosts: Array<{ nodeId: string; socket: string; stateDir: string; pid: number; logFile: string }>;
  pools: Array<{ name: string; file: string; sizeBytes: number; owner: string }>;
}

interface RunningDemo {
  readonly child: ChildProcess;
  readonly ready: DemoReady;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

// Neither the user's agent nor a coordinator from the environment may take part.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('THINFLEET_')));
const dir = mkdtempSync(join(tmpdir(), 'tf-demo-'));
const started: ChildProcess[] = [];

/** Starts `thinfleet --json demo --dir <dir>` and resolves with its ready document. */
async function startDemo(): Promise<RunningDemo> {
  const child = spawn(process.execPath, [CLI, '--json', 'demo', '--dir', dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = await new Promise<DemoReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 90 s; stderr:\n${stderr}`)), 90_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(stdout.slice(0, newline)) as DemoReady);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited before it was ready (${code ?? signal}); stderr:\n${stderr}`));
    });
  });
  return { child, ready, stderr: () => stderr, exited };
}

/** Runs the CLI through the demo's coordinator; resolves with its exit code and output. */
function cli(address: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, '--coordinator', address, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function cliJson<T>(address: string, ...args: string[]): Promise<T> {
  const result = await cli(address, '--json', ...args);
  expect(result.code, `thinfleet ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}

type ClusterStatus = { pools: Array<{ name: string; owner: string; ready: boolean; hosts: string[] }>; hosts: Array<{ nodeId: string }> };

const volumeNames = async (address: string, pool: string): Promise<string[]> =>
  (await cliJson<{ volumes: Array<{ name: string }> }>(address, 'volume', 'list', pool)).volumes.map((v) => v.name).sort();

/** Pids of live processes whose command line names the demo directory (agents, coordinator, etcd). */
function processesUsing(path: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (cmdline.includes(path) && state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Whether `pid` runs (a zombie, exited but not reaped by whoever adopted it, does not). */
function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

afterAll(async () => {
  // A failed test must not leave a cluster behind: the demo's children die with it (pdeathsig).
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await waitUntil('the demo processes to end', async () => (processesUsing(dir).length === 0 ? true : null), { timeoutMs: 10_000, intervalMs: 200 }).catch(() => {
    for (const pid of processesUsing(dir)) process.kill(pid, 'SIGKILL');
  });
  rmSync(dir, { recursive: true, force: true });
});

describe('thinfleet demo', () => {
  let demo: RunningDemo;
  let address: string;

  it('starts a coordinator and three hosts that all reach the shared pools, and prints their endpoints and pids', async () => {
    demo = await startDemo();
    address = demo.ready.coordinator.address;
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(demo.ready.simulated).toBe(true);
    expect(demo.ready.hosts.map((h) => h.nodeId)).toEqual(['host-1', 'host-2', 'host-3']);
    // Ready means served: each pool by its home host.
    expect(demo.ready.pools.map((p) => [p.name, p.owner])).toEqual([
      ['tank', 'host-1'],
      ['scratch', 'host-2'],
    ]);
    for (const host of demo.ready.hosts) {
      expect(host.socket.startsWith(dir)).toBe(true);
      expect(alive(host.pid)).toBe(true);
    }
    const status = await cliJson<ClusterStatus>(address, 'cluster', 'status');
    expect(status.hosts.map((h) => h.nodeId).sort()).toEqual(['host-1', 'host-2', 'host-3']);
    const tank = status.pools.find((p) => p.name === 'tank');
    expect(tank).toMatchObject({ owner: 'host-1', ready: true });
    expect(tank!.hosts.sort()).toEqual(['host-1', 'host-2', 'host-3']);
  });

  it('creates and lists a volume on a shared pool through the coordinator', async () => {
    const created = await cli(address, 'volume', 'create', 'tank/v1', '--size', '64MiB');
    expect(created.code, created.stderr).toBe(0);
    expect(await volumeNames(address, 'tank')).toEqual(['v1']);
  });

  it('after kill -9 of the host serving the pool, another host serves it and has every volume', async () => {
    const owner = demo.ready.pools.find((p) => p.name === 'tank')!.owner;
    const victim = demo.ready.hosts.find((h) => h.nodeId === owner)!;
    process.kill(victim.pid, 'SIGKILL');
    await waitUntil(`${owner} to exit`, async () => (alive(victim.pid) ? null : true), { timeoutMs: 10_000, intervalMs: 200 });
    await waitUntil('the demo to report the exit', async () => (demo.stderr().includes(`${owner} (pid ${victim.pid}) exited`) ? true : null), { timeoutMs: 10_000, intervalMs: 200 });
    // No call is made: the coordinator hands the pool to another host that joined it, on its own
    // (every demo host joins every pool with --prefer), once the killed host's lease has run out.
    const killedAtMs = Date.now();
    await waitUntil(
      'another host to serve tank with no call made',
      async () => {
        const status = await cliJson<ClusterStatus>(address, 'cluster', 'status');
        const pool = status.pools.find((p) => p.name === 'tank')!;
        return pool.owner !== owner && pool.owner !== '' && pool.ready ? true : null;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    console.log(`demo failover: tank served again ${((Date.now() - killedAtMs) / 1000).toFixed(1)} s after kill -9 of ${owner}, with no call made`);
    const created = await cli(address, 'volume', 'create', 'tank/v2', '--size', '64MiB');
    expect(created.code, created.stderr).toBe(0);
    const status = await cliJson<ClusterStatus>(address, 'cluster', 'status');
    const tank = status.pools.find((p) => p.name === 'tank')!;
    expect(tank.ready).toBe(true);
    expect(tank.owner).not.toBe(owner);
    expect(['host-1', 'host-2', 'host-3']).toContain(tank.owner);
    expect(await volumeNames(address, 'tank')).toEqual(['v1', 'v2']);
  });

  it('SIGINT stops every process it started, and exits 0', async () => {
    const pids = [demo.ready.coordinator.pid, ...demo.ready.hosts.map((h) => h.pid)];
    demo.child.kill('SIGINT');
    expect(await demo.exited).toEqual({ code: 0, signal: null });
    expect(pids.filter(alive)).toEqual([]);
    // etcd too: nothing runs on the demo directory any more.
    expect(processesUsing(dir)).toEqual([]);
  });

  it('a second start finds the pools and volumes again', async () => {
    demo = await startDemo();
    address = demo.ready.coordinator.address;
    const status = await cliJson<ClusterStatus>(address, 'cluster', 'status');
    expect(status.pools.find((p) => p.name === 'tank')).toMatchObject({ ready: true });
    expect(await volumeNames(address, 'tank')).toEqual(['v1', 'v2']);
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toEqual({ code: 0, signal: null });
    expect(processesUsing(dir)).toEqual([]);
  });

  it('kill -9 of the demo itself leaves no process behind (the kernel kills its children)', async () => {
    demo = await startDemo();
    const pids = [demo.ready.coordinator.pid, ...demo.ready.hosts.map((h) => h.pid)];
    expect(pids.filter(alive)).toEqual(pids);
    demo.child.kill('SIGKILL');
    await demo.exited;
    // A process killed a moment ago may still be tearing down: its cmdline already reads empty
    // while it is not yet a zombie, so wait for both views to agree that nothing is left.
    await waitUntil('every process of the demo to end', async () => (processesUsing(dir).length === 0 && pids.filter(alive).length === 0 ? true : null), {
      timeoutMs: 10_000,
      intervalMs: 200,
    });
    expect(pids.filter(alive)).toEqual([]);
    expect(processesUsing(dir)).toEqual([]);
  });
});
