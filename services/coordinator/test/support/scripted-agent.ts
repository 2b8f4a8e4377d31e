/**
 * The agent's side of a session stream, driven step by step by a test: send Hello, keepalives,
 * Take and Release, and read what the coordinator answers or pushes. It plays the protocol of
 * proto/thinfleet/coordinator/v1/session.proto and nothing more (no pools, no fencing): the real
 * agent's side is tested in services/agent and end to end with this coordinator.
 */
import { credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadCoordinatorApi, type AgentMessage, type CoordinatorMessage__Output, type HostPool } from '@thinfleet/proto';
import { waitUntil } from '../../../../test/support/wait-until.js';

export interface ScriptedAgent {
  /** Every message received so far, oldest first. */
  readonly received: CoordinatorMessage__Output[];
  send(message: AgentMessage): void;
  /** The next received message of `kind` (after those already taken), waiting up to `timeoutMs`. */
  next<K extends NonNullable<CoordinatorMessage__Output['message']>>(kind: K, timeoutMs?: number): Promise<NonNullable<CoordinatorMessage__Output[K]>>;
  hello(nodeId: string, options?: HelloOptions): Promise<NonNullable<CoordinatorMessage__Output['welcome']>>;
  /** The error the stream ended with (its gRPC code and message), once it has. */
  readonly error: () => { readonly code: number; readonly details: string } | null;
  keepAlive(): Promise<void>;
  /** Keeps the lease alive every `intervalMs` until stopKeepAlive(). */
  startKeepAlive(intervalMs: number): void;
  stopKeepAlive(): void;
  take(pool: string): Promise<NonNullable<CoordinatorMessage__Output['granted']>>;
  release(pool: string): Promise<void>;
  /** Resolves when the stream has ended (either side). */
  readonly ended: Promise<void>;
  close(): void;
}

/** What a Hello says besides the node id (defaults: a unix address that does not exist, a new session, fencing "watchdog" with an unknown timeout). */
export interface HelloOptions {
  readonly address?: string;
  readonly resume?: string;
  readonly pools?: HostPool[];
  readonly fencing?: string;
  readonly watchdogTimeoutSeconds?: number;
}

export function connectScriptedAgent(address: string): ScriptedAgent {
  const api = loadCoordinatorApi();
  const client = new api.SessionService(address, credentials.createInsecure());
  const stream: ClientDuplexStream<AgentMessage, CoordinatorMessage__Output> = client.Connect();
  const received: CoordinatorMessage__Output[] = [];
  const taken = new Set<CoordinatorMessage__Output>();
  let keepAliveTimer: NodeJS.Timeout | null = null;
  let seq = 0;
  let requestId = 0;
  let error: { code: number; details: string } | null = null;
  stream.on('data', (message: CoordinatorMessage__Output) => {
    received.push(message);
  });
  stream.on('error', (err: { code: number; details: string }) => {
    error = { code: err.code, details: err.details };
  });
  const ended = new Promise<void>((resolve) => {
    stream.on('end', () => resolve());
    stream.on('error', () => resolve());
    stream.on('close', () => resolve());
  });

  const next: ScriptedAgent['next'] = async (kind, timeoutMs = 5000) => {
    const found = await waitUntil(`a ${kind} message`, () => received.find((m) => m.message === kind && !taken.has(m)), {
      timeoutMs,
      detail: () => `received ${JSON.stringify(received.map((m) => m.message))}`,
    });
    taken.add(found);
    return found[kind]!;
  };

  /** The answer (`kind` or Failed) to request `id`. */
  const answerFor = async (id: number, kind: 'granted' | 'released'): Promise<CoordinatorMessage__Output> => {
    const answer = await waitUntil(
      `the ${kind} or failed answer to request ${id}`,
      () => received.find((m) => !taken.has(m) && ((m.message === kind && Number(m[kind]!.requestId) === id) || (m.message === 'failed' && Number(m.failed!.requestId) === id))),
      20_000,
    );
    taken.add(answer);
    return answer;
  };

  const agent: ScriptedAgent = {
    received,
    send: (message) => stream.write(message),
    next,
    error: () => error,
    async hello(nodeId, options = {}) {
      stream.write({
        hello: {
          nodeId,
          address: options.address ?? `unix:/nonexistent/${nodeId}.sock`,
          resumeSession: options.resume ?? '',
          pools: options.pools ?? [],
          version: 'test',
          fencing: options.fencing ?? 'watchdog',
          watchdogTimeoutSeconds: options.watchdogTimeoutSeconds ?? 0,
        },
      });
      return next('welcome');
    },
    async keepAlive() {
      const mine = ++seq;
      stream.write({ keepAlive: { seq: mine } });
      for (;;) {
        const ack = await next('keepAliveAck');
        if (Number(ack.seq) === mine) return;
      }
    },
    startKeepAlive(intervalMs) {
      keepAliveTimer = setInterval(() => stream.write({ keepAlive: { seq: ++seq } }), intervalMs);
    },
    stopKeepAlive() {
      if (keepAliveTimer !== null) clearInterval(keepAliveTimer);
      keepAliveTimer = null;
    },
    async take(pool) {
      const id = ++requestId;
      stream.write({ take: { requestId: id, pool } });
      const answer = await answerFor(id, 'granted');
      if (answer.message === 'failed') throw new Error(`take ${pool} failed: ${answer.failed!.code} ${answer.failed!.message}`);
      return answer.granted!;
    },
    async release(pool) {
      const id = ++requestId;
      stream.write({ release: { requestId: id, pool } });
      const answer = await answerFor(id, 'released');
      if (answer.message === 'failed') throw new Error(`release ${pool} failed: ${answer.failed!.code} ${answer.failed!.message}`);
    },
    ended,
    close() {
      agent.stopKeepAlive();
      stream.end();
      client.close();
    },
  };
  return agent;
}
