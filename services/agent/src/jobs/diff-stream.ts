/**
 * The incremental stream format (docs/diff-stream.md has the operators' description): what
 * `volume export --since` writes and `volume import --onto` applies. A 256-byte header, then
 * records in ascending, non-overlapping volume offsets, then one end record. Integers are
 * little-endian; checksums are SHA-256.
 *
 * Header: magic `TFDIFF\r\n` (8), version u32 (1), flags u32 (0), block size u32 (bytes, the
 * source pool's data block size), reserved u32 (0), volume size u64 (bytes of B, the newer
 * volume), base size u64 (bytes of A, the older), base uuid (64, ASCII, NUL-padded), target uuid
 * (64, likewise), 56 reserved bytes (0), SHA-256 of the header's first 224 bytes (32).
 *
 * Record: type u32 (1 data, 2 zero, 3 end), reserved u32 (0), then for data and zero records
 * offset u64 and length u64 (bytes of the volume, length > 0), the data (data records only:
 * `length` bytes), and SHA-256 of the record's bytes before it (32). A zero record stands for
 * `length` zero bytes. The end record's two u64 are the count of records before it and the
 * count of data bytes they carry, followed by the SHA-256 of every byte of the stream before the
 * end record (header included) instead of a record checksum.
 *
 * A reader detects truncation and corruption: the header's checksum, each record's checksum,
 * offsets that go backwards or past the volume's size, an end of file before the end record
 * (truncated), an end record whose count or digest disagrees, or any byte after it.
 */
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { quoted } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';

export const DIFF_STREAM_MAGIC = Buffer.from('TFDIFF\r\n', 'latin1');
export const DIFF_STREAM_VERSION = 1;
export const HEADER_BYTES = 256;
/** Bytes of a record before its data: type, reserved, two u64. */
export const RECORD_HEAD_BYTES = 24;
export const CHECKSUM_BYTES = 32;
/** The largest data record a reader accepts (a writer's records are one job step, 4 MiB by default). */
export const MAX_DATA_RECORD_BYTES = 64 * 1024 * 1024;
const UUID_FIELD_BYTES = 64;
const HEADER_SUMMED_BYTES = HEADER_BYTES - CHECKSUM_BYTES;

export const RECORD_DATA = 1;
export const RECORD_ZERO = 2;
export const RECORD_END = 3;

/** What the header says. */
export interface DiffStreamHeader {
  readonly blockBytes: number;
  /** Bytes of B, the volume the stream rebuilds. */
  readonly volumeBytes: number;
  /** Bytes of A, the volume it applies onto. */
  readonly baseBytes: number;
  readonly baseUuid: string;
  readonly targetUuid: string;
}

/** One data or zero record as read; `endAt` is the file offset just past it (a record boundary). */
export interface DiffStreamRecord {
  readonly type: typeof RECORD_DATA | typeof RECORD_ZERO;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  /** The bytes of a data record (empty for a zero record). */
  readonly data: Buffer;
  readonly endAt: number;
}

/** A stream that is not a valid incremental stream. */
export function badStream(path: string, problem: string): AgentError {
  return new AgentError('BAD_STREAM', `the incremental stream ${quoted(path)} ${problem}`);
}

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

function uuidField(uuid: string): Buffer {
  const b = Buffer.alloc(UUID_FIELD_BYTES);
  const text = Buffer.from(uuid, 'utf8');
  if (text.length > UUID_FIELD_BYTES || text.includes(0)) throw new RangeError(`a uuid of ${text.length} bytes does not fit the stream's header`);
  text.copy(b);
  return b;
}

/** The 256-byte header for `h`. @throws RangeError for a uuid longer than 64 bytes */
export function encodeHeader(h: DiffStreamHeader): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  DIFF_STREAM_MAGIC.copy(b, 0);
  b.writeUInt32LE(DIFF_STREAM_VERSION, 8);
  b.writeUInt32LE(h.blockBytes, 16);
  b.writeBigUInt64LE(BigInt(h.volumeBytes), 24);
  b.writeBigUInt64LE(BigInt(h.baseBytes), 32);
  uuidField(h.baseUuid).copy(b, 40);
  uuidField(h.targetUuid).copy(b, 40 + UUID_FIELD_BYTES);
  sha256(b.subarray(0, HEADER_SUMMED_BYTES)).copy(b, HEADER_SUMMED_BYTES);
  return b;
}

