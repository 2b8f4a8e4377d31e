import { CatalogError } from './catalog-error.js';
import { crc32 } from './checksum.js';

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

/**
 * Verifies a block that stores the CRC-32 of itself, taken with its 4-byte CRC field at
 * `crcOffset` zeroed (the label and the checkpoint header are framed so). Pure: reads a copy.
 * @throws CatalogError CORRUPT `<what> checksum mismatch (stored …, computed …)`.
 */
export function verifySelfCrc(block: Buffer, crcOffset: number, what: string): void {
  const stored = block.readUInt32LE(crcOffset);
  const scratch = Buffer.from(block);
  scratch.writeUInt32LE(0, crcOffset);
  const actual = crc32(scratch);
  if (stored !== actual) throw new CatalogError('CORRUPT', `${what} checksum mismatch (stored ${hex32(stored)}, computed ${hex32(actual)})`);
}

/**
 * Checks a format version read from a block whose checksum held: 1..`newest` is readable. Pure.
 * @throws CatalogError UNSUPPORTED_VERSION `<what> format version V is newer than N; upgrade thinfleet`; CORRUPT for version 0.
 */
export function checkFormatVersion(version: number, newest: number, what: string): void {
  if (version > newest) throw new CatalogError('UNSUPPORTED_VERSION', `${what} format version ${version} is newer than ${newest}; upgrade thinfleet`);
  if (version === 0) throw new CatalogError('CORRUPT', `${what} format version 0`);
}
