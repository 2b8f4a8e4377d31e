/**
 * The dm-thin superblock (`struct thin_disk_superblock`, drivers/md/dm-thin-metadata.c): the
 * first 364 bytes of its 4 KiB block, little-endian. Block 0 holds the live one;
 * `reserve_metadata_snap` writes a copy elsewhere and records that block as `held_root`.
 *
 * | offset | field |
 * | --- | --- |
 * | 0 | csum u32: dm checksum of bytes 4..4095, salt 160774 |
 * | 4 | flags u32 |
 * | 8 | blocknr u64: the block this superblock lives in |
 * | 16 | uuid[16] |
 * | 32 | magic u64 = 27022010 |
 * | 40 | version u32 (1 or 2) |
 * | 44 | time u32 (snapshot clock) |
 * | 48 | trans_id u64 |
 * | 56 | held_root u64 (0 = no metadata snapshot) |
 * | 64 | data space map root, 128 bytes; starts with nr_blocks u64, nr_allocated u64 |
 * | 192 | metadata space map root, 128 bytes; starts with nr_blocks u64 |
 * | 320 | data_mapping_root u64 |
 * | 328 | device_details_root u64 |
 * | 336 | data_block_size u32 (512-byte sectors) |
 * | 340 | metadata_block_size u32 (sectors; 8) |
 * | 344 | metadata_nr_blocks u64 |
 * | 352 | compat_flags, compat_ro_flags, incompat_flags u32 |
 *
 * A held copy has both space map roots zeroed by the kernel ("we're not publishing this").
 */
import { dmChecksum } from './crc32c.js';
import { corruptMetadata, readU64, THIN_METADATA_BLOCK_BYTES } from './metadata-block-reader.js';
import { DmError } from '../dm-error.js';

/** `THIN_SUPERBLOCK_MAGIC`. */
export const THIN_SUPERBLOCK_MAGIC = 27022010;
/** Salt of the superblock checksum (`SUPERBLOCK_CSUM_XOR`). */
export const SUPERBLOCK_CSUM_XOR = 160774;
/** Metadata versions this reader knows: 1, and 2 (the larger metadata space map). */
const KNOWN_VERSIONS = new Set([1, 2]);
/** Data block sizes dm-thin accepts: 64 KiB .. 1 GiB, in sectors. */
const MIN_DATA_BLOCK_SECTORS = 128;
const MAX_DATA_BLOCK_SECTORS = 2 * 1024 * 1024;

/** The fields of a superblock this package uses. */
export interface ThinSuperblock {
  /** The block it was read from (and that it names in `blocknr`). */
  readonly block: number;
  readonly version: number;
  readonly time: number;
  readonly transactionId: bigint;
  /** Block of the held metadata snapshot's superblock, or 0. */
  readonly heldRoot: number;
  /** nr_blocks of the data space map; 0 in a held copy (the kernel wipes it). */
  readonly dataSpaceMapBlocks: number;
  /** nr_blocks of the metadata space map; 0 in a held copy. */
  readonly metadataSpaceMapBlocks: number;
  readonly dataMappingRoot: number;
  readonly deviceDetailsRoot: number;
  readonly dataBlockSectors: number;
}

/**
 * Checks and decodes the superblock in `data`, read from metadata block `block`.
 * @throws DmError EILSEQ for a bad checksum, magic, block number or field; EINVAL for a
 *   metadata version or incompatible feature this reader does not know.
 */
export function parseThinSuperblock(data: Buffer, block: number): ThinSuperblock {
  if (data.length !== THIN_METADATA_BLOCK_BYTES) throw corruptMetadata(`superblock at ${block}: not a whole block`);
  const where = `superblock at block ${block}`;
  if (data.every((b) => b === 0)) throw corruptMetadata(`${where} is all zeroes (never formatted)`);
  const stored = data.readUInt32LE(0);
  const computed = dmChecksum(data.subarray(4), SUPERBLOCK_CSUM_XOR);
  if (stored !== computed) {
    throw corruptMetadata(`${where}: checksum ${hex(stored)}, computed ${hex(computed)}`);
  }
  const blocknr = readU64(data, 8, `${where} blocknr`);
  if (blocknr !== block) throw corruptMetadata(`${where} says it is block ${blocknr}`);
  const magic = readU64(data, 32, `${where} magic`);
  if (magic !== THIN_SUPERBLOCK_MAGIC) throw corruptMetadata(`${where}: magic ${magic}, not ${THIN_SUPERBLOCK_MAGIC}`);
  const version = data.readUInt32LE(40);
  if (!KNOWN_VERSIONS.has(version)) {
    throw new DmError('EINVAL', 'thin metadata', undefined, `${where}: unsupported metadata version ${version}`);
  }
  const incompat = data.readUInt32LE(360);
  if (incompat !== 0) {
    throw new DmError('EINVAL', 'thin metadata', undefined, `${where}: unsupported incompatible features ${hex(incompat)}`);
  }
  const metadataBlockSectors = data.readUInt32LE(340);
  if (metadataBlockSectors !== THIN_METADATA_BLOCK_BYTES / 512) {
    throw corruptMetadata(`${where}: metadata block size ${metadataBlockSectors} sectors, not 8`);
  }
  const dataBlockSectors = data.readUInt32LE(336);
  if (dataBlockSectors < MIN_DATA_BLOCK_SECTORS || dataBlockSectors > MAX_DATA_BLOCK_SECTORS || dataBlockSectors % MIN_DATA_BLOCK_SECTORS !== 0) {
    throw corruptMetadata(`${where}: data block size ${dataBlockSectors} sectors is not one dm-thin allows`);
  }
  return {
    block,
    version,
    time: data.readUInt32LE(44),
    transactionId: data.readBigUInt64LE(48),
    heldRoot: readU64(data, 56, `${where} held_root`),
    dataSpaceMapBlocks: readU64(data, 64, `${where} data nr_blocks`),
    metadataSpaceMapBlocks: readU64(data, 192, `${where} metadata nr_blocks`),
    dataMappingRoot: readU64(data, 320, `${where} data_mapping_root`),
    deviceDetailsRoot: readU64(data, 328, `${where} device_details_root`),
    dataBlockSectors,
  };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
