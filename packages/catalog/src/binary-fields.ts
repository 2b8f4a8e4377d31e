import { CatalogError } from './catalog-error.js';

/**
 * Reads an unsigned little-endian 64-bit field as a JS number. Pure.
 * @throws CatalogError CORRUPT when the value is beyond 2^53 - 1 (no thinfleet writer stores one).
 */
export function readSafeU64(buf: Buffer, offset: number, what: string): number {
  const value = buf.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CatalogError('CORRUPT', `${what} is ${value}, beyond 2^53 - 1`);
  }
  return Number(value);
}

/**
 * Writes a non-negative safe integer as an unsigned little-endian 64-bit field. Mutates `buf`.
 * @throws RangeError when `value` is not a non-negative safe integer.
 */
export function writeSafeU64(buf: Buffer, value: number, offset: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} ${value} is not a non-negative safe integer`);
  buf.writeBigUInt64LE(BigInt(value), offset);
}

/** `n` as 0x-prefixed 8-digit hex, for messages. Pure. */
export function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
