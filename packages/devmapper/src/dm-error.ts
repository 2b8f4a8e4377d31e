import { constants } from 'node:os';

/**
 * The one error type both DmClient implementations throw for a failed device-mapper or block
 * operation. It keeps the kernel's errno so callers branch on `code` (e.g. `EBUSY`), never on
 * message text.
 */
export class DmError extends Error {
  /** errno name, e.g. `EBUSY`, `ENXIO`, `EINVAL`. */
  readonly code: string;
  /** Positive errno number, e.g. 16 for EBUSY. */
  readonly errno: number;
  /** The operation that failed: an ioctl name (`DM_DEV_REMOVE`) or a block call (`BLKDISCARD`). */
  readonly operation: string;
  /** The device-mapper name or device path the operation was about, when there is one. */
  readonly device: string | undefined;

  constructor(code: string, operation: string, device: string | undefined, detail?: string, options?: { cause?: unknown }) {
    const where = device === undefined ? operation : `${operation} ${device}`;
    super(`${where}: ${code}${detail ? ` (${detail})` : ''}`, options);
    this.name = 'DmError';
    this.code = code;
    this.errno = errnoNumber(code);
    this.operation = operation;
    this.device = device;
  }
}

/** Maps an errno name to its number on this platform (0 when unknown). */
export function errnoNumber(code: string): number {
  const table = constants.errno as Record<string, number>;
  return table[code] ?? 0;
}

/** True when `err` is a DmError, optionally with the given errno name. */
export function isDmError(err: unknown, code?: string): err is DmError {
  return err instanceof DmError && (code === undefined || err.code === code);
}
