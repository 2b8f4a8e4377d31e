/** The unit of every catalog read and write: offsets and lengths are multiples of this. */
export const SECTOR_BYTES = 512;

/**
 * The block storage the catalog lives on: a pool device, a file, or memory in tests. The
 * catalog assumes only that a write of one 512-byte sector is atomic (it lands whole or not at
 * all); a multi-sector write interrupted by a crash may land any subset of its sectors.
 */
export interface CatalogDevice {
  /**
   * Reads `lengthBytes` at `offsetBytes`; both multiples of 512. Rejects with the device's
   * error (or a `RangeError` for misaligned or out-of-range arguments). Idempotent.
   */
  read(offsetBytes: number, lengthBytes: number): Promise<Buffer>;
  /**
   * Writes durably (returns once on stable storage); offset and length multiples of 512.
   * Idempotent for the same bytes. A crash before it returns may leave any subset of the
   * written sectors on storage.
   */
  write(offsetBytes: number, data: Uint8Array): Promise<void>;
  /**
   * Optional: releases what the device holds open (a descriptor kept across writes). Idempotent;
   * a later read or write opens it again. Called by {@link CatalogStore.close} when no read or
   * write of the store is in flight.
   */
  close?(): Promise<void>;
}

/**
 * Checks the CatalogDevice argument rules. Pure.
 * @throws RangeError when an offset or length is negative, not an integer, or not a multiple
 *   of {@link SECTOR_BYTES}.
 */
export function assertSectorAligned(offsetBytes: number, lengthBytes: number): void {
  for (const [what, value] of [
    ['offset', offsetBytes],
    ['length', lengthBytes],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value % SECTOR_BYTES !== 0) {
      throw new RangeError(`catalog device ${what} ${value} is not a non-negative multiple of ${SECTOR_BYTES}`);
    }
  }
}

/** Rounds `bytes` up to the next multiple of {@link SECTOR_BYTES}. Pure. */
export function roundUpToSector(bytes: number): number {
  return Math.ceil(bytes / SECTOR_BYTES) * SECTOR_BYTES;
}
