import { checkFormatVersion, hex32, readSafeU64, verifySelfCrc, writeSafeU64 } from './binary-fields.js';
import { roundUpToSector } from './catalog-device.js';
import { CatalogError } from './catalog-error.js';
import { MAX_WRITER_CLUSTER_ID_BYTES } from './catalog-writer.js';
import { crc32 } from './checksum.js';

// Deliberately parallel to journal-record.ts (magic, version, 64-byte header, the same offsets
// 8..32): two on-disk formats pinned by tests and read by the kernel tier, each versioned on its
// own, so each keeps its constants and header type here rather than share one that could drift both.

/** The 8 bytes a checkpoint starts with: ASCII `TFCHKPT` and a NUL. */
export const CHECKPOINT_MAGIC: Readonly<Buffer> = Buffer.from('TFCHKPT\0', 'latin1');

/**
 * The checkpoint format this code writes and the newest it reads. Version 2 added the newest
 * writer token and its cluster id; a version 1 checkpoint reads as token 0, no cluster id.
 */
export const CHECKPOINT_FORMAT_VERSION = 2;

/** Size of the fixed checkpoint header; the JSON state follows it. */
export const CHECKPOINT_HEADER_BYTES = 64;

const MAX_PAYLOAD_BYTES = 0xffff_ffff;

// Byte offsets in the header (little-endian). 0..40 keep their place and meaning in every
// version, and the header CRC always covers exactly bytes 0..64.
const OFF_VERSION = 8;
const OFF_HEADER_CRC = 12;
const OFF_GENERATION = 16;
const OFF_SEQ = 24;
const OFF_PAYLOAD_LENGTH = 32;
const OFF_PAYLOAD_CRC = 36;
// Version 2: the newest writer token folded into the state, and the length of its cluster id,
// which leads the payload area before the JSON.
const OFF_NEWEST_TOKEN = 40;
const OFF_NEWEST_CLUSTER_LENGTH = 48;

/** The header of a checkpoint, verified by its own CRC. */
export interface CheckpointHeader {
  readonly formatVersion: number;
  /** The checkpoint's generation (>= 1); the newer of two slots has the higher one. */
  readonly generation: number;
  /** Seq of the last journal record folded into the state (0 for a fresh catalog). */
  readonly seq: number;
  /** Length of the payload area: the newest token's cluster id, then the UTF-8 JSON state. */
  readonly payloadBytes: number;
  /** CRC-32 of the payload area. */
  readonly payloadCrc32: number;
  /** Header + payload rounded up to a multiple of 512: the bytes written to the slot. */
  readonly frameBytes: number;
  /** The newest writer token among the records folded into the state and the checkpoint's own writer (0 in version 1). */
  readonly newestToken: bigint;
  /** Length of the cluster id of {@link newestToken} at the start of the payload area (0 in version 1). */
  readonly newestClusterBytes: number;
}

/** A decoded, verified checkpoint. */
export interface Checkpoint<S = unknown> {
  readonly generation: number;
  readonly seq: number;
  /** The state as `JSON.parse` returns it. */
  readonly state: S;
  /** The cluster id of the header's newest token ('' when none). */
  readonly newestClusterId: string;
}

/** Bytes a checkpoint with a payload of `payloadBytes` occupies: a multiple of 512. Pure. */
export function checkpointFrameBytes(payloadBytes: number): number {
  return roundUpToSector(CHECKPOINT_HEADER_BYTES + payloadBytes);
}

/**
 * Encodes a checkpoint: the 64-byte header, the newest token's cluster id, `JSON.stringify(state)`
 * as UTF-8, zero padding to a multiple of 512. Pure (returns a new buffer, whose length the caller compares with the slot).
 * @throws RangeError when `generation` is not a positive safe integer or `seq` not a
 *   non-negative one, `newestToken` is beyond 2^64-1, or `newestClusterId` is longer than
 *   {@link MAX_WRITER_CLUSTER_ID_BYTES}; TypeError when `state` has no JSON form or cannot be serialised.
 */
export function encodeCheckpoint(checkpoint: {
  readonly generation: number;
  readonly seq: number;
  readonly state: unknown;
  readonly newestToken?: bigint;
  readonly newestClusterId?: string;
}): Buffer {
  if (!Number.isSafeInteger(checkpoint.generation) || checkpoint.generation < 1) {
    throw new RangeError(`checkpoint generation ${checkpoint.generation} is not a positive integer`);
  }
  const json: unknown = JSON.stringify(checkpoint.state);
  if (typeof json !== 'string') throw new TypeError('catalog state must have a JSON form (got undefined/function)');
  const clusterId = checkpoint.newestClusterId ?? '';
  const clusterBytes = Buffer.byteLength(clusterId, 'utf8');
  if (clusterBytes > MAX_WRITER_CLUSTER_ID_BYTES) throw new RangeError(`checkpoint cluster id is ${clusterBytes} bytes; at most ${MAX_WRITER_CLUSTER_ID_BYTES}`);
  const payloadBytes = clusterBytes + Buffer.byteLength(json, 'utf8');
  if (payloadBytes > MAX_PAYLOAD_BYTES) throw new RangeError(`checkpoint payload of ${payloadBytes} bytes exceeds 4 GiB`);
  const frame = Buffer.alloc(checkpointFrameBytes(payloadBytes));
  CHECKPOINT_MAGIC.copy(frame, 0);
  frame.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, OFF_VERSION);
  writeSafeU64(frame, checkpoint.generation, OFF_GENERATION, 'checkpoint generation');
  writeSafeU64(frame, checkpoint.seq, OFF_SEQ, 'checkpoint seq');
  frame.writeUInt32LE(payloadBytes, OFF_PAYLOAD_LENGTH);
  frame.writeBigUInt64LE(checkpoint.newestToken ?? 0n, OFF_NEWEST_TOKEN);
  frame.writeUInt32LE(clusterBytes, OFF_NEWEST_CLUSTER_LENGTH);
  frame.write(clusterId, CHECKPOINT_HEADER_BYTES, 'utf8');
  frame.write(json, CHECKPOINT_HEADER_BYTES + clusterBytes, 'utf8');
  frame.writeUInt32LE(crc32(frame.subarray(CHECKPOINT_HEADER_BYTES, CHECKPOINT_HEADER_BYTES + payloadBytes)), OFF_PAYLOAD_CRC);
  frame.writeUInt32LE(crc32(frame.subarray(0, CHECKPOINT_HEADER_BYTES)), OFF_HEADER_CRC);
  return frame;
}

