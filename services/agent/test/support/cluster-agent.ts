/**
 * An agent in cluster mode for tests: the simulated device-mapper, a scripted coordinator
 * (scripted-coordinator.ts) on 127.0.0.1, raw gRPC clients on the agent's socket, and helpers to
 * make a disk file, read the simulated kernel's tables, and restart the agent over the same
 * state (the simulated kernel keeps its devices, as a host that did not reboot).
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimHostWatchdog, type BlockClient, type SimDmClient } from '@thinfleet/devmapper';
import { pino, type Logger } from 'pino';
import { Agent } from '../../src/agent.js';
import { resolveAgentConfig, type AgentConfig } from '../../src/agent-config.js';
import { openDmBackend } from '../../src/dm-backend.js';
import type { SessionClock } from '../../src/cluster/session-clock.js';
import { backendHostWatchdog } from '../../src/cluster/watchdog-device.js';
import { rawClients, type RawClients } from './raw-clients.js';
import { ScriptedCoordinator } from './scripted-coordinator.js';

export const MiB = 1024 * 1024;

export interface ClusterAgentOptions {
  readonly stateDir?: string;
  /** null: a standalone agent (no coordinator). */
  readonly coordinator?: ScriptedCoordinator | null;
  readonly config?: Partial<Record<keyof AgentConfig, unknown>>;
  /** Wraps the simulated block client (to hold discards). */
  readonly wrapBlock?: (block: BlockClient) => BlockClient;
  /** The cluster session's clock, which the simulated watchdog shares (default the system's). */
  readonly clock?: SessionClock;
  /** Default: pino at THINFLEET_TEST_LOG (silent). */
  readonly logger?: Logger;
  /** The timeout the simulated watchdog device reports (default: the one asked for). */
  readonly deviceTimeoutSeconds?: number;
}

export interface ClusterAgent {
  readonly agent: Agent;
  readonly c: RawClients;
  readonly stateDir: string;
  readonly dm: SimDmClient;
  readonly block: BlockClient;
  /** The simulated host watchdog (cluster mode with fencing "watchdog": the default here); null otherwise. */
  readonly watchdog: SimHostWatchdog | null;
  /** Times the simulated watchdog fired (it would have reset the host; here it only counts). */
  readonly fired: () => number;
  /** A sparse disk file of `sizeBytes` in the state dir. */
  disk(name?: string, sizeBytes?: number): string;
  /** The live table's first target type of a dm device (`error`, `linear`, `thin`...). */
  tableType(device: string): Promise<string | undefined>;
  /** Stops the agent (as SIGTERM) and starts another over the same state. */
  restart(options?: Omit<ClusterAgentOptions, 'stateDir'>): Promise<ClusterAgent>;
  /** Stops the agent, keeping the state dir. */
  stop(): Promise<void>;
  /** Stops the agent and removes the state dir. */
  dispose(): Promise<void>;
}

/** The `tf-lock-token` header. */
export const token = (value: string | number | bigint): Record<string, string> => ({ 'tf-lock-token': String(value) });

export async function startClusterAgent(options: ClusterAgentOptions = {}): Promise<ClusterAgent> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'tf-cluster-'));
  const socket = join(stateDir, 'agent.sock');
  const coordinator = options.coordinator === undefined ? null : options.coordinator;
  // A plain file stands in for the watchdog device: the simulated watchdog opens nothing.
  const watchdogDevice = join(stateDir, 'watchdog');
  writeFileSync(watchdogDevice, '');
  let watchdog: SimHostWatchdog | null = null;
  let fired = 0;
  const config = resolveAgentConfig({
    socket,
    stateDir,
    dm: 'sim',
    metricsListen: null,
    logLevel: 'silent',
    deleteChunkBytes: 64 * 1024,
    watchdogDevice,
    ...(coordinator === null ? {} : { cluster: { coordinator: coordinator.address, nodeId: 'node-a' } }),
    ...options.config,
  });
  let dm: SimDmClient | null = null;
  let block: BlockClient | null = null;
  const agent = await Agent.start(config, {
    logger: options.logger ?? pino({ level: process.env.THINFLEET_TEST_LOG ?? 'silent' }),
    env: {},
    openBackend: async (kind, dir) => {
      const backend = await openDmBackend(kind, dir);
      dm = backend.dm as SimDmClient;
      block = options.wrapBlock?.(backend.block) ?? backend.block;
      return { ...backend, block };
    },
    ...(options.clock === undefined ? {} : { clusterClock: options.clock }),
    hostWatchdog: (backend) => {
      const onSimulatedFire = (): void => void (fired += 1);
      watchdog =
        options.deviceTimeoutSeconds === undefined
          ? (backendHostWatchdog({ ...backend, onSimulatedFire }) as SimHostWatchdog)
          : new SimHostWatchdog({ dm: backend.dm, clock: backend.clock, devicePath: backend.devicePath, onFire: onSimulatedFire, deviceTimeoutSeconds: options.deviceTimeoutSeconds });
      return watchdog;
    },
  });
  const c = rawClients(socket);
  const stop = async (): Promise<void> => {
    c.close();
    await agent.stop();
  };
  return {
    agent,
    c,
    stateDir,
    dm: dm!,
    block: block!,
    watchdog,
    fired: () => fired,
    disk: (name = 'disk0.img', sizeBytes = 128 * MiB) => {
      const path = join(stateDir, name);
      writeFileSync(path, '');
      truncateSync(path, sizeBytes);
      return path;
    },
    tableType: async (device) => (await dm!.table(device))[0]?.type,
    restart: async (next = {}) => {
      await stop();
      return startClusterAgent({ coordinator, ...next, stateDir });
    },
    stop,
    dispose: async () => {
      await stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
