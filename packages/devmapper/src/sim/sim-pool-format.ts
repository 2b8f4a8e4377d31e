/**
 * How the simulated thin-pool keeps its metadata on its metadata device. Not the kernel's
 * format (thin_check cannot read it); it only has to give the same guarantees: a commit is
 * atomic, a torn write is detected, and the newest committed state wins.
 *
 * Layout of the metadata device:
 * - bytes 0..511 and 512..1023: two superblocks `{magic "TFSIMTP1", seq u64, payloadOffset u64,
 *   payloadBytes u32, payloadCrc u32, logBytes u32, ..., superblockCrc u32 at byte 508}`,
 *   little-endian; superblock N lives in slot N % 2;
 * - from 8 KiB: two equal areas (A and B). An area holds a base (the whole state, `payload`)
 *   and after it, from the next 512-byte boundary, a log of records (`logBytes` of them, each
 *   `{bytes u32, crc u32, record}` padded to 512 bytes): the changes of one commit each.
 *
 * A commit appends its record after the log and then writes superblock seq+1 with the longer
 * log (`appendPoolLog`); so a commit costs its own change, not the size of the state. When the
 * log grows past the base's size (or the area is full) the next commit writes the whole state
 * as a new base into the other area, then its superblock (`writePoolBase`): the log's cost is
 * paid back in one write per base's worth of records. A crash before a superblock write leaves
 * the previous superblock in force (its log ends before the new record; the other area's base
 * is not yet named); a torn superblock fails its checksum and the other slot wins; a record
 * inside `logBytes` that fails its checksum makes that superblock invalid. Start-up takes the
 * valid superblock with the highest seq. Superblocks written before logs existed read as
 * `logBytes` 0 (those bytes were zero).
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

/** One committed metadata state as the format stores it: a base and the records after it. */
export interface StoredPoolMetadata {
  readonly seq: number;
  readonly payload: Buffer;
  /** The log's records, oldest first: each commit's change after the base. */
  readonly log: readonly Buffer[];
  /** Where the committed state lies, for the next append. */
  readonly place: PoolMetadataPlace;
}

/** Where the committed state lies on the device: its area, base and log. */
export interface PoolMetadataPlace {
  readonly seq: number;
  readonly payloadOffset: number;
  readonly payloadBytes: number;
  readonly payloadCrc: number;
  readonly logBytes: number;
}

/** Bytes each log record takes on the device: its 8-byte header and record, padded to 512. */
function recordSpan(recordBytes: number): number {
  return roundUp512(8 + recordBytes);
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
    const logBytes = sb.readUInt32LE(32);
    const logOffset = payloadOffset + roundUp512(payloadBytes);
    if (logOffset + logBytes > io.sizeBytes || logBytes % 512 !== 0) continue;
    if (best !== null && seq <= best.seq) continue;
    const raw = await io.read(payloadOffset, roundUp512(payloadBytes) + logBytes);
    const payload = raw.subarray(0, payloadBytes);
    if (crc32(payload) !== payloadCrc) continue;
    const log = readLog(raw.subarray(roundUp512(payloadBytes)));
    if (log === null) continue;
    best = { seq, payload: Buffer.from(payload), log, place: { seq, payloadOffset, payloadBytes, payloadCrc, logBytes } };
  }
  if (best === null && sawData) {
    throw new DmError('EILSEQ', 'thin-pool metadata', undefined, 'no valid superblock on the metadata device');
  }
  return best;
}

/** The records of a log region (`logBytes` long), or null when one fails its checksum. */
function readLog(region: Buffer): Buffer[] | null {
  const records: Buffer[] = [];
  for (let at = 0; at < region.length;) {
    const bytes = region.readUInt32LE(at);
    if (at + 8 + bytes > region.length) return null;
    const record = region.subarray(at + 8, at + 8 + bytes);
    if (crc32(record) !== region.readUInt32LE(at + 4)) return null;
    records.push(Buffer.from(record));
    at += recordSpan(bytes);
  }
  return records;
}

