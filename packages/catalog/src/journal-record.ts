import { checkFormatVersion, hex32, readSafeU64, writeSafeU64 } from './binary-fields.js';
import { roundUpToSector } from './catalog-device.js';
import { CatalogError } from './catalog-error.js';
import { checkCatalogWriter, MAX_WRITER_CLUSTER_ID_BYTES, MAX_WRITER_NODE_ID_BYTES, STANDALONE_WRITER, writerClusterId, type CatalogWriter } from './catalog-writer.js';
import { crc32 } from './checksum.js';

// Deliberately parallel to checkpoint-slot.ts (magic, version, 64-byte header, the same offsets
// 8..32): two on-disk formats, each versioned on its own; see the note there.

/**
 * The 8 bytes a journal frame starts with: ASCII `TFJOURN` and a NUL. JSON text never contains
 * a raw NUL, so no payload sector can pass for a frame start.
 */
export const JOURNAL_RECORD_MAGIC: Readonly<Buffer> = Buffer.from('TFJOURN\0', 'latin1');

/**
 * The journal frame format this code writes and the newest it reads. Version 2 added the
 * writer (token, node id and cluster id); version 1 frames read as written by {@link STANDALONE_WRITER}.
 */
export const JOURNAL_RECORD_FORMAT_VERSION = 2;

/** Size of the fixed frame header; the JSON payload follows it. */
export const JOURNAL_RECORD_HEADER_BYTES = 64;

/** Largest payload the u32 length field can describe. */
const MAX_PAYLOAD_BYTES = 0xffff_ffff;

// Byte offsets in the header (little-endian). 0..40 keep their place and meaning in every version.
const OFF_VERSION = 8;
const OFF_CRC = 12;
const OFF_GENERATION = 16;
const OFF_SEQ = 24;
const OFF_PAYLOAD_LENGTH = 32;
// Version 2: the writer. Its node id and then its cluster id lead the payload area, before the JSON.
const OFF_WRITER_NODE_LENGTH = 48;
const OFF_WRITER_TOKEN = 40;
const OFF_WRITER_CLUSTER_LENGTH = 52;

/** The header fields of a journal frame, as read without verifying the checksum. */
export interface JournalFrameHeader {
  readonly formatVersion: number;
  /** The stored CRC-32 (over the header with this field zeroed, then the payload). */
  readonly crc32: number;
  /** The checkpoint generation the record belongs to (>= 1). */
  readonly generation: number;
  /** The record's sequence number (>= 1), one more than the record before it. */
  readonly seq: number;
  /** Length of the payload area the CRC covers after the header: the writer's node id, its cluster id, then the UTF-8 JSON. */
  readonly payloadBytes: number;
  /** Whole frame length: header + payload rounded up to a multiple of 512. */
  readonly frameBytes: number;
  /** The writer's grant token (0 in version 1). */
  readonly writerToken: bigint;
  /** Length of the writer's node id at the start of the payload area (0 in version 1). */
  readonly writerNodeBytes: number;
  /** Length of the writer's cluster id, after the node id (0 in version 1). */
  readonly writerClusterBytes: number;
}

/** One decoded, checksum-verified journal record. */
export interface JournalRecord<R = unknown> {
  readonly generation: number;
  readonly seq: number;
  /** The record as `JSON.parse` returns it. */
  readonly record: R;
  /** Bytes the frame occupies in the journal (a multiple of 512). */
  readonly frameBytes: number;
  /** Who wrote it ({@link STANDALONE_WRITER} for a version 1 frame). */
  readonly writer: CatalogWriter;
}

/** Bytes a frame with a payload of `payloadBytes` occupies: a multiple of 512. Pure. */
export function journalFrameBytes(payloadBytes: number): number {
  return roundUpToSector(JOURNAL_RECORD_HEADER_BYTES + payloadBytes);
}

/**
 * Encodes one journal record as a frame in the current format: the 64-byte header (with the
 * writer's token), the writer's node id and cluster id, `JSON.stringify(record)` as UTF-8, zero padding to a
 * multiple of 512. Pure (the frame is a new buffer).
 * @throws RangeError when `generation` or `seq` is not a positive safe integer, or the writer is
 *   malformed (see checkCatalogWriter); TypeError when `record` has no JSON form (`undefined`, a
 *   function) or cannot be serialised (cycles, BigInt).
 */
