/**
 * The on-disk format of the mirror target's `disk` dirty region log (dm-log.c), which thinfleet
 * writes itself before loading a mirror so that the kernel resyncs only the regions it must:
 * - sector 0: the header, little-endian: magic `0x4D695272` ("MiRr") u32, version u32 (2),
 *   region count u64;
 * - from byte 1024 (two sectors in): the clean-region bitset, one bit per region in
 *   little-endian bit order (region r is bit r % 8 of byte r / 8), rounded up to whole 32-bit
 *   words; a set bit is a region in sync.
 * At each resume the kernel reads header and bitset; when the magic and the region count match
 * the table's, the set bits are taken as in sync and only the clear ones are copied from the
 * first leg to the others (a wrong magic, or a table with more regions than the header, makes
 * the missing regions out of sync). It writes the header back, and keeps the bitset up to date
 * as regions are written (cleared before a write, set again once every leg has it) and resynced.
 * The kernel reads and writes the whole buffer rounded up to the log device's logical block size.
 */

export const MIRROR_LOG_MAGIC = 0x4d695272;
export const MIRROR_LOG_VERSION = 2;
/** Where the bitset starts, in bytes (LOG_OFFSET sectors). */
export const MIRROR_LOG_BITSET_OFFSET_BYTES = 1024;
/** The rounding thinfleet uses for the log's size: the largest logical block size Linux block devices have. */
const LOG_ROUND_BYTES = 4096;

/** The bitset's size in bytes for `regionCount` regions (whole 32-bit words). */
export function mirrorLogBitsetBytes(regionCount: number): number {
  return Math.ceil(regionCount / 32) * 4;
}

/** The bytes a disk log of `regionCount` regions needs on its device (header and bitset, rounded up to 4 KiB). */
export function mirrorLogBytes(regionCount: number): number {
  return Math.ceil((MIRROR_LOG_BITSET_OFFSET_BYTES + mirrorLogBitsetBytes(regionCount)) / LOG_ROUND_BYTES) * LOG_ROUND_BYTES;
}

/**
 * The image of a disk log of `regionCount` regions where region r is in sync when
 * `inSync(r)`. Pure.
 * @throws RangeError for a region count that is not a positive whole number
 */
export function mirrorLogImage(regionCount: number, inSync: (region: number) => boolean): Buffer {
  if (!Number.isSafeInteger(regionCount) || regionCount <= 0) throw new RangeError(`region count ${regionCount} is not a positive whole number`);
  const buf = Buffer.alloc(mirrorLogBytes(regionCount));
  buf.writeUInt32LE(MIRROR_LOG_MAGIC, 0);
  buf.writeUInt32LE(MIRROR_LOG_VERSION, 4);
  buf.writeBigUInt64LE(BigInt(regionCount), 8);
  for (let r = 0; r < regionCount; r++) {
    if (inSync(r)) buf[MIRROR_LOG_BITSET_OFFSET_BYTES + (r >> 3)]! |= 1 << (r & 7);
  }
  return buf;
}

/** A disk log as read back: null when the header is not a log's (no magic, or another version). */
export interface MirrorLogContent {
  readonly regionCount: number;
  /** In-sync regions, one bit per region as in the image. */
  readonly bits: Buffer;
}

/** Reads a disk log image (at least the header and the bitset for its region count). Pure. */
export function parseMirrorLog(image: Buffer): MirrorLogContent | null {
  if (image.length < 16 || image.readUInt32LE(0) !== MIRROR_LOG_MAGIC) return null;
  const version = image.readUInt32LE(4);
  // The kernel takes version 1 as 2 on little-endian hosts.
  if (version !== 1 && version !== MIRROR_LOG_VERSION) return null;
  const regionCount = Number(image.readBigUInt64LE(8));
  const bytes = mirrorLogBitsetBytes(regionCount);
  const bits = Buffer.alloc(bytes);
  image.copy(bits, 0, MIRROR_LOG_BITSET_OFFSET_BYTES, MIRROR_LOG_BITSET_OFFSET_BYTES + bytes);
  return { regionCount, bits };
}

/** True when region `r` is set in `bits` (little-endian bit order). */
export function mirrorLogBit(bits: Buffer, r: number): boolean {
  return ((bits[r >> 3] ?? 0) & (1 << (r & 7))) !== 0;
}
