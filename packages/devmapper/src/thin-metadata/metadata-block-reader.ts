/**
 * Block-level access to a thin pool's metadata device: 4 KiB blocks, each read once per call,
 * with the range guard every pointer followed in the metadata goes through.
 */
import { DmError } from '../dm-error.js';

/** The kernel's thin-pool metadata block size (persistent-data blocks are always 4 KiB). */
export const THIN_METADATA_BLOCK_BYTES = 4096;

/** Byte-addressed reads of the metadata device (offsets and lengths are multiples of 4096). */
export interface MetadataReadIo {
  read(offsetBytes: number, lengthBytes: number): Promise<Buffer>;
}

/** The error every reader of the kernel's format throws for metadata it cannot trust. */
export function corruptMetadata(detail: string): DmError {
  return new DmError('EILSEQ', 'thin metadata', undefined, detail);
}

/** Reads whole metadata blocks, refusing block numbers outside `1 .. limitBlocks - 1`. */
export class MetadataBlockReader {
  constructor(
    private readonly io: MetadataReadIo,
    /** Blocks on the metadata device (the metadata space map's nr_blocks). */
    readonly limitBlocks: number,
  ) {}

  /**
   * Reads metadata block `block` (never block 0, the live superblock, which no structure may
   * point at).
   * @throws DmError EILSEQ when `block` is out of range or the device returns a short block.
   */
  async read(block: number, what: string): Promise<Buffer> {
    if (!Number.isSafeInteger(block) || block <= 0 || block >= this.limitBlocks) {
      throw corruptMetadata(`${what} points at block ${block}, outside 1..${this.limitBlocks - 1}`);
    }
    return readMetadataBlock(this.io, block, what);
  }
}

/** Reads one 4 KiB metadata block with no range check (for superblocks). */
export async function readMetadataBlock(io: MetadataReadIo, block: number, what: string): Promise<Buffer> {
  const data = await io.read(block * THIN_METADATA_BLOCK_BYTES, THIN_METADATA_BLOCK_BYTES);
  if (data.length !== THIN_METADATA_BLOCK_BYTES) {
    throw corruptMetadata(`${what} at block ${block}: short read of ${data.length} bytes`);
  }
  return data;
}

/**
 * Reads a little-endian u64 as a JavaScript number.
 * @throws DmError EILSEQ when the value is 2^53 or more (no thin metadata value gets there).
 */
export function readU64(buf: Buffer, offset: number, what: string): number {
  const lo = buf.readUInt32LE(offset);
  const hi = buf.readUInt32LE(offset + 4);
  if (hi >= 0x200000) throw corruptMetadata(`${what} is 2^53 or more`);
  return hi * 0x1_0000_0000 + lo;
}
