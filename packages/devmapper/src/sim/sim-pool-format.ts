/**
 * How the simulated thin-pool keeps its metadata on its metadata device. Not the kernel's
 * format (thin_check cannot read it); it only has to give the same guarantees: a commit is
 * atomic, a torn write is detected, and the newest committed state wins.
 *
 * Layout of the metadata device:
 * - bytes 0..511 and 4096..4607: two superblocks `{magic "TFSIMTP1", seq u64, payloadOffset u64,
 *   payloadBytes u32, payloadCrc u32, ..., superblockCrc u32 at byte 508}`, little-endian;
 * - from 8 KiB: two equal payload areas (A and B). Commit N writes its payload to area N % 2,
 *   then superblock N % 2. Start-up takes the valid superblock with the highest seq.
 */
import { crc32 } from 'node:zlib';
import { DmError } from '../dm-error.js';

const MAGIC = Buffer.from('TFSIMTP1', 'ascii');
const SUPERBLOCK_BYTES = 512;
// Both copies sit in the first 4 KiB, so zeroing that block makes the device unformatted, as the
// kernel decides from its one superblock block.
const SUPERBLOCK_OFFSETS = [0, 512] as const;
const PAYLOAD_START = 8192;

/** The device I/O the format needs: byte-addressed, 512-aligned. */
export interface MetadataDeviceIo {
  readonly sizeBytes: number;
  read(offsetBytes: number, lengthBytes: number): Promise<Buffer>;
  write(offsetBytes: number, data: Buffer): Promise<void>;
}

/** One committed metadata state as the format stores it. */
export interface StoredPoolMetadata {
  readonly seq: number;
  readonly payload: Buffer;
}

function payloadArea(sizeBytes: number, slot: number): { offset: number; bytes: number } {
  const half = Math.floor((sizeBytes - PAYLOAD_START) / 2 / 4096) * 4096;
  return { offset: PAYLOAD_START + slot * half, bytes: half };
}

/** The largest payload a metadata device of this size can hold. */
export function payloadCapacityBytes(sizeBytes: number): number {
  return Math.max(0, payloadArea(sizeBytes, 0).bytes);
}

function roundUp512(n: number): number {
  return Math.ceil(n / 512) * 512;
}

/**
 * Reads the newest valid committed state.
 * @returns null when the device was never formatted (both superblocks all zero).
 * @throws DmError EILSEQ when there are superblocks but none is valid (corrupt metadata).
 */
export async function readPoolMetadata(io: MetadataDeviceIo): Promise<StoredPoolMetadata | null> {
  let best: StoredPoolMetadata | null = null;
  let sawData = false;
  for (const offset of SUPERBLOCK_OFFSETS) {
    if (offset + SUPERBLOCK_BYTES > io.sizeBytes) continue;
    const sb = await io.read(offset, SUPERBLOCK_BYTES);
    if (sb.some((b) => b !== 0)) sawData = true;
    if (!sb.subarray(0, 8).equals(MAGIC)) continue;
    if (sb.readUInt32LE(508) !== crc32(sb.subarray(0, 508))) continue;
    const seq = Number(sb.readBigUInt64LE(8));
    const payloadOffset = Number(sb.readBigUInt64LE(16));
    const payloadBytes = sb.readUInt32LE(24);
    const payloadCrc = sb.readUInt32LE(28);
    if (payloadOffset + payloadBytes > io.sizeBytes) continue;
    const raw = await io.read(payloadOffset, roundUp512(payloadBytes));
    const payload = raw.subarray(0, payloadBytes);
    if (crc32(payload) !== payloadCrc) continue;
    if (best === null || seq > best.seq) best = { seq, payload: Buffer.from(payload) };
  }
  if (best === null && sawData) {
    throw new DmError('EILSEQ', 'thin-pool metadata', undefined, 'no valid superblock on the metadata device');
  }
  return best;
}

/**
 * Commits `payload` as state `seq` (previous seq + 1): payload area first, then superblock.
 * A crash between the two leaves the previous state in force.
 * @throws DmError ENOSPC when the payload does not fit the metadata device.
 */
export async function writePoolMetadata(io: MetadataDeviceIo, seq: number, payload: Buffer): Promise<void> {
  const slot = seq % 2;
  const area = payloadArea(io.sizeBytes, slot);
  if (roundUp512(payload.length) > area.bytes) {
    throw new DmError('ENOSPC', 'thin-pool metadata', undefined, 'metadata device is full');
  }
  const padded = Buffer.alloc(roundUp512(payload.length));
  payload.copy(padded);
  await io.write(area.offset, padded);
  const sb = Buffer.alloc(SUPERBLOCK_BYTES);
  MAGIC.copy(sb, 0);
  sb.writeBigUInt64LE(BigInt(seq), 8);
  sb.writeBigUInt64LE(BigInt(area.offset), 16);
  sb.writeUInt32LE(payload.length, 24);
  sb.writeUInt32LE(crc32(payload), 28);
  sb.writeUInt32LE(crc32(sb.subarray(0, 508)), 508);
  await io.write(SUPERBLOCK_OFFSETS[slot]!, sb);
}
