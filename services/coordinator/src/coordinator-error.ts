/**
 * Errors the coordinator itself answers with, shaped as gRPC statuses with the same trailers the
 * agents use (`tf-error-code`), so clients handle both alike. Errors from an agent the call was
 * routed to are passed through unchanged.
 */
import { Metadata, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { boundedDetails, encodeTrailerValue, ERROR_TRAILER_KEYS } from '@thinfleet/proto';

export type CoordinatorErrorCode =
  /** No host with a live session can reach the pool. */
  | 'NO_HOST'
  /** A host was asked to take the pool and did not report it ready in time. */
  | 'NOT_READY'
  /** The pool's owner did not answer (it may be dead: its lease frees the pool within the TTL). */
  | 'HOST_UNREACHABLE'
  /** Placement found no pool for a new volume. */
  | 'NO_PLACEMENT'
  /** The call changes a pool's devices: it goes to an agent, not through the coordinator. */
  | 'AGENT_ONLY'
  | 'BAD_REQUEST'
  | 'NO_SUCH_VOLUME'
  | 'NO_SUCH_POOL'
  | 'NO_SUCH_JOB'
  /** The job is moving with its pool to the pool's next holder, which has not taken it up yet. */
  | 'JOB_MOVED'
  /** etcd did not answer (UNAVAILABLE: retry). */
  | 'ETCD'
  /** Anything else that went wrong in the coordinator: a bug, not retried. */
  | 'INTERNAL';

const STATUS: Record<CoordinatorErrorCode, grpcStatus> = {
  NO_HOST: grpcStatus.FAILED_PRECONDITION,
  NOT_READY: grpcStatus.UNAVAILABLE,
  HOST_UNREACHABLE: grpcStatus.UNAVAILABLE,
  NO_PLACEMENT: grpcStatus.RESOURCE_EXHAUSTED,
  AGENT_ONLY: grpcStatus.FAILED_PRECONDITION,
  BAD_REQUEST: grpcStatus.INVALID_ARGUMENT,
  NO_SUCH_VOLUME: grpcStatus.NOT_FOUND,
  NO_SUCH_POOL: grpcStatus.NOT_FOUND,
  NO_SUCH_JOB: grpcStatus.NOT_FOUND,
  JOB_MOVED: grpcStatus.UNAVAILABLE,
  ETCD: grpcStatus.UNAVAILABLE,
  INTERNAL: grpcStatus.INTERNAL,
};

/**
 * A gRPC status from the coordinator, with `tf-error-code` (and `tf-field` when given). Like the
 * agent's, it always fits the trailers: the message is cut to 1 KiB and values are
 * percent-encoded (@thinfleet/proto trailer-values.ts), whatever the message repeats.
 */
export function coordinatorError(code: CoordinatorErrorCode, message: string, options: { field?: string; cause?: unknown } = {}): ServiceError {
  const metadata = new Metadata();
  metadata.set(ERROR_TRAILER_KEYS.code, encodeTrailerValue(code));
  if (options.field !== undefined) metadata.set(ERROR_TRAILER_KEYS.field, encodeTrailerValue(options.field));
  const details = boundedDetails(message);
  const err = new Error(details, { cause: options.cause }) as ServiceError;
  return Object.assign(err, { code: STATUS[code], details, metadata });
}

/** True for a gRPC status (from an agent or from us), which a handler passes on as it is. */
export function isServiceError(err: unknown): err is ServiceError {
  return typeof (err as ServiceError | null)?.code === 'number' && (err as ServiceError).metadata instanceof Metadata;
}

/** The `tf-error-code` of a status, if it has one. */
export function errorCodeOf(err: unknown): string | null {
  if (!isServiceError(err)) return null;
  const value = err.metadata.get(ERROR_TRAILER_KEYS.code)[0];
  return typeof value === 'string' ? value : null;
}

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ENOENT: 'no socket there',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENOTFOUND: 'no such host',
  EACCES: 'permission denied',
};

/**
 * Why a host did not answer, in a few words, from grpc-js's status details (which carry its
 * internals: "No connection established. Last error: ... Resolution note: "): the errno's
 * meaning and name, or "no answer".
 */
export function unreachableWhy(details: string): string {
  const errno = /\b(E[A-Z]{3,})\b/.exec(details)?.[1];
  if (errno === undefined) return 'no answer';
  return `${CONNECT_ERRORS[errno] ?? 'cannot connect'}, ${errno}`;
}

/** A status from a host the coordinator called: UNAVAILABLE without our code means the host did not answer. */
export function isHostUnreachable(err: unknown): err is ServiceError {
  return isServiceError(err) && err.code === grpcStatus.UNAVAILABLE && errorCodeOf(err) === null;
}