const u64 = (b: Buffer, at: number): number => {
  const n = b.readBigUInt64LE(at);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER + 1 : Number(n);
};
const text = (b: Buffer): string => {
  const end = b.indexOf(0);
  return b.subarray(0, end === -1 ? b.length : end).toString('utf8');
};

/** The header in `b` (its first 256 bytes). @throws AgentError BAD_STREAM (`path` names the file) */
export function decodeHeader(path: string, b: Buffer): DiffStreamHeader {
  if (b.length < HEADER_BYTES) throw badStream(path, `is truncated: its header has ${b.length} of ${HEADER_BYTES} bytes`);
  if (!b.subarray(0, 8).equals(DIFF_STREAM_MAGIC)) throw badStream(path, 'is not an incremental stream (no TFDIFF magic; was it made by volume export --since?)');
  const version = b.readUInt32LE(8);
  if (version !== DIFF_STREAM_VERSION) throw badStream(path, `has version ${version}; this agent reads version ${DIFF_STREAM_VERSION}`);
  if (!sha256(b.subarray(0, HEADER_SUMMED_BYTES)).equals(b.subarray(HEADER_SUMMED_BYTES, HEADER_BYTES))) throw badStream(path, 'has a corrupt header (checksum mismatch)');
  const header = {
    blockBytes: b.readUInt32LE(16),
    volumeBytes: u64(b, 24),
    baseBytes: u64(b, 32),
    baseUuid: text(b.subarray(40, 40 + UUID_FIELD_BYTES)),
    targetUuid: text(b.subarray(40 + UUID_FIELD_BYTES, 40 + 2 * UUID_FIELD_BYTES)),
  };
  if (header.volumeBytes > Number.MAX_SAFE_INTEGER || header.volumeBytes === 0 || header.baseBytes > header.volumeBytes) throw badStream(path, 'has a header with impossible sizes');
  return header;
}

function recordHead(type: number, a: number, b: number): Buffer {
  const head = Buffer.alloc(RECORD_HEAD_BYTES);
  head.writeUInt32LE(type, 0);
  head.writeBigUInt64LE(BigInt(a), 8);
  head.writeBigUInt64LE(BigInt(b), 16);
  return head;
}

/** A data record of `data` at `offsetBytes`, or (data null) a zero record of `lengthBytes`. */
export function encodeRecord(offsetBytes: number, lengthBytes: number, data: Buffer | null): Buffer {
  const head = recordHead(data === null ? RECORD_ZERO : RECORD_DATA, offsetBytes, lengthBytes);
  const body = data ?? Buffer.alloc(0);
  return Buffer.concat([head, body, sha256(head, body)]);
}

/** The end record after `count` records carrying `dataBytes` bytes, `digest` the SHA-256 of the stream before it. */
export function encodeEnd(count: number, dataBytes: number, digest: Buffer): Buffer {
  return Buffer.concat([recordHead(RECORD_END, count, dataBytes), digest]);
}

/** The end record as read: its counts, its digest, and (with a digest fed) the digest of the bytes before it. */
export interface DiffStreamEnd {
  readonly type: typeof RECORD_END;
  readonly count: number;
  readonly dataBytes: number;
  readonly digest: Buffer;
  readonly computed: Buffer | null;
}

/** What a whole stream holds, once read to its end record. */
export interface DiffStreamSummary {
  readonly header: DiffStreamHeader;
  readonly records: number;
  readonly dataBytes: number;
  /** Bytes of the file, the end record included. */
  readonly fileBytes: number;
}

/**
 * A sequential reader of the stream in file `file` (named `path` in errors) of `fileBytes`
 * bytes. `digest` (optional) is fed every byte read, for the end record's check.
 */
export class DiffStreamReader {
  private lastEnd = 0;

  constructor(
    private readonly path: string,
    private readonly file: FileHandle,
    private readonly fileBytes: number,
    readonly header: DiffStreamHeader,
    /** The file offset of the next record. */
    public at: number,
    private readonly digest: Hash | null = null,
  ) {}

