/**
 * Errors the agent raises itself (bad requests, jobs in the way), and the one place where any
 * error becomes a gRPC status: `toServiceError`. Engine errors keep their code, errno and item
 * in the status's trailing metadata, so clients can branch on them without parsing messages.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { isEngineError, type EngineError, type EngineErrorCode } from '@thinfleet/engine';
import { boundedDetails, encodeTrailerValue, ERROR_TRAILER_KEYS } from '@thinfleet/proto';

/** Trailing-metadata keys a failed call carries (see docs/agent.md): code, errno, field, item. */
export const ERROR_METADATA = ERROR_TRAILER_KEYS;

export type AgentErrorCode =
  /** A request field is missing, of the wrong type or out of range (`field` says which). */
  | 'BAD_REQUEST'
  /** A job is working on the volume (a background delete). */
  | 'JOB_RUNNING'
  | 'NO_SUCH_JOB'
  /** The agent is shutting down and takes no new work. */
  | 'SHUTTING_DOWN'
  /** A device path does not exist or is neither a block device nor a regular file. */
  | 'NO_SUCH_DEVICE'
  /** The call's lock token is older than the newest this agent has seen for the pool. */
  | 'STALE_TOKEN'
  /** The pool is shared (it has seen lock tokens) and the call carries none. */
  | 'TOKEN_REQUIRED'
  /** Cluster mode: this host does not hold the pool's lock now (or the call's token is newer than its grant). */
  | 'NOT_OWNER'
  /** Cluster mode: the coordinator cannot be reached, or the stream carrying a lock request broke; retry. */
  | 'CLUSTER_UNAVAILABLE'
  /** Cluster mode: the coordinator refused a lock request (its code is in the message). */
  | 'LOCK_FAILED'
  /** Cluster mode: the job left this host with its pool; it resumes on the pool's next holder. */
  | 'JOB_MOVED'
  /** A device belongs to a pool on this host or in the cluster (or a dm table holds it): no call, `force` included, may overwrite it; `field` names it. */
  | 'DEVICE_IN_USE'
  /** The pool is active on this host, and the call needs it inactive (pool forget). */
  | 'POOL_ACTIVE'
  /** An export's file exists already: never overwritten (`field` names it). */
  | 'FILE_EXISTS'
  /** An import's image file changed (size or modification time) between its start and a resumed run. */
  | 'FILE_CHANGED'
  /** A tool the call needs (qemu-img) is not installed on the agent's host; the message says how to install it. */
  | 'TOOL_MISSING'
  /** A tool the job ran (qemu-img) failed; the message carries the start of what it said. */
  | 'TOOL_FAILED'
  /** A copy's data did not match its checksum (a run on receipt, or a window read back) after the job's retries. */
  | 'CHECKSUM_MISMATCH'
  /** An incremental stream (docs/diff-stream.md) is truncated or corrupt; the message says where. */
  | 'BAD_STREAM';

// A table, one row per code: rows alike by design (duplicates pairs them by shape).
const AGENT_STATUS: Record<AgentErrorCode, { grpc: status; errno: string }> = {
  BAD_REQUEST: { grpc: status.INVALID_ARGUMENT, errno: 'EINVAL' },
  JOB_RUNNING: { grpc: status.FAILED_PRECONDITION, errno: 'EBUSY' },
  NO_SUCH_JOB: { grpc: status.NOT_FOUND, errno: 'ENOENT' },
  SHUTTING_DOWN: { grpc: status.UNAVAILABLE, errno: 'ESHUTDOWN' },
  NO_SUCH_DEVICE: { grpc: status.INVALID_ARGUMENT, errno: 'ENOENT' },
  STALE_TOKEN: { grpc: status.FAILED_PRECONDITION, errno: 'ESTALE' },
  TOKEN_REQUIRED: { grpc: status.FAILED_PRECONDITION, errno: 'EACCES' },
  NOT_OWNER: { grpc: status.FAILED_PRECONDITION, errno: 'EACCES' },
  CLUSTER_UNAVAILABLE: { grpc: status.UNAVAILABLE, errno: 'ENOTCONN' },
  LOCK_FAILED: { grpc: status.UNAVAILABLE, errno: 'ENOLCK' },
  JOB_MOVED: { grpc: status.UNAVAILABLE, errno: 'EAGAIN' },
  DEVICE_IN_USE: { grpc: status.FAILED_PRECONDITION, errno: 'EBUSY' },
  POOL_ACTIVE: { grpc: status.FAILED_PRECONDITION, errno: 'EBUSY' },
  FILE_EXISTS: { grpc: status.ALREADY_EXISTS, errno: 'EEXIST' },
  FILE_CHANGED: { grpc: status.FAILED_PRECONDITION, errno: 'ESTALE' },
  TOOL_MISSING: { grpc: status.FAILED_PRECONDITION, errno: 'ENOENT' },
  TOOL_FAILED: { grpc: status.FAILED_PRECONDITION, errno: 'EIO' },
  CHECKSUM_MISMATCH: { grpc: status.DATA_LOSS, errno: 'EBADMSG' },
  BAD_STREAM: { grpc: status.DATA_LOSS, errno: 'EILSEQ' },
};

