/** Sizes in device-mapper are counted in 512-byte sectors. */
export const SECTOR_BYTES = 512;

/** Converts bytes to sectors; throws RangeError unless `bytes` is a whole number of sectors. */
export function bytesToSectors(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes % SECTOR_BYTES !== 0) {
    throw new RangeError(`${bytes} bytes is not a whole number of ${SECTOR_BYTES}-byte sectors`);
  }
  return bytes / SECTOR_BYTES;
}

/** Converts sectors to bytes; throws RangeError for a negative or non-integer count. */
export function sectorsToBytes(sectors: number): number {
  if (!Number.isSafeInteger(sectors) || sectors < 0) {
    throw new RangeError(`${sectors} is not a sector count`);
  }
  const bytes = sectors * SECTOR_BYTES;
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`${sectors} sectors overflows a byte count`);
  return bytes;
}
