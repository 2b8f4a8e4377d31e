import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 (the IEEE/zlib polynomial, as in gzip and PNG) of `data`, continuing from `previous`
 * when given so a checksum can span several buffers: `crc32(b, crc32(a))` equals the CRC of
 * `a` followed by `b`. Pure; needs Node >= 20.15 (`zlib.crc32`).
 */
export function crc32(data: Uint8Array, previous = 0): number {
  return zlibCrc32(data, previous);
}
