import { deflateRawSync, inflateRawSync } from 'node:zlib';
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
 * Version 3 added the state's encoding ({@link CheckpointStateEncoding}) and its decoded length;
 * a version 1 or 2 checkpoint reads as plain JSON.
 */
export const CHECKPOINT_FORMAT_VERSION = 3;

/**
 * How the state is stored after the cluster id (version 3 header field `state_encoding`):
 * `json` (0) UTF-8 JSON as is, what versions 1 and 2 always hold; `deflate` (1) that JSON
 * compressed with raw deflate (RFC 1951, node:zlib), what this code writes: the state of a
 * pool of 100,000 volumes is about 9x smaller (docs/catalog-format.md, "Limits").
 */
export type CheckpointStateEncoding = 'json' | 'deflate';

const STATE_ENCODINGS: readonly CheckpointStateEncoding[] = ['json', 'deflate'];

/** Deflate level of the state: 1 compresses a 100,000-volume state nearly as well as 6 in half the time. */
const DEFLATE_LEVEL = 1;

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
// Version 3: how the state is stored, and its length once decoded (bounds the inflate).
const OFF_STATE_ENCODING = 52;
const OFF_STATE_BYTES = 56;

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
  /** How the state is stored ('json' before version 3). */
  readonly stateEncoding: CheckpointStateEncoding;
  /** Length of the state as UTF-8 JSON once decoded (for 'json': as stored). */
  readonly stateBytes: number;
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
 * as UTF-8 compressed with raw deflate (or as is, for `stateEncoding: 'json'`), zero padding to
 * a multiple of 512. Pure (returns a new buffer, whose length the caller compares with the slot).
 * @throws RangeError when `generation` is not a positive safe integer or `seq` not a
 *   non-negative one, `newestToken` is beyond 2^64-1, `newestClusterId` is longer than
 *   {@link MAX_WRITER_CLUSTER_ID_BYTES}, or the JSON or payload exceeds 4 GiB; TypeError when
 *   `state` has no JSON form or cannot be serialised.
 */
export function encodeCheckpoint(checkpoint: {
  readonly generation: number;
  readonly seq: number;
  readonly state: unknown;
  readonly newestToken?: bigint;
  readonly newestClusterId?: string;
  /** Default 'deflate'. */
  readonly stateEncoding?: CheckpointStateEncoding;
}): Buffer {
  if (!Number.isSafeInteger(checkpoint.generation) || checkpoint.generation < 1) {
    throw new RangeError(`checkpoint generation ${checkpoint.generation} is not a positive integer`);
  }
  const json: unknown = JSON.stringify(checkpoint.state);
  if (typeof json !== 'string') throw new TypeError('catalog state must have a JSON form (got undefined/function)');
  const clusterId = checkpoint.newestClusterId ?? '';
  const clusterBytes = Buffer.byteLength(clusterId, 'utf8');
  if (clusterBytes > MAX_WRITER_CLUSTER_ID_BYTES) throw new RangeError(`checkpoint cluster id is ${clusterBytes} bytes; at most ${MAX_WRITER_CLUSTER_ID_BYTES}`);
  const encoding = checkpoint.stateEncoding ?? 'deflate';
  if (!STATE_ENCODINGS.includes(encoding)) throw new RangeError(`checkpoint state encoding ${JSON.stringify(encoding).slice(0, 20)} is not json or deflate`);
  const jsonBytes = Buffer.from(json, 'utf8');
  if (jsonBytes.length > MAX_PAYLOAD_BYTES) throw new RangeError(`checkpoint state of ${jsonBytes.length} JSON bytes exceeds 4 GiB`);
  const stored = encoding === 'deflate' ? deflateRawSync(jsonBytes, { level: DEFLATE_LEVEL }) : jsonBytes;
  const payloadBytes = clusterBytes + stored.length;
  if (payloadBytes > MAX_PAYLOAD_BYTES) throw new RangeError(`checkpoint payload of ${payloadBytes} bytes exceeds 4 GiB`);
  const frame = Buffer.alloc(checkpointFrameBytes(payloadBytes));
  CHECKPOINT_MAGIC.copy(frame, 0);
  frame.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, OFF_VERSION);
  writeSafeU64(frame, checkpoint.generation, OFF_GENERATION, 'checkpoint generation');
  writeSafeU64(frame, checkpoint.seq, OFF_SEQ, 'checkpoint seq');
  frame.writeUInt32LE(payloadBytes, OFF_PAYLOAD_LENGTH);
  frame.writeBigUInt64LE(checkpoint.newestToken ?? 0n, OFF_NEWEST_TOKEN);
  frame.writeUInt32LE(clusterBytes, OFF_NEWEST_CLUSTER_LENGTH);
  frame.writeUInt32LE(STATE_ENCODINGS.indexOf(encoding), OFF_STATE_ENCODING);
  frame.writeUInt32LE(jsonBytes.length, OFF_STATE_BYTES);
  frame.write(clusterId, CHECKPOINT_HEADER_BYTES, 'utf8');
  stored.copy(frame, CHECKPOINT_HEADER_BYTES + clusterBytes);
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
  const encodingCode = formatVersion >= 3 ? header.readUInt32LE(OFF_STATE_ENCODING) : 0;
  const stateEncoding = STATE_ENCODINGS[encodingCode];
  if (stateEncoding === undefined) throw new CatalogError('CORRUPT', `checkpoint generation ${generation} has unknown state_encoding ${encodingCode}`);
  const stateBytes = formatVersion >= 3 ? header.readUInt32LE(OFF_STATE_BYTES) : payloadBytes - newestClusterBytes;
  if (stateEncoding === 'json' && stateBytes !== payloadBytes - newestClusterBytes) {
    throw new CatalogError('CORRUPT', `checkpoint generation ${generation} state_bytes ${stateBytes} differs from its ${payloadBytes - newestClusterBytes} stored JSON bytes`);
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
    stateEncoding,
    stateBytes,
  };
}

/**
 * Verifies the payload of the checkpoint whose verified `header` was read from `frame[0]`,
 * inflates the state when it is deflated, and parses it. Pure.
 * @throws CatalogError CORRUPT when `frame` is shorter than the header says, the payload CRC
 *   fails, the deflated state does not inflate to exactly `state_bytes`, or the state is not JSON.
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
  const json = header.stateEncoding === 'json' ? payload.subarray(header.newestClusterBytes) : inflateState(header, payload.subarray(header.newestClusterBytes));
  try {
    return JSON.parse(json.toString('utf8')) as S;
  } catch (cause) {
    throw new CatalogError('CORRUPT', `checkpoint generation ${header.generation} payload is not JSON`, { cause });
  }
}

function inflateState(header: CheckpointHeader, stored: Buffer): Buffer {
  let json: Buffer;
  try {
    // One byte of headroom: a stream that inflates past state_bytes fails the length check
    // below instead of being cut to fit.
    // One output chunk for the whole state (up to 64 MiB): zlib's default 16 KiB chunks, then
    // their concatenation, double the inflate's time for a state of millions of bytes.
    json = inflateRawSync(stored, { maxOutputLength: header.stateBytes + 1, chunkSize: Math.min(Math.max(header.stateBytes + 1, 64 * 1024), 64 * 1024 * 1024) });
  } catch (cause) {
    throw new CatalogError('CORRUPT', `checkpoint generation ${header.generation} state does not inflate`, { cause });
  }
  if (json.length !== header.stateBytes) {
    throw new CatalogError('CORRUPT', `checkpoint generation ${header.generation} state inflates to ${json.length} bytes; state_bytes says ${header.stateBytes}`);
  }
  return json;
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
