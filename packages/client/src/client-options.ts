/**
 * The options of the thinfleet clients (how to reach a server, per-call deadlines, retries) and
 * the one place both clients turn a coordinator address and its options into a channel.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { coordinatorCredentials, parseCoordinatorTarget, type CoordinatorTarget } from './coordinator-target.js';
import type { TlsFiles } from './tls-credentials.js';

/**
 * grpc-js channel options of the clients' channels: channelz (grpc-js's per-call and per-message
 * counters for its debugging service, which thinfleet does not serve) is off, saving its
 * bookkeeping on every call. Retries stay as grpc-js sets them (transparent only: a call the
 * server never saw is sent again).
 */
export const CLIENT_CHANNEL_OPTIONS: Readonly<Record<string, number>> = { 'grpc.enable_channelz': 0 };

/** The deadline of a unary call when neither the client nor the call sets one. */
export const DEFAULT_DEADLINE_MS = 60_000;

/** PEM files for mutual TLS to an agent listening on TCP. */
export type AgentTlsFiles = TlsFiles;

/** How to reach the agent. */
export interface AgentConnectOptions {
  /** Required for a TCP target, ignored for a unix socket. */
  readonly tls?: AgentTlsFiles;
  /** Deadline of each unary call, in milliseconds; DEFAULT_DEADLINE_MS when absent. */
  readonly deadlineMs?: number;
  /** See RetryOptions.retryUnavailableMs. */
  readonly retryUnavailableMs?: number;
}

/**
 * Retrying for the caller (the CLI's `--wait SECONDS`): a unary call answered UNAVAILABLE (the
 * server, or the host behind a coordinator, cannot serve now: `HOST_UNREACHABLE`, `NOT_READY`,
 * `JOB_MOVED`, `CLUSTER_UNAVAILABLE`, `POOL_FENCED`, or no answer at all, as during a failover)
 * is made again after 250 ms, doubling to 2 s, until this many milliseconds have passed since
 * the first attempt; other answers are returned at once. A change whose answer was lost may have
 * been done: its retry then answers as a repeat does (e.g. `NAME_EXISTS`). 0 or absent: no retry.
 */
export interface RetryOptions {
  readonly retryUnavailableMs?: number;
}

/** How to reach a cluster coordinator. */
export interface CoordinatorConnectOptions {
  /**
   * Mutual TLS to the coordinator. Optional only when the address is a loopback address
   * (127.0.0.0/8, ::1, localhost); required for any other host.
   */
  readonly tls?: TlsFiles;
  /** Deadline of each unary call, in milliseconds; DEFAULT_DEADLINE_MS when absent. */
  readonly deadlineMs?: number;
  /** See RetryOptions.retryUnavailableMs. */
  readonly retryUnavailableMs?: number;
}

/** Per-call options. */
export interface AgentCallOptions {
  /** This call's deadline in milliseconds, overriding the client's. */
  readonly deadlineMs?: number;
  /**
   * A node id sent as request metadata `tf-host`. Only a coordinator reads it: on CreateVolume with
   * an empty pool it places the volume in a pool that host reaches. An agent ignores it.
   */
  readonly placementHost?: string;
  /**
   * For a mutating call: its request id (`request_id`), when the request carries none. When
   * neither gives one, the client makes one (a random UUID) per call. An agent answers a repeat
   * of the same id and request from the first attempt (docs/agent.md, Request ids).
   */
  readonly requestId?: string;
  /**
   * For a mutating call: how long, in milliseconds, to keep retrying it, with the same request
   * id, while the answer is lost (DEADLINE_EXCEEDED, or UNAVAILABLE before the server answered).
   * 0 (the default): no retry.
   */
  readonly retryForMs?: number;
}

/** A checked target with what a client needs to open its channel and time its calls. */
export interface ClientChannel<T> {
  readonly target: T;
  readonly channelCredentials: ChannelCredentials;
  /** Deadline of each unary call, in milliseconds (more than 0). */
  readonly deadlineMs: number;
  /** See RetryOptions.retryUnavailableMs (0 or more). */
  readonly retryUnavailableMs: number;
}

/** The checked RetryOptions.retryUnavailableMs (0 when absent). @throws Error for a negative or non-finite value */
export function retryUnavailableMsOf(options: RetryOptions): number {
  const ms = options.retryUnavailableMs ?? 0;
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`retryUnavailableMs must be 0 or more, got ${ms}`);
  return ms;
}

/** The checked deadline of each unary call (DEFAULT_DEADLINE_MS when absent). @throws Error when not more than 0 */
export function deadlineMsOf(options: { readonly deadlineMs?: number }): number {
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  if (!(deadlineMs > 0)) throw new Error(`deadlineMs must be more than 0, got ${deadlineMs}`);
  return deadlineMs;
}

/**
 * The channel to the coordinator at `address` (`host:port`, `[v6addr]:port`, or a host alone
 * for port 9750), for either client: plaintext only to a loopback address, mutual TLS otherwise.
 * Opens nothing; reads the PEM files.
 * @throws Error (errno and cause kept) when the address or an option is malformed, TLS is missing for a remote host, or a PEM file cannot be read.
 */
export async function coordinatorChannel(address: string, options: CoordinatorConnectOptions): Promise<ClientChannel<CoordinatorTarget>> {
  const target = parseCoordinatorTarget(address);
  const deadlineMs = deadlineMsOf(options);
  const retryUnavailableMs = retryUnavailableMsOf(options);
  return { target, channelCredentials: await coordinatorCredentials(target, options.tls), deadlineMs, retryUnavailableMs };
}
