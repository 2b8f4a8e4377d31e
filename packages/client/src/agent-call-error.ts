/**
 * The one error type a failed agent call rejects with: the gRPC status, plus what the agent put
 * in the call's trailing metadata (its error code, errno, the request field and the batch item at
 * fault), so callers branch on fields instead of parsing messages.
 */
import { status, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { decodeTrailerValue, ERROR_TRAILER_KEYS } from '@thinfleet/proto';

/**
 * Trailing-metadata keys the agent sets on a failed call (see services/agent/src/agent-error.ts).
 * Their values are percent-encoded UTF-8 (@thinfleet/proto trailer-values.ts); the fields below
 * hold them decoded.
 */
export const ERROR_TRAILERS = ERROR_TRAILER_KEYS;

/**
 * A call to the agent (or to a coordinator, which sets the same trailers) that did not succeed.
 * `message` is the server's own description (the status details); `cause` is the grpc-js
 * ServiceError it was made from.
 *
 * @example
 * try { await client.getVolume({ pool: 'p', name: 'a' }); }
 * catch (err) { if (err instanceof AgentCallError && err.status === 'NOT_FOUND') ... }
 */
export class AgentCallError extends Error {
  /** The numeric gRPC status code (5 for NOT_FOUND). */
  readonly grpcCode: number;
  /** The gRPC status name (`NOT_FOUND`, `INVALID_ARGUMENT`...). */
  readonly status: string;
  /** The agent's or engine's error code (`NO_SUCH_VOLUME`, `BAD_REQUEST`...); null when the agent sent none. */
  readonly errorCode: string | null;
  /** The errno name closest to the failure (`ENOENT`, `EBUSY`...); null when the agent sent none. */
  readonly errno: string | null;
  /** The request field at fault, as a path in proto field names (`ops[3].name`); null when none. */
  readonly field: string | null;
  /** The batch item at fault (the caller's item name); null when none. */
  readonly item: string | null;

  constructor(cause: ServiceError) {
    super(cause.details || cause.message, { cause });
    this.name = 'AgentCallError';
    this.grpcCode = cause.code;
    this.status = statusName(cause.code);
    this.errorCode = trailer(cause.metadata, ERROR_TRAILERS.code);
    this.errno = trailer(cause.metadata, ERROR_TRAILERS.errno);
    this.field = trailer(cause.metadata, ERROR_TRAILERS.field);
    this.item = trailer(cause.metadata, ERROR_TRAILERS.item);
  }

  /**
   * True when the agent or coordinator could not be reached (nothing listens on the socket or
   * port, the connection was refused or dropped) or is shutting down: the status is UNAVAILABLE.
   */
  get isUnavailable(): boolean {
    return this.grpcCode === status.UNAVAILABLE;
  }
}

/** The gRPC status name of a code number (`NOT_FOUND`); `UNKNOWN` for numbers gRPC does not define. */
export function statusName(code: number): string {
  return status[code] ?? 'UNKNOWN';
}

/**
 * Turns whatever a grpc-js call failed with into an AgentCallError. Errors that are not gRPC
 * status errors (which grpc-js does not produce for calls) become UNKNOWN with the original as
 * cause. Already-converted errors are returned as they are.
 */
export function toAgentCallError(err: unknown): AgentCallError {
  if (err instanceof AgentCallError) return err;
  if (isServiceError(err)) return new AgentCallError(err);
  const message = err instanceof Error ? err.message : String(err);
  const wrapped: ServiceError = Object.assign(new Error(message, { cause: err }), {
    code: status.UNKNOWN,
    details: message,
    metadata: undefined as unknown as Metadata,
  });
  return new AgentCallError(wrapped);
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

/** A `tf-*` trailer's value, decoded (agents and coordinators percent-encode them: non-ASCII item names). */
function trailer(metadata: Metadata | undefined, key: string): string | null {
  const values = metadata?.get(key) ?? [];
  const first = values[0];
  if (first === undefined) return null;
  return decodeTrailerValue(typeof first === 'string' ? first : first.toString('utf8'));
}
