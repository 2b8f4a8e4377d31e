/**
 * How results and errors leave the command: human text by default, one JSON document per
 * command with --json, and errors as `thinfleet: <message>` on standard error (with --json, also
 * as an `{"error": {...}}` document on standard output). Also decides the exit code of an error.
 */
import { AgentCallError } from '@thinfleet/client';
import type { CliIo } from './cli-io.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { Endpoint } from './route.js';
import { UsageError } from './usage-error.js';

/** The `error` member of the JSON error document. */
export interface JsonError {
  /** The gRPC status name (`NOT_FOUND`); null for errors found before anything was sent. */
  readonly status: string | null;
  /** The agent's error code (`NO_SUCH_VOLUME`), `USAGE` for a usage error, null when none. */
  readonly code: string | null;
  readonly message: string;
  /** The request field, flag or batch path at fault; null when none. */
  readonly field: string | null;
  /** The batch item at fault; null when none. */
  readonly item: string | null;
}

/** Writes one command's results. */
export class Output {
  /** Print JSON documents instead of human text. */
  readonly json: boolean;
  private readonly io: CliIo;

  constructor(io: CliIo, json: boolean) {
    this.io = io;
    this.json = json;
  }

  /**
   * Prints a command's result: `document` as JSON with --json, else the text `human()` makes
   * (nothing when it is empty). Call once per command.
   */
  result(document: unknown, human: () => string): void {
    if (this.json) {
      this.io.stdout(toJson(document));
      return;
    }
    const text = human();
    if (text !== '') this.io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A line for people while the command works (`deleting tank/vm1: job 7`); nothing with --json. */
  note(text: string): void {
    if (!this.json) this.io.stdout(`${text}\n`);
  }

  /** A line on standard error (`thinfleet: warning ...`), in either mode. */
  warn(text: string): void {
    this.io.stderr(`thinfleet: ${text}\n`);
  }

  /**
   * Prints the warnings a response carries (`overprovision`: the call took its pool beyond the
   * agent's overprovisioning ratio) to standard error, in human mode only: with --json they are
   * fields of the document. Any answer may be given: one without `overprovision` prints nothing.
   */
  responseWarnings(response: object): void {
    if (this.json || !('overprovision' in response)) return;
    const warning = response.overprovision;
    if (typeof warning === 'object' && warning !== null && 'message' in warning && typeof warning.message === 'string') this.warn(`warning: ${warning.message}`);
  }

  /**
   * Reports an operation that failed after its result was printed (a watched job that failed):
   * the message on standard error only. Returns EXIT.FAILED.
   */
  failed(message: string): ExitCode {
    this.io.stderr(`thinfleet: ${message}\n`);
    return EXIT.FAILED;
  }

  /**
   * Reports an error the command threw and returns its exit code: UsageError → 2, an
   * AgentCallError for an unreachable agent or coordinator → 3, any other AgentCallError or
   * error → 1. `endpoint` (what the calls went to) goes into the unreachable message.
   */
  error(err: unknown, endpoint: Endpoint): ExitCode {
    const { exitCode, message, json } = describeError(err, endpoint);
    const suffixes: string[] = [];
    if (json.field !== null && !message.startsWith(`${json.field}:`)) suffixes.push(`(field: ${json.field})`);
    if (json.item !== null && !message.includes(json.item)) suffixes.push(`(item: ${json.item})`);
    this.io.stderr(`thinfleet: ${[message, ...suffixes].join(' ')}\n`);
    if (this.json) this.io.stdout(toJson({ error: json }));
    return exitCode;
  }
}

/** An error's exit code, its message for people, and its JSON form. */
export function describeError(err: unknown, endpoint: Endpoint): { exitCode: ExitCode; message: string; json: JsonError } {
  if (err instanceof UsageError) {
    return {
      exitCode: EXIT.USAGE,
      message: err.message,
      json: { status: null, code: 'USAGE', message: err.message, field: err.field, item: null },
    };
  }
  if (err instanceof AgentCallError) {
    const unreachable = isUnreachable(err);
    const message = unreachable && err.errorCode === null ? unreachableMessage(err.message, endpoint) : err.message;
    return {
      exitCode: unreachable ? EXIT.UNREACHABLE : EXIT.FAILED,
      message,
      json: { status: err.status, code: err.errorCode, message, field: err.field, item: err.item },
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: EXIT.FAILED, message, json: { status: null, code: null, message, field: null, item: null } };
}

/**
 * True when the server the command talks to could not be reached or is shutting down (exit 3):
 * UNAVAILABLE with no error code (grpc-js's own), or the server's `SHUTTING_DOWN`. An UNAVAILABLE
 * the server answered with another code (a coordinator's `HOST_UNREACHABLE`, `NOT_READY`,
 * `JOB_MOVED`; an agent's `CLUSTER_UNAVAILABLE`) is its answer: exit 1.
 */
function isUnreachable(err: AgentCallError): boolean {
  return err.isUnavailable && (err.errorCode === null || err.errorCode === 'SHUTTING_DOWN');
}

const CONNECT_ERRORS: Record<string, string> = {
  ENOENT: 'no socket there',
  ENOTFOUND: 'no such host',
  ECONNREFUSED: 'the connection was refused',
  EACCES: 'permission denied on the socket',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
};

/**
 * `cannot reach the agent at X: no socket there (ENOENT). Is thinfleet-agent running? ...` (or the
 * coordinator's equivalent), from grpc-js's details.
 */
function unreachableMessage(details: string, endpoint: Endpoint): string {
  const errno = /\b(E[A-Z]{2,})\b/.exec(details)?.[1];
  const why = errno === undefined ? details : `${CONNECT_ERRORS[errno] ?? 'cannot connect'} (${errno})`;
  if (endpoint.kind === 'coordinator') {
    return `cannot reach the coordinator at ${endpoint.address}: ${why}. Is thinfleet-coordinator running? (--coordinator or THINFLEET_COORDINATOR choose another address)`;
  }
  return `cannot reach the agent at ${endpoint.address}: ${why}. Is thinfleet-agent running? (--agent or THINFLEET_AGENT choose another socket)`;
}

/**
 * A JSON document with a trailing newline: two-space indented, without grpc-js's oneof marker
 * fields (`_mappedBytes`), which are not part of the API.
 */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (key, member: unknown) => (key.startsWith('_') ? undefined : member), 2)}\n`;
}