/** Writes superblock `place.seq` into its slot. */
async function writeSuperblock(io: MetadataDeviceIo, place: PoolMetadataPlace): Promise<void> {
  const sb = Buffer.alloc(SUPERBLOCK_BYTES);
  MAGIC.copy(sb, 0);
  sb.writeBigUInt64LE(BigInt(place.seq), 8);
  sb.writeBigUInt64LE(BigInt(place.payloadOffset), 16);
  sb.writeUInt32LE(place.payloadBytes, 24);
  sb.writeUInt32LE(place.payloadCrc, 28);
  sb.writeUInt32LE(place.logBytes, 32);
  sb.writeUInt32LE(crc32(sb.subarray(0, 508)), 508);
  await io.write(SUPERBLOCK_OFFSETS[place.seq % 2]!, sb);
}

/**
 * Commits `payload` as state `seq` (previous seq + 1) with an empty log, in area `seq % 2`:
 * payload first, then superblock. A crash between the two leaves the previous state in force.
 * (`writePoolBase` picks the area that is not in use; this form is for formatting and tests.)
 * @throws DmError ENOSPC when the payload does not fit the metadata device.
 */
export async function writePoolMetadata(io: MetadataDeviceIo, seq: number, payload: Buffer): Promise<PoolMetadataPlace> {
  return writeBaseInto(io, seq, payload, seq % 2);
}

/**
 * Commits `payload` (the whole state) as the state after `current`, with an empty log, into the
 * area `current` does not use; null `current`: a fresh device, area 0, seq 1.
 * @throws DmError ENOSPC when the payload does not fit an area.
 */
export async function writePoolBase(io: MetadataDeviceIo, current: PoolMetadataPlace | null, payload: Buffer): Promise<PoolMetadataPlace> {
  if (current === null) return writeBaseInto(io, 1, payload, 0);
  const inUse = current.payloadOffset === payloadArea(io.sizeBytes, 0).offset ? 0 : 1;
  return writeBaseInto(io, current.seq + 1, payload, 1 - inUse);
}

async function writeBaseInto(io: MetadataDeviceIo, seq: number, payload: Buffer, slot: number): Promise<PoolMetadataPlace> {
  const area = payloadArea(io.sizeBytes, slot);
  if (roundUp512(payload.length) > area.bytes) {
    throw new DmError('ENOSPC', 'thin-pool metadata', undefined, 'metadata device is full');
  }
  const padded = Buffer.alloc(roundUp512(payload.length));
  payload.copy(padded);
  await io.write(area.offset, padded);
  const place = { seq, payloadOffset: area.offset, payloadBytes: payload.length, payloadCrc: crc32(payload), logBytes: 0 };
  await writeSuperblock(io, place);
  return place;
}

/**
 * Commits `record` as the state after `current` by appending it to `current`'s log, then
 * writing the next superblock. Returns the new place, or null (nothing written) when the log
 * is as long as the base (or 64 KiB, if longer) or the area has no room: then write a base.
 */
export async function appendPoolLog(io: MetadataDeviceIo, current: PoolMetadataPlace, record: Buffer): Promise<PoolMetadataPlace | null> {
  const span = recordSpan(record.length);
  const areaEnd = current.payloadOffset + payloadArea(io.sizeBytes, 0).bytes;
  const at = current.payloadOffset + roundUp512(current.payloadBytes) + current.logBytes;
  if (current.logBytes + span > Math.max(roundUp512(current.payloadBytes), 64 * 1024) || at + span > areaEnd) return null;
  const block = Buffer.alloc(span);
  block.writeUInt32LE(record.length, 0);
  block.writeUInt32LE(crc32(record), 4);
  record.copy(block, 8);
  await io.write(at, block);
  const place = { ...current, seq: current.seq + 1, logBytes: current.logBytes + span };
  await writeSuperblock(io, place);
  return place;
}

/** Bytes the committed state takes on the device (its base and its log). */
export function storedBytes(place: PoolMetadataPlace): number {
  return roundUp512(place.payloadBytes) + place.logBytes;
}
