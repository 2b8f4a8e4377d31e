/**
 * The lock's one error type. `code` says what happened; `cause` keeps the etcd error under it.
 */
export type LockErrorCode =
  /** The session's lease is gone or its deadline passed: every lock it held is lost. */
  | 'LOST'
  /** The session was closed. */
  | 'CLOSED'
  /** This session already holds or is taking this lock. */
  | 'ALREADY_HELD'
  /** The caller's signal aborted a take (the queue entry is withdrawn). */
  | 'ABORTED'
  /** etcd refused or failed a request. */
  | 'ETCD';

export class LockError extends Error {
  constructor(
    readonly code: LockErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'LockError';
  }
}

/** True when `err` is a LockError, optionally with the given code. */
export function isLockError(err: unknown, code?: LockErrorCode): err is LockError {
  return err instanceof LockError && (code === undefined || err.code === code);
}