export function encodeJournalRecord(entry: { readonly generation: number; readonly seq: number; readonly record: unknown; readonly writer?: CatalogWriter }): Buffer {
  if (!Number.isSafeInteger(entry.generation) || entry.generation < 1) throw new RangeError(`generation ${entry.generation} is not a positive integer`);
  if (!Number.isSafeInteger(entry.seq) || entry.seq < 1) throw new RangeError(`record seq ${entry.seq} is not a positive integer`);
  const writer = entry.writer ?? STANDALONE_WRITER;
  checkCatalogWriter(writer);
  const json: unknown = JSON.stringify(entry.record);
  if (typeof json !== 'string') throw new TypeError('a journal record must have a JSON form (got undefined/function)');
  const clusterId = writerClusterId(writer);
  const nodeBytes = Buffer.byteLength(writer.nodeId, 'utf8');
  const clusterBytes = Buffer.byteLength(clusterId, 'utf8');
  const payloadBytes = nodeBytes + clusterBytes + Buffer.byteLength(json, 'utf8');
  if (payloadBytes > MAX_PAYLOAD_BYTES) throw new RangeError(`journal record payload of ${payloadBytes} bytes exceeds 4 GiB`);
  const frame = Buffer.alloc(journalFrameBytes(payloadBytes));
  JOURNAL_RECORD_MAGIC.copy(frame, 0);
  frame.writeUInt32LE(JOURNAL_RECORD_FORMAT_VERSION, OFF_VERSION);
  writeSafeU64(frame, entry.generation, OFF_GENERATION, 'generation');
  writeSafeU64(frame, entry.seq, OFF_SEQ, 'seq');
  frame.writeUInt32LE(payloadBytes, OFF_PAYLOAD_LENGTH);
  frame.writeUInt32LE(nodeBytes, OFF_WRITER_NODE_LENGTH);
  frame.writeUInt32LE(clusterBytes, OFF_WRITER_CLUSTER_LENGTH);
  frame.writeBigUInt64LE(writer.token, OFF_WRITER_TOKEN);
  frame.write(writer.nodeId, JOURNAL_RECORD_HEADER_BYTES, 'utf8');
  frame.write(clusterId, JOURNAL_RECORD_HEADER_BYTES + nodeBytes, 'utf8');
  frame.write(json, JOURNAL_RECORD_HEADER_BYTES + nodeBytes + clusterBytes, 'utf8');
  frame.writeUInt32LE(frameChecksum(frame, payloadBytes), OFF_CRC);
  return frame;
}

/**
 * Reads the header of the frame starting at `bytes[0]` WITHOUT checking the checksum (it covers
 * the payload, which the caller may not have read yet). Pure.
 * @returns null when `bytes` does not start with {@link JOURNAL_RECORD_MAGIC}.
 * The writer fields are read only in version 2; a version 1 frame (or one of a version this code
 * does not know, refused later by {@link verifyJournalFrame}) reads as token 0, no node or cluster id.
 * @throws RangeError when `bytes` is shorter than the header; CatalogError CORRUPT when a
 *   field is impossible (generation or seq 0 or beyond 2^53, a node id longer than
 *   {@link MAX_WRITER_NODE_ID_BYTES}, a cluster id longer than {@link MAX_WRITER_CLUSTER_ID_BYTES},
 *   or the two longer than the payload area).
 */