const ENGINE_STATUS: Record<EngineErrorCode, status> = {
  INVALID_NAME: status.INVALID_ARGUMENT,
  INVALID_SIZE: status.INVALID_ARGUMENT,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NAME_EXISTS: status.ALREADY_EXISTS,
  NO_SUCH_VOLUME: status.NOT_FOUND,
  NO_SUCH_POOL: status.NOT_FOUND,
  SHRINK_REFUSED: status.FAILED_PRECONDITION,
  VOLUME_ACTIVE: status.FAILED_PRECONDITION,
  VOLUME_BUSY: status.FAILED_PRECONDITION,
  VOLUME_INACTIVE: status.FAILED_PRECONDITION,
  NO_FREE_THIN_ID: status.RESOURCE_EXHAUSTED,
  POOL_INACTIVE: status.FAILED_PRECONDITION,
  DEVICE_UNUSABLE: status.FAILED_PRECONDITION,
  POOL_INCOMPLETE: status.FAILED_PRECONDITION,
  RECOVERY_REFUSED: status.FAILED_PRECONDITION,
  DEVICE_MISMATCH: status.FAILED_PRECONDITION,
  KERNEL_FAILED: status.INTERNAL,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  POOL_NOT_WRITABLE: status.FAILED_PRECONDITION,
  POOL_FENCED: status.UNAVAILABLE,
  SPLIT_BRAIN: status.FAILED_PRECONDITION,
  STALE_OWNER: status.FAILED_PRECONDITION,
};

/** An error the agent raises itself. */
export class AgentError extends Error {
  readonly code: AgentErrorCode;
  /** For BAD_REQUEST: the request field at fault (`name`, `ops[2].size_bytes`). */
  readonly field: string | undefined;

  constructor(code: AgentErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.field = options.field;
  }
}

/** A BAD_REQUEST about `field`; the message starts with the field's name. */
export function badRequest(field: string, problem: string): AgentError {
  return new AgentError('BAD_REQUEST', `${field}: ${problem}`, { field });
}

/** The gRPC status name of a code number (`NOT_FOUND`). */
export function statusName(code: status): string {
  return status[code] ?? 'UNKNOWN';
}

const fieldOfEngineError = new WeakMap<EngineError, string>();

/**
 * Names the request field an engine refusal is about (`err.argument` in the caller's words), so
 * its status carries `tf-field`. Returns `err`.
 */
export function withField(err: EngineError, field: string): EngineError {
  fieldOfEngineError.set(err, field);
  return err;
}

/** The request field `withField` attached to `err`, if any. */
export function engineErrorField(err: EngineError): string | undefined {
  return fieldOfEngineError.get(err);
}

/**
 * Field to report on an INVALID_ARGUMENT that no check attached a field to: the request as a
 * whole. Every INVALID_ARGUMENT carries `tf-field` (docs/agent.md, Errors).
 */
export const WHOLE_REQUEST_FIELD = 'request';

/**
 * Turns any error into the status a client sees: engine and agent errors by their code, with
 * metadata; anything else is INTERNAL with its message (the log keeps the stack). What it
 * returns can always be sent: the message is cut to MAX_STATUS_DETAILS_BYTES and every `tf-*`
 * value is percent-encoded and bounded (@thinfleet/proto trailer-values.ts), whatever the error
 * interpolated.
 */
export function toServiceError(err: unknown): Partial<ServiceError> & { code: status; details: string; metadata: Metadata } {
  const metadata = new Metadata();
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined) metadata.set(key, encodeTrailerValue(value));
  };
  let code: status;
  let details: string;
  let field: string | undefined;
  if (err instanceof AgentError) {
    const mapped = AGENT_STATUS[err.code];
    set(ERROR_METADATA.code, err.code);
    set(ERROR_METADATA.errno, mapped.errno);
    code = mapped.grpc;
    details = err.message;
    field = err.field;
  } else if (isEngineError(err)) {
    set(ERROR_METADATA.code, err.code);
    set(ERROR_METADATA.errno, err.errnoCode);
    set(ERROR_METADATA.item, err.item);
    code = ENGINE_STATUS[err.code];
    details = err.message;
    field = engineErrorField(err);
  } else {
    details = err instanceof Error ? err.message : String(err);
    set(ERROR_METADATA.code, 'INTERNAL');
    const errno = (err as { code?: unknown } | null)?.code;
    if (typeof errno === 'string' && /^E[A-Z0-9]+$/.test(errno)) set(ERROR_METADATA.errno, errno);
    code = status.INTERNAL;
  }
  if (field === undefined && code === status.INVALID_ARGUMENT) field = WHOLE_REQUEST_FIELD;
  set(ERROR_METADATA.field, field);
  return { code, details: boundedDetails(details), metadata };
}
