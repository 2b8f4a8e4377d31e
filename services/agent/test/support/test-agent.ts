/**
 * A real agent for tests: in this process, on the simulated device-mapper, serving a unix
 * socket in a temporary state directory, metrics on a free loopback port. `stop()` stops it the
 * way SIGTERM does; `restart()` starts a new agent over the same state (the simulated kernel
 * keeps its memory there, as a host that did not reboot).
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { DmClient } from '@thinfleet/devmapper';
import { Agent } from '../../src/agent.js';
import { openDmBackend } from '../../src/dm-backend.js';
import { resolveAgentConfig, type AgentConfig } from '../../src/agent-config.js';

export interface TestAgent {
  readonly agent: Agent;
  readonly socketPath: string;
  readonly stateDir: string;
  readonly metricsUrl: string;
  stop(): Promise<void>;
  /** Stops this agent and starts another on the same state dir and socket. */
  restart(): Promise<TestAgent>;
  /** Stops the agent and removes the state dir. */
  dispose(): Promise<void>;
  /** Makes (or empties) a sparse file `name` of `sizeBytes` in the state dir, a pool device; returns its path. */
  sparseFile(name: string, sizeBytes: number): string;
}

export interface TestAgentOptions {
  readonly stateDir?: string;
  /** Config keys to override (AgentConfig names). */
  readonly config?: Partial<Record<keyof AgentConfig, unknown>>;
  /** Wraps the simulated device-mapper client (to hold or fail kernel steps). */
  readonly wrapDm?: (dm: DmClient) => DmClient;
}

/** Starts an agent; see the module comment. Set THINFLEET_TEST_LOG=debug to see its log. */
export async function startTestAgent(options: TestAgentOptions = {}): Promise<TestAgent> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'tf-agent-'));
  const config = resolveAgentConfig({
    socket: join(stateDir, 'agent.sock'),
    stateDir,
    dm: 'sim',
    metricsListen: '127.0.0.1:0',
    logLevel: 'silent',
    ...options.config,
  });
  const logger = pino({ level: process.env.THINFLEET_TEST_LOG ?? 'silent' });
  const wrapDm = options.wrapDm;
  const agent = await Agent.start(config, {
    logger,
    env: {},
    ...(wrapDm === undefined
      ? {}
      : {
          openBackend: async (kind, dir) => {
            const backend = await openDmBackend(kind, dir);
            return { ...backend, dm: wrapDm(backend.dm) };
          },
        }),
  });
  const handle: TestAgent = {
    agent,
    socketPath: config.socket,
    stateDir,
    metricsUrl: agent.metricsUrl!,
    stop: () => agent.stop(),
    restart: async () => {
      await agent.stop();
      return startTestAgent({ ...options, wrapDm: undefined, stateDir });
    },
    dispose: async () => {
      await agent.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
    sparseFile: (name, sizeBytes) => {
      const path = join(stateDir, name);
      writeFileSync(path, '');
      truncateSync(path, sizeBytes);
      return path;
    },
  };
  return handle;
}
