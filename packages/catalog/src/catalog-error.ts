import { constants } from 'node:os';

/**
 * Why a catalog operation failed:
 * - `CORRUPT`: on-disk bytes that claim to be thinfleet metadata fail their checksum or hold
 *   impossible values (errno `EILSEQ`).
 * - `UNSUPPORTED_VERSION`: a label, checkpoint or record written by a newer format version than
 *   this reader knows (errno `EINVAL`).
 * - `NO_CATALOG`: neither checkpoint slot holds a valid checkpoint (errno `ENOENT`).
 * - `FULL`: a record does not fit in the journal or the state does not fit in a slot
 *   (errno `ENOSPC`).
 * - `BAD_LAYOUT`: a catalog layout or a label's placement of it is unusable (errno `EINVAL`).
 * - `SPLIT_BRAIN`: the journal's writer tokens show two holders writing the pool at once, or a
 *   holder newer than the reader's own grant (errno `EUCLEAN`); see writer-evidence.ts.
 * - `STALE_WRITER`: this store's writer token is older than one already on the device, or another
 *   writer's frame or checkpoint appeared after this store's (errno `ESTALE`).
 */
export type CatalogErrorCode = 'CORRUPT' | 'UNSUPPORTED_VERSION' | 'NO_CATALOG' | 'FULL' | 'BAD_LAYOUT' | 'SPLIT_BRAIN' | 'STALE_WRITER';

/** The errno name each {@link CatalogErrorCode} maps to. */
export type CatalogErrnoName = 'EILSEQ' | 'ENOSPC' | 'ENOENT' | 'EINVAL' | 'EUCLEAN' | 'ESTALE';

const ERRNO_NAMES: Readonly<Record<CatalogErrorCode, CatalogErrnoName>> = {
  CORRUPT: 'EILSEQ',
  UNSUPPORTED_VERSION: 'EINVAL',
  NO_CATALOG: 'ENOENT',
  FULL: 'ENOSPC',
  BAD_LAYOUT: 'EINVAL',
  SPLIT_BRAIN: 'EUCLEAN',
  STALE_WRITER: 'ESTALE',
};

/**
 * The one error type the catalog throws for bad on-disk data, layouts and space. Callers branch
 * on `code`, never on message text. I/O errors from a {@link CatalogDevice} are not wrapped; they
 * propagate as thrown by the device. Argument mistakes are `TypeError`/`RangeError`.
 *
 * @example
 * ```ts
 * try { await CatalogStore.open(options); }
 * catch (err) { if (isCatalogError(err, 'NO_CATALOG')) { ... } else throw err; }
 * ```
 */
export class CatalogError extends Error {
  /** What kind of failure this is. */
  readonly code: CatalogErrorCode;
  /** The errno name for `code`: EILSEQ, ENOSPC, ENOENT, EINVAL, EUCLEAN or ESTALE. */
  readonly errnoName: CatalogErrnoName;
  /** The positive errno number for `errnoName` on this platform (e.g. 84 for EILSEQ on Linux). */
  readonly errno: number;

  /**
   * @param code - the failure kind.
   * @param message - what failed and where (offset, slot, seq).
   * @param options - `cause`: the underlying error, kept as the standard `Error.cause`.
   */
  constructor(code: CatalogErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CatalogError';
    this.code = code;
    this.errnoName = ERRNO_NAMES[code];
    this.errno = (constants.errno as Record<string, number>)[this.errnoName] ?? 0;
  }
}

/** True when `err` is a {@link CatalogError}, optionally with the given `code`. Pure. */
export function isCatalogError(err: unknown, code?: CatalogErrorCode): err is CatalogError {
  return err instanceof CatalogError && (code === undefined || err.code === code);
}