/**
 * Decodes and verifies the header at `bytes[0]` (at least 64 bytes; the payload need not be
 * present). Checks the magic, then the header CRC, then the version. Pure.
 * @returns null when there is no magic (an empty or invalidated slot).
 * @throws RangeError when `bytes` is shorter than the header; CatalogError CORRUPT when the
 *   header CRC fails or a field is impossible; UNSUPPORTED_VERSION when the CRC holds and the
 *   version is newer than {@link CHECKPOINT_FORMAT_VERSION}.
 */
export function decodeCheckpointHeader(bytes: Buffer): CheckpointHeader | null {
  if (bytes.length < CHECKPOINT_HEADER_BYTES) {
    throw new RangeError(`a checkpoint header is ${CHECKPOINT_HEADER_BYTES} bytes, got ${bytes.length}`);
  }
  if (!bytes.subarray(0, CHECKPOINT_MAGIC.length).equals(CHECKPOINT_MAGIC)) return null;
  const header = bytes.subarray(0, CHECKPOINT_HEADER_BYTES);
  verifySelfCrc(header, OFF_HEADER_CRC, 'checkpoint header');
  const formatVersion = header.readUInt32LE(OFF_VERSION);
  checkFormatVersion(formatVersion, CHECKPOINT_FORMAT_VERSION, 'checkpoint');
  const generation = readSafeU64(header, OFF_GENERATION, 'checkpoint generation');
  if (generation === 0) throw new CatalogError('CORRUPT', 'checkpoint generation 0');
  const payloadBytes = header.readUInt32LE(OFF_PAYLOAD_LENGTH);
  const newestClusterBytes = formatVersion >= 2 ? header.readUInt32LE(OFF_NEWEST_CLUSTER_LENGTH) : 0;
  if (newestClusterBytes > MAX_WRITER_CLUSTER_ID_BYTES || newestClusterBytes > payloadBytes) {
    throw new CatalogError('CORRUPT', `checkpoint generation ${generation} claims a ${newestClusterBytes}-byte cluster id`);
  }
  return {
    formatVersion,
    generation,
    seq: readSafeU64(header, OFF_SEQ, 'checkpoint seq'),
    payloadBytes,
    payloadCrc32: header.readUInt32LE(OFF_PAYLOAD_CRC),
    frameBytes: checkpointFrameBytes(payloadBytes),
    newestToken: formatVersion >= 2 ? header.readBigUInt64LE(OFF_NEWEST_TOKEN) : 0n,
    newestClusterBytes,
  };
}

/**
 * Verifies the payload of the checkpoint whose verified `header` was read from `frame[0]`, and
 * parses it. Pure.
 * @throws CatalogError CORRUPT when `frame` is shorter than the header says, the payload CRC
 *   fails, or the payload is not JSON.
 */
export function decodeCheckpointPayload<S = unknown>(header: CheckpointHeader, frame: Buffer): S {
  const end = CHECKPOINT_HEADER_BYTES + header.payloadBytes;
  if (frame.length < end) {
    throw new CatalogError('CORRUPT', `checkpoint generation ${header.generation} claims ${header.payloadBytes} payload bytes; only ${frame.length - CHECKPOINT_HEADER_BYTES} available`);
  }
  const payload = frame.subarray(CHECKPOINT_HEADER_BYTES, end);
  const actual = crc32(payload);
  if (actual !== header.payloadCrc32) {
    throw new CatalogError('CORRUPT', `checkpoint generation ${header.generation} payload checksum mismatch (stored ${hex32(header.payloadCrc32)}, computed ${hex32(actual)})`);
  }
  try {
    return JSON.parse(payload.toString('utf8', header.newestClusterBytes)) as S;
  } catch (cause) {
    throw new CatalogError('CORRUPT', `checkpoint generation ${header.generation} payload is not JSON`, { cause });
  }
}

/** The cluster id of the newest token of a checkpoint whose payload {@link decodeCheckpointPayload} verified. Pure. */
export function checkpointClusterId(header: CheckpointHeader, frame: Buffer): string {
  return frame.toString('utf8', CHECKPOINT_HEADER_BYTES, CHECKPOINT_HEADER_BYTES + header.newestClusterBytes);
}

/**
 * Decodes and verifies a whole checkpoint at `frame[0]` ({@link decodeCheckpointHeader} then
 * {@link decodeCheckpointPayload}). Pure.
 * @returns null when there is no magic.
 * @throws as those two functions.
 */
export function decodeCheckpoint<S = unknown>(frame: Buffer): Checkpoint<S> | null {
  const header = decodeCheckpointHeader(frame);
  if (header === null) return null;
  return { generation: header.generation, seq: header.seq, state: decodeCheckpointPayload<S>(header, frame), newestClusterId: checkpointClusterId(header, frame) };
}
