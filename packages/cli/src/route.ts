/**
 * Where a command's calls go: the agent of this host (a unix socket, or a TCP agent over mutual
 * TLS), or the cluster coordinator, which serves the same agent API for every host and routes
 * each call to the host holding the pool. Decided from the global flags and the environment,
 * before anything is sent.
 */
import { parseAgentTarget, parseCoordinatorTarget, type AgentConnectOptions, type CoordinatorConnectOptions, type CoordinatorTarget, type TlsFiles } from '@thinfleet/client';
import type { CliIo } from './cli-io.js';
import type { ParsedArgs } from './parsed-args.js';
import { fieldError, UsageError } from './usage-error.js';

/** Where the agent listens unless --agent or THINFLEET_AGENT says otherwise. */
export const DEFAULT_AGENT_SOCKET = '/run/thinfleet/agent.sock';

/** What the calls go to; `address` is as the user gave it, for messages. */
export type Endpoint = { readonly kind: 'agent'; readonly address: string } | { readonly kind: 'coordinator'; readonly address: string };

/** The checked choice: the endpoint and the options to connect to it with. */
export type Route =
  | { readonly kind: 'agent'; readonly address: string; readonly options: AgentConnectOptions }
  | {
      readonly kind: 'coordinator';
      readonly address: string;
      readonly target: CoordinatorTarget;
      readonly options: CoordinatorConnectOptions;
      /** The address came from THINFLEET_COORDINATOR, not from --coordinator. */
      readonly fromEnv: boolean;
    };

/** The endpoint used in messages before the command line is checked. */
export function defaultEndpoint(env: CliIo['env']): Endpoint {
  return { kind: 'agent', address: env['THINFLEET_AGENT'] || DEFAULT_AGENT_SOCKET };
}

/**
 * Chooses and checks the route from the global flags and `env`. `--agent` and `--coordinator`
 * exclude each other; a flag beats the environment; THINFLEET_COORDINATOR (when no --agent is
 * given) beats THINFLEET_AGENT; with none of them the default socket is used. Pure: reads no file
 * (the TLS files are read when connecting). Throws a UsageError naming the flag at fault for a
 * malformed address, timeout or wait, both flags, partial TLS files, a TCP agent without TLS, or a
 * coordinator that is not a loopback address without TLS.
 */
export function resolveRoute(globals: ParsedArgs, env: CliIo['env']): Route {
  const agentFlag = globals.string('agent');
  const coordinatorFlag = globals.string('coordinator');
  if (agentFlag !== undefined && coordinatorFlag !== undefined) {
    throw new UsageError('--agent and --coordinator exclude each other: a command goes to one agent or through the coordinator', { field: '--coordinator' });
  }
  const deadlineMs = timeoutMs(globals);
  const retryUnavailableMs = waitMs(globals);
  const timing = { ...(deadlineMs === undefined ? {} : { deadlineMs }), ...(retryUnavailableMs === undefined ? {} : { retryUnavailableMs }) };
  const fromEnv = coordinatorFlag === undefined && agentFlag === undefined && (env['THINFLEET_COORDINATOR'] ?? '') !== '';
  const coordinator = coordinatorFlag ?? (fromEnv ? env['THINFLEET_COORDINATOR'] : undefined);
  if (coordinator !== undefined) {
    const source = fromEnv ? 'THINFLEET_COORDINATOR' : '--coordinator';
    let target: CoordinatorTarget;
    try {
      target = parseCoordinatorTarget(coordinator);
    } catch (err) {
      throw fieldError(source, (err as Error).message, err);
    }
    const tls = tlsFiles(
      globals,
      target.loopback ? 'optional' : 'required',
      () =>
        `the coordinator ${coordinator} is not a loopback address, so the connection needs mutual TLS: give --tls-ca, --tls-cert and --tls-key (plaintext is allowed only to 127.0.0.1, ::1 or localhost)`,
    );
    return { kind: 'coordinator', address: coordinator, target, options: { ...timing, ...(tls === undefined ? {} : { tls }) }, fromEnv };
  }
  const address = agentFlag ?? (env['THINFLEET_AGENT'] || DEFAULT_AGENT_SOCKET);
  let kind: 'unix' | 'tcp';
  try {
    kind = parseAgentTarget(address).kind;
  } catch (err) {
    throw fieldError('--agent', (err as Error).message, err);
  }
  const tls = kind === 'tcp' ? tlsFiles(globals, 'required', () => `--agent ${address} is a TCP address, which needs mutual TLS: give --tls-ca, --tls-cert and --tls-key`) : undefined;
  return { kind: 'agent', address, options: { ...timing, ...(tls === undefined ? {} : { tls }) } };
}

function timeoutMs(globals: ParsedArgs): number | undefined {
  const timeout = globals.string('timeout');
  if (timeout === undefined) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(timeout.trim()) ? Number(timeout) : Number.NaN;
  if (!(seconds > 0)) throw fieldError('--timeout', `"${timeout}" is not a number of seconds above 0`);
  return Math.max(1, Math.round(seconds * 1000));
}

/** `--wait SECONDS` (0 allowed: no retry) in milliseconds, or undefined when not given. */
function waitMs(globals: ParsedArgs): number | undefined {
  const wait = globals.string('wait');
  if (wait === undefined) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(wait.trim()) ? Number(wait) : Number.NaN;
  if (!(seconds >= 0) || seconds > 86_400) throw fieldError('--wait', `"${wait.slice(0, 32)}" is not a number of seconds from 0 to 86400`);
  return Math.round(seconds * 1000);
}

/**
 * The three TLS files, all or none. `required`: none is a UsageError with `missing()` as its
 * message. `optional`: none gives undefined. Some but not all is always a UsageError.
 */
function tlsFiles(globals: ParsedArgs, need: 'required' | 'optional', missing: () => string): TlsFiles | undefined {
  const given = { '--tls-ca': globals.string('tls-ca'), '--tls-cert': globals.string('tls-cert'), '--tls-key': globals.string('tls-key') };
  const absent = Object.entries(given).filter(([, value]) => value === undefined);
  if (absent.length === 3 && need === 'optional') return undefined;
  const first = absent[0];
  if (first !== undefined) {
    if (absent.length === 3 || need === 'required') throw new UsageError(missing(), { field: first[0] });
    throw new UsageError(`mutual TLS needs all of --tls-ca, --tls-cert and --tls-key; ${first[0]} is missing`, { field: first[0] });
  }
  return { caFile: given['--tls-ca'] ?? '', certFile: given['--tls-cert'] ?? '', keyFile: given['--tls-key'] ?? '' };
}