  private async readExactly(length: number, what: string): Promise<Buffer> {
    if (this.at + length > this.fileBytes) throw badStream(this.path, `is truncated: it ends at byte ${this.fileBytes}, inside ${what} at byte ${this.at}`);
    const b = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.file.read(b, got, length - got, this.at + got);
      if (bytesRead === 0) throw badStream(this.path, `is truncated: it ended while ${what} at byte ${this.at} was read`);
      got += bytesRead;
    }
    this.at += length;
    this.digest?.update(b);
    return b;
  }

  /** The next data or zero record, its checksum checked; or the end record's fields. @throws AgentError BAD_STREAM */
  async next(): Promise<DiffStreamRecord | DiffStreamEnd> {
    const startAt = this.at;
    if (startAt === this.fileBytes) throw badStream(this.path, `is truncated: it ends at byte ${startAt} without its end record`);
    const before = this.digest?.copy() ?? null;
    const head = await this.readExactly(RECORD_HEAD_BYTES, 'a record');
    const type = head.readUInt32LE(0);
    const a = u64(head, 8);
    const b = u64(head, 16);
    if (type === RECORD_END) {
      // The end record's digest covers the stream before it, not itself.
      const digest = Buffer.alloc(CHECKSUM_BYTES);
      if (this.at + CHECKSUM_BYTES > this.fileBytes) throw badStream(this.path, 'is truncated inside its end record');
      await this.file.read(digest, 0, CHECKSUM_BYTES, this.at);
      this.at += CHECKSUM_BYTES;
      return { type: RECORD_END, count: a, dataBytes: b, digest, computed: before?.digest() ?? null };
    }
    if (type !== RECORD_DATA && type !== RECORD_ZERO) throw badStream(this.path, `has a record of unknown type ${type} at byte ${startAt}`);
    if (b === 0 || a < this.lastEnd || a + b > this.header.volumeBytes) throw badStream(this.path, `has a record at byte ${startAt} out of order or past the volume's end`);
    if (type === RECORD_DATA && b > MAX_DATA_RECORD_BYTES) throw badStream(this.path, `has a data record of ${b} bytes at byte ${startAt}, more than ${MAX_DATA_RECORD_BYTES}`);
    const data = type === RECORD_DATA ? await this.readExactly(b, 'a record') : Buffer.alloc(0);
    const sum = await this.readExactly(CHECKSUM_BYTES, 'a record');
    if (!sha256(head, data).equals(sum)) throw badStream(this.path, `has a corrupt record at byte ${startAt} (checksum mismatch)`);
    this.lastEnd = a + b;
    return { type, offsetBytes: a, lengthBytes: b, data, endAt: this.at };
  }
}

/** Reads and checks the header of the stream in `file`. @throws AgentError BAD_STREAM */
export async function readHeader(path: string, file: FileHandle): Promise<DiffStreamHeader> {
  const b = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await file.read(b, 0, HEADER_BYTES, 0);
  return decodeHeader(path, b.subarray(0, bytesRead));
}

/**
 * Reads the whole stream in `file` (`fileBytes` bytes) and checks everything a reader can: the
 * header, each record, the end record's count and digest, and that nothing follows it. Reads only.
 * @throws AgentError BAD_STREAM naming what is wrong (truncated, corrupt, out of order)
 */
export async function verifyDiffStream(path: string, file: FileHandle, fileBytes: number, signal?: AbortSignal): Promise<DiffStreamSummary | 'stopped'> {
  const digest = createHash('sha256');
  const headerBytes = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await file.read(headerBytes, 0, HEADER_BYTES, 0);
  const header = decodeHeader(path, headerBytes.subarray(0, bytesRead));
  digest.update(headerBytes);
  const reader = new DiffStreamReader(path, file, fileBytes, header, HEADER_BYTES, digest);
  let records = 0;
  let dataBytes = 0;
  for (;;) {
    if (signal?.aborted === true) return 'stopped';
    const r = await reader.next();
    if (r.type === RECORD_END) {
      if (r.count !== records || r.dataBytes !== dataBytes) throw badStream(path, `has an end record that counts ${r.count} records, but ${records} precede it`);
      if (r.computed === null || !r.digest.equals(r.computed)) throw badStream(path, 'does not match its end record (digest mismatch)');
      if (reader.at !== fileBytes) throw badStream(path, `has ${fileBytes - reader.at} bytes after its end record`);
      return { header, records, dataBytes, fileBytes };
    }
    records += 1;
    if (r.type === RECORD_DATA) dataBytes += r.lengthBytes;
  }
}

/** Feeds bytes `[from, to)` of `file` to `hash`. */
export async function feedDigest(file: FileHandle, from: number, to: number, hash: Hash): Promise<void> {
  const piece = Buffer.alloc(Math.min(4 * 1024 * 1024, Math.max(0, to - from)));
  for (let at = from; at < to;) {
    const { bytesRead } = await file.read(piece, 0, Math.min(piece.length, to - at), at);
    if (bytesRead === 0) throw new Error(`file ended at byte ${at}, before ${to}`);
    hash.update(piece.subarray(0, bytesRead));
    at += bytesRead;
  }
}
