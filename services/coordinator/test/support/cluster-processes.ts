/**
 * A whole cluster as separate processes for the integration tier: a real etcd, the built
 * `thinfleet-coordinator` and `thinfleet-agent` binaries (simulated device-mapper, each agent
 * with its own state directory, as separate hosts), and pool files in one shared directory that
 * plays the shared storage. Faults are signals: kill -9, SIGSTOP/SIGCONT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcd, type EtcdServer } from '../../../../test/support/etcd-server.mjs';
import { waitUntil } from '../../../../test/support/wait-until.js';
import { rawClients, type RawClients } from '../../../agent/test/support/raw-clients.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const COORDINATOR_BIN = join(ROOT, 'services/coordinator/bin/thinfleet-coordinator.mjs');
const AGENT_BIN = join(ROOT, 'services/agent/bin/thinfleet-agent.mjs');

export interface ClusterProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every log line so far (pino JSON, parsed when it parses). */
  readonly log: Array<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
}

export interface TestCluster {
  readonly etcd: EtcdServer;
  readonly dir: string;
  /** The shared storage: files every agent can open. */
  readonly sharedDir: string;
  /** The first coordinator's address and process. */
  readonly coordinatorAddress: string;
  readonly coordinator: ClusterProcess;
  /** Every coordinator (`coordinators` of the options, default 1), on the same etcd and prefix; agents are given all of them. */
  readonly coordinatorAddresses: readonly string[];
  readonly coordinators: readonly ClusterProcess[];
  readonly agents: Map<string, ClusterAgent>;
  /** Starts an agent; `prepare` runs on its state directory first (e.g. to place a cluster-session.json). */
  startAgent(nodeId: string, prepare?: (stateDir: string) => void): Promise<ClusterAgent>;
  /** A file of `sizeBytes` on the shared storage. */
  sharedDisk(name: string, sizeBytes: number): string;
  /** Clients of the agent API through coordinator `index` (default the first). */
  viaCoordinator(index?: number): RawClients;
  dispose(): Promise<void>;
}

export interface ClusterAgent extends ClusterProcess {
  readonly nodeId: string;
  readonly socketPath: string;
  readonly stateDir: string;
  readonly clients: RawClients;
}

function startProcess(name: string, args: string[], env: NodeJS.ProcessEnv = {}): ClusterProcess {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const log: Array<Record<string, unknown>> = [];
  let partial = '';
  const onData = (chunk: Buffer): void => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      try {
        log.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        log.push({ msg: line });
      }
      if (process.env['THINFLEET_TEST_LOG'] !== undefined) process.stderr.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, log, exited, kill: (signal = 'SIGTERM') => void child.kill(signal) };
}

/** Starts etcd and the coordinator processes (one unless `coordinators` says more); agents are started with startAgent. */
export async function startTestCluster(options: { ttlSeconds: number; marginMs: number; lockDelayMs: number; watchdogTimeoutSeconds: number; coordinators?: number }): Promise<TestCluster> {
  const { coordinators: count = 1, ...lock } = options;
  for (const bin of [COORDINATOR_BIN, AGENT_BIN]) {
    if (!existsSync(join(bin, '..', '..', 'dist', 'index.js'))) throw new Error(`${bin}: not built; run \`npm run build\` (npm test builds first)`);
  }
  const etcd = await startEtcd();
  const dir = mkdtempSync(join(tmpdir(), 'tf-cluster-'));
  const sharedDir = join(dir, 'shared');
  mkdirSync(sharedDir);
  const coordinators: ClusterProcess[] = [];
  const coordinatorAddresses: string[] = [];
  for (let i = 1; i <= count; i++) {
    const coordinatorConfig = join(dir, `coordinator-${i}.json`);
    writeFileSync(
      coordinatorConfig,
      JSON.stringify({
        listen: '127.0.0.1:0',
        metricsListen: '127.0.0.1:0',
        stateDir: join(dir, `coordinator-${i}`),
        coordinatorId: `coord-${i}`,
        etcd: { endpoints: [etcd.endpoint], tls: null, prefix: 'thinfleet/' },
        lock,
        logLevel: 'info',
      }),
    );
    const proc = startProcess(i === 1 ? 'coordinator' : `coordinator-${i}`, [COORDINATOR_BIN, '--config', coordinatorConfig]);
    coordinators.push(proc);
    coordinatorAddresses.push(
      await waitUntil(
        `coordinator ${i} to serve`,
        () => {
          const line = proc.log.find((l) => l['msg'] === 'coordinator serving');
          return typeof line?.['address'] === 'string' ? line['address'] : null;
        },
        20_000,
      ),
    );
  }
  const coordinator = coordinators[0]!;
  const coordinatorAddress = coordinatorAddresses[0]!;
  const agents = new Map<string, ClusterAgent>();
  const opened: RawClients[] = [];

  const cluster: TestCluster = {
    etcd,
    dir,
    sharedDir,
    coordinatorAddress,
    coordinator,
    coordinatorAddresses,
    coordinators,
    agents,
    async startAgent(nodeId, prepare) {
      const stateDir = join(dir, nodeId);
      mkdirSync(stateDir, { recursive: true });
      prepare?.(stateDir);
      const socketPath = join(stateDir, 'agent.sock');
      const config = join(stateDir, 'agent.json');
      writeFileSync(
        config,
        JSON.stringify({
          socket: socketPath,
          stateDir,
          dm: 'sim',
          metricsListen: null,
          logLevel: 'info',
          // Small steps, so that a chunked delete or a flatten is still running when the pool is handed over.
          deleteChunkBytes: 1024 * 1024,
          flattenChunkBytes: 1024 * 1024,
          cluster: { ...(count === 1 ? { coordinator: coordinatorAddress } : { coordinators: coordinatorAddresses }), nodeId, advertise: '', tls: null },
          // Processes on one machine share no host to reset: no watchdog (the agent warns).
          fencing: 'none',
        }),
      );
      const proc = startProcess(nodeId, [AGENT_BIN, '--config', config]);
      const clients = rawClients(socketPath);
      opened.push(clients);
      await waitUntil(`agent ${nodeId} to serve`, () => (proc.log.some((l) => l['msg'] === 'agent serving') ? true : null), 20_000);
      // Pool calls in cluster mode need the session: wait for the coordinator's Welcome.
      await waitUntil(`agent ${nodeId} to join the cluster`, () => (proc.log.some((l) => l['msg'] === 'coordinator session established') ? true : null), 20_000);
      const agent: ClusterAgent = { ...proc, nodeId, socketPath, stateDir, clients };
      agents.set(nodeId, agent);
      return agent;
    },
    sharedDisk(name, sizeBytes) {
      const path = join(sharedDir, name);
      writeFileSync(path, '');
      truncateSync(path, sizeBytes);
      return path;
    },
    viaCoordinator(index = 0) {
      const clients = rawClients(coordinatorAddresses[index]!);
      opened.push(clients);
      return clients;
    },
    async dispose() {
      for (const c of opened) c.close();
      const all = [...agents.values(), ...coordinators];
      for (const p of all) {
        p.child.kill('SIGCONT');
        p.kill('SIGKILL');
      }
      await Promise.all(all.map((p) => p.exited));
      await etcd.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