export function decodeJournalFrameHeader(bytes: Buffer): JournalFrameHeader | null {
  if (bytes.length < JOURNAL_RECORD_HEADER_BYTES) {
    throw new RangeError(`a journal frame header is ${JOURNAL_RECORD_HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  if (!bytes.subarray(0, JOURNAL_RECORD_MAGIC.length).equals(JOURNAL_RECORD_MAGIC)) return null;
  const generation = readSafeU64(bytes, OFF_GENERATION, 'journal frame generation');
  const seq = readSafeU64(bytes, OFF_SEQ, 'journal frame seq');
  if (generation === 0 || seq === 0) throw new CatalogError('CORRUPT', `journal frame with generation ${generation} seq ${seq}`);
  const payloadBytes = bytes.readUInt32LE(OFF_PAYLOAD_LENGTH);
  const formatVersion = bytes.readUInt32LE(OFF_VERSION);
  let writerToken = 0n;
  let writerNodeBytes = 0;
  let writerClusterBytes = 0;
  if (formatVersion === 2) {
    writerNodeBytes = bytes.readUInt32LE(OFF_WRITER_NODE_LENGTH);
    writerClusterBytes = bytes.readUInt32LE(OFF_WRITER_CLUSTER_LENGTH);
    if (writerNodeBytes > MAX_WRITER_NODE_ID_BYTES || writerClusterBytes > MAX_WRITER_CLUSTER_ID_BYTES || writerNodeBytes + writerClusterBytes > payloadBytes) {
      throw new CatalogError('CORRUPT', `journal frame generation ${generation} seq ${seq} claims a ${writerNodeBytes}-byte writer node id and a ${writerClusterBytes}-byte cluster id`);
    }
    writerToken = bytes.readBigUInt64LE(OFF_WRITER_TOKEN);
  }
  return {
    formatVersion,
    crc32: bytes.readUInt32LE(OFF_CRC),
    generation,
    seq,
    payloadBytes,
    frameBytes: journalFrameBytes(payloadBytes),
    writerToken,
    writerNodeBytes,
    writerClusterBytes,
  };
}

/**
 * Verifies the frame starting at `frame[0]`: magic, checksum over header and payload, then
 * version. Does not parse the payload. Pure.
 * @returns the header, or null when there is no magic.
 * @throws CatalogError CORRUPT when `frame` is shorter than the frame claims or the checksum
 *   fails; UNSUPPORTED_VERSION when the checksum holds but the version is newer than
 *   {@link JOURNAL_RECORD_FORMAT_VERSION}.
 */
export function verifyJournalFrame(frame: Buffer): JournalFrameHeader | null {
  const header = decodeJournalFrameHeader(frame);
  if (header === null) return null;
  if (frame.length < JOURNAL_RECORD_HEADER_BYTES + header.payloadBytes) {
    throw new CatalogError('CORRUPT', `journal frame seq ${header.seq} claims ${header.payloadBytes} payload bytes; only ${frame.length - JOURNAL_RECORD_HEADER_BYTES} available`);
  }
  const actual = frameChecksum(frame, header.payloadBytes);
  if (actual !== header.crc32) {
    throw new CatalogError('CORRUPT', `journal frame generation ${header.generation} seq ${header.seq} checksum mismatch (stored ${hex32(header.crc32)}, computed ${hex32(actual)})`);
  }
  checkFormatVersion(header.formatVersion, JOURNAL_RECORD_FORMAT_VERSION, 'journal frame');
  return header;
}

/**
 * Decodes and verifies the frame starting at `frame[0]` (see {@link verifyJournalFrame}), then
 * parses its JSON payload. Pure.
 * @returns null when there is no magic.
 * @throws as {@link verifyJournalFrame}; CatalogError CORRUPT when the payload is not JSON.
 */
export function decodeJournalRecord<R = unknown>(frame: Buffer): JournalRecord<R> | null {
  const header = verifyJournalFrame(frame);
  if (header === null) return null;
  return { generation: header.generation, seq: header.seq, record: parseJournalPayload<R>(header, frame), frameBytes: header.frameBytes, writer: journalFrameWriter(header, frame) };
}

/** The writer of a frame already checked by {@link verifyJournalFrame}. Pure. */
export function journalFrameWriter(header: JournalFrameHeader, frame: Buffer): CatalogWriter {
  if (header.writerNodeBytes === 0 && header.writerClusterBytes === 0 && header.writerToken === 0n) return STANDALONE_WRITER;
  const clusterAt = JOURNAL_RECORD_HEADER_BYTES + header.writerNodeBytes;
  const nodeId = frame.toString('utf8', JOURNAL_RECORD_HEADER_BYTES, clusterAt);
  // An empty cluster id is left out, as a writer that has none is written.
  return header.writerClusterBytes === 0
    ? { token: header.writerToken, nodeId }
    : { token: header.writerToken, nodeId, clusterId: frame.toString('utf8', clusterAt, clusterAt + header.writerClusterBytes) };
}

/**
 * Parses the JSON payload of a frame already checked by {@link verifyJournalFrame}. Pure.
 * @throws CatalogError CORRUPT when the payload is not JSON (a frame with a valid checksum
 *   and a non-JSON payload was written by something other than this code).
 */
export function parseJournalPayload<R = unknown>(header: JournalFrameHeader, frame: Buffer): R {
  try {
    return JSON.parse(frame.toString('utf8', JOURNAL_RECORD_HEADER_BYTES + header.writerNodeBytes + header.writerClusterBytes, JOURNAL_RECORD_HEADER_BYTES + header.payloadBytes)) as R;
  } catch (cause) {
    throw new CatalogError('CORRUPT', `journal frame generation ${header.generation} seq ${header.seq} payload is not JSON`, { cause });
  }
}

/** CRC-32 over the header with its CRC field zeroed, then the payload. */
function frameChecksum(frame: Buffer, payloadBytes: number): number {
  const header = Buffer.from(frame.subarray(0, JOURNAL_RECORD_HEADER_BYTES));
  header.writeUInt32LE(0, OFF_CRC);
  return crc32(frame.subarray(JOURNAL_RECORD_HEADER_BYTES, JOURNAL_RECORD_HEADER_BYTES + payloadBytes), crc32(header));
}
