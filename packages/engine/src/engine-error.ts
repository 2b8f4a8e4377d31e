/**
 * The engine's one error type. Callers branch on `code`; `errno` is the closest errno for
 * tools that want one; `cause` keeps the DmError, CatalogError or I/O error underneath.
 * `item` names the batch item a validation error is about.
 */
import { constants } from 'node:os';
import { quoted } from '@thinfleet/units';

export type EngineErrorCode =
  /** A pool or volume name breaks the naming rules. */
  | 'INVALID_NAME'
  /** A size is zero, not sector-aligned, or beyond the pool's virtual limit. */
  | 'INVALID_SIZE'
  /** An argument other than a name or size is malformed (a thin id beyond 24 bits, a keep count...). */
  | 'INVALID_ARGUMENT'
  /** The name is taken in this pool (or, for pools, on this host). */
  | 'NAME_EXISTS'
  | 'NO_SUCH_VOLUME'
  | 'NO_SUCH_POOL'
  /** A grow request asked for fewer bytes than the volume has. */
  | 'SHRINK_REFUSED'
  /** The operation needs the volume inactive (rename, revert) and it is active. */
  | 'VOLUME_ACTIVE'
  /** The volume's device is open (mounted, attached to a VM). */
  | 'VOLUME_BUSY'
  /** The operation needs the volume's device (reading or writing its content) and it is not active. */
  | 'VOLUME_INACTIVE'
  /** Every one of the 2^24 thin ids is in use. */
  | 'NO_FREE_THIN_ID'
  /** The pool is not active on this host. */
  | 'POOL_INACTIVE'
  /** A device given for a new pool already carries a thinfleet label (use force), or is too small. */
  | 'DEVICE_UNUSABLE'
  /** Discovery found the pool incomplete or inconsistent (a missing device, a size change). */
  | 'POOL_INCOMPLETE'
  /** The kernel's transaction id does not fit the catalog: recovery refuses to guess. */
  | 'RECOVERY_REFUSED'
  /** A pool's live device-mapper devices do not match what its catalog describes. */
  | 'DEVICE_MISMATCH'
  /** The kernel refused a step; the transaction was rolled back (see cause). */
  | 'KERNEL_FAILED'
  /** The snapshot critical section ran past its deadline; origins were resumed, the batch rolled back. */
  | 'DEADLINE_EXCEEDED'
  /** The pool is read-only, failed or needs_check: no metadata changes. */
  | 'POOL_NOT_WRITABLE'
  /** This host was fenced off the pool (it lost the pool's cluster lock): it may not write to the pool's devices. */
  | 'POOL_FENCED'
  /**
   * The pool's catalog shows two holders writing it at once (writer tokens going backwards, or a
   * token newer than this host's grant): activation refuses to serve it (docs/agent.md, "Split-brain evidence").
   */
  | 'SPLIT_BRAIN'
  /**
   * A write whose owner must be current came from a stale holder: its grant token is older than
   * one the pool (or the job) has recorded, or another holder has written the catalog since.
   */
  | 'STALE_OWNER';

const ERRNO_OF: Record<EngineErrorCode, string> = {
  INVALID_NAME: 'EINVAL',
  INVALID_SIZE: 'EINVAL',
  INVALID_ARGUMENT: 'EINVAL',
  NAME_EXISTS: 'EEXIST',
  NO_SUCH_VOLUME: 'ENOENT',
  NO_SUCH_POOL: 'ENOENT',
  SHRINK_REFUSED: 'EINVAL',
  VOLUME_ACTIVE: 'EBUSY',
  VOLUME_BUSY: 'EBUSY',
  VOLUME_INACTIVE: 'ENXIO',
  NO_FREE_THIN_ID: 'ENOSPC',
  POOL_INACTIVE: 'ENODEV',
  DEVICE_UNUSABLE: 'EBUSY',
  POOL_INCOMPLETE: 'ENODEV',
  RECOVERY_REFUSED: 'EUCLEAN',
  DEVICE_MISMATCH: 'EEXIST',
  KERNEL_FAILED: 'EIO',
  DEADLINE_EXCEEDED: 'ETIMEDOUT',
  POOL_NOT_WRITABLE: 'EROFS',
  POOL_FENCED: 'ESTALE',
  SPLIT_BRAIN: 'EUCLEAN',
  STALE_OWNER: 'ESTALE',
};

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  /** errno name closest to the code (`EINVAL`, `EBUSY`, ...). */
  readonly errnoCode: string;
  /** errno number of `errnoCode` on this platform. */
  readonly errno: number;
  /** The caller-chosen name of the batch item this error is about, if any. */
  readonly item: string | undefined;
  /** When undoing a failed step failed as well: that second error (`cause` is the first). */
  readonly rollbackError: unknown;
  /**
   * For INVALID_NAME, INVALID_SIZE and INVALID_ARGUMENT: the argument at fault, by its name in
   * the engine's API (a BatchItem field such as `volume`, `snapshot`, `externalOrigin`,
   * `sizeBytes`, `keep`; a CreatePoolRequest field such as `metadataBytes`), so callers can name
   * their own field for it. Undefined when no single argument is at fault.
   */
  readonly argument: string | undefined;

  constructor(code: EngineErrorCode, message: string, options: { cause?: unknown; item?: string; rollbackError?: unknown; argument?: string } = {}) {
    super(options.item === undefined ? message : `item ${quoted(options.item)}: ${message}`, { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    this.errnoCode = ERRNO_OF[code];
    this.errno = (constants.errno as Record<string, number>)[this.errnoCode] ?? 0;
    this.item = options.item;
    this.rollbackError = options.rollbackError;
    this.argument = options.argument;
  }
}

/** True when `err` is an EngineError, optionally with the given code. */
export function isEngineError(err: unknown, code?: EngineErrorCode): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}
