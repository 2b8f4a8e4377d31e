/**
 * A hand-specialised protobuf encoder for `thinfleet.agent.v1.ListVolumesResponse` (and the
 * `Volume` messages in it): the wire format written straight into one buffer, for exactly the
 * fields volume.proto declares today. grpc-js's default serializer (protobufjs through
 * proto-loader) runs `fromObject` and a generic writer per field; on a 10,000-volume answer
 * this writer is several times cheaper (test/bench/list-encoding.bench.mjs prints both).
 *
 * What it writes decodes, with the API's loader (load-options.ts), to the same object as
 * protobufjs's own encoding of the same input (test/volume-list-encoder.test.ts checks this on
 * generated messages, and fails when volume.proto gains a field this module does not know).
 * Bytes may differ: fields with implicit presence (proto3 scalars) are left out when they hold
 * their default ('' / 0 / false), as protobuf's own encoders do, where protobufjs writes them;
 * `optional` fields (explicit presence) are written whenever set, 0 included.
 *
 * Input is what a server handler returns (the generated `ListVolumesResponse` type): strings as
 * strings, 32-bit fields as numbers, 64-bit fields as numbers (or, like protobufjs accepts,
 * decimal strings, bigints or Long objects), null or undefined for "not set". Pure; no state.
 */
import type { ListVolumesResponse } from './generated/thinfleet/agent/v1/ListVolumesResponse.js';
import type { Volume } from './generated/thinfleet/agent/v1/Volume.js';

/** The kinds of field this encoder writes (the proto3 scalar types `Volume` uses, and `Volume` itself). */
export type EncodedFieldKind = 'string' | 'uint32' | 'uint64' | 'bool' | 'message';

/** One field this encoder knows: its number, name as the loader spells it (camelCase), kind and presence. */
export interface EncodedField {
  readonly number: number;
  readonly name: string;
  readonly kind: EncodedFieldKind;
  /** `optional` in the .proto (explicit presence): written whenever set, even to 0. */
  readonly optional: boolean;
  /** `repeated` in the .proto. */
  readonly repeated?: boolean;
}

/**
 * Every field of `Volume` this encoder writes. The drift test compares it with the loaded
 * descriptor, so a field added to volume.proto fails the test until it is encoded here.
 */
export const VOLUME_ENCODED_FIELDS: readonly EncodedField[] = [
  { number: 1, name: 'pool', kind: 'string', optional: false },
  { number: 2, name: 'name', kind: 'string', optional: false },
  { number: 3, name: 'uuid', kind: 'string', optional: false },
  { number: 4, name: 'thinId', kind: 'uint32', optional: false },
  { number: 5, name: 'sizeBytes', kind: 'uint64', optional: false },
  { number: 6, name: 'origin', kind: 'string', optional: false },
  { number: 7, name: 'externalOrigin', kind: 'string', optional: false },
  { number: 8, name: 'created', kind: 'string', optional: false },
  { number: 9, name: 'revisionOf', kind: 'string', optional: false },
  { number: 10, name: 'revision', kind: 'uint32', optional: false },
  { number: 11, name: 'pinned', kind: 'bool', optional: false },
  { number: 12, name: 'active', kind: 'bool', optional: false },
  { number: 13, name: 'devicePath', kind: 'string', optional: false },
  { number: 14, name: 'mappedBytes', kind: 'uint64', optional: true },
  { number: 15, name: 'exclusiveBytes', kind: 'uint64', optional: true },
  { number: 16, name: 'sharedBytes', kind: 'uint64', optional: true },
  { number: 17, name: 'jobId', kind: 'string', optional: false },
  { number: 18, name: 'deviceSimulated', kind: 'bool', optional: false },
  { number: 19, name: 'wasActive', kind: 'bool', optional: false },
];

/** The fields of `ListVolumesResponse` this encoder writes (field 1 is the `Volume` messages). */
export const LIST_VOLUMES_RESPONSE_ENCODED_FIELDS: readonly EncodedField[] = [
  { number: 1, name: 'volumes', kind: 'message', optional: false, repeated: true },
  { number: 2, name: 'inactivePools', kind: 'string', optional: false, repeated: true },
  { number: 3, name: 'nextPageToken', kind: 'string', optional: false },
];

/** Wire type 2 (length-delimited) and 0 (varint) tags, precomputed: (number << 3) | wire type. */
const LEN = 2;
const tag = (n: number, wire: number): number => (n << 3) | wire;

// ---- sizes ------------------------------------------------------------------------------------

/** UTF-8 length of `s` as Buffer.byteLength counts it (a lone surrogate is U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Bytes of `v` (a whole number 0 .. 2^53) as a varint. */
function varintLength(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Bytes of a 64-bit value as a varint (10 for the two's complement of a negative one). */
function bigVarintLength(v: bigint): number {
  let n = 1;
  while (v >= 128n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/**
 * A 64-bit field's value: a whole number 0 .. 2^53 as itself; a bigint, decimal string or Long
 * of 0 .. 2^64 - 1 as a bigint.
 * @throws RangeError for anything else (a negative, a fraction, a float past 2^53: protobufjs
 *   has its own ideas about those, e.g. it writes a negative number as 0, and a caller that
 *   must match it byte for byte falls back to it, see the agent's ListVolumes serializer).
 */
function u64(value: unknown): number | bigint {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw new RangeError(`a 64-bit field holds ${value}, not a whole number 0 .. 2^53`);
  }
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'string' && /^[0-9]{1,20}$/.test(value)) big = BigInt(value);
  else if (typeof value === 'object' && value !== null && 'low' in value && 'high' in value) {
    const long = value as { low: number; high: number };
    big = (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
  } else throw new RangeError(`a 64-bit field must be a whole number, a decimal string, a bigint or a Long, not ${typeof value}`);
  if (big < 0n || big >= 1n << 64n) throw new RangeError('a 64-bit field holds a value outside 0 .. 2^64 - 1');
  return big;
}

function u64Length(v: number | bigint): number {
  return typeof v === 'number' ? varintLength(v) : bigVarintLength(v);
}

const isSet = (v: unknown): boolean => v !== null && v !== undefined;

/** Size of a string field with implicit presence (0 when empty or unset). */
function stringFieldLength(s: string | null | undefined): number {
  if (s === null || s === undefined || s === '') return 0;
  const n = utf8Length(String(s));
  return 1 + varintLength(n) + n;
}

/** The encoded body length of one `Volume` (without its tag and length prefix). */
function volumeLength(v: Volume): number {
  let n = 0;
  n += stringFieldLength(v.pool);
  n += stringFieldLength(v.name);
  n += stringFieldLength(v.uuid);
  const thinId = (v.thinId ?? 0) >>> 0;
  if (thinId !== 0) n += 1 + varintLength(thinId);
  if (isSet(v.sizeBytes)) {
    const size = u64(v.sizeBytes);
    if (size !== 0 && size !== 0n) n += 1 + u64Length(size);
  }
  n += stringFieldLength(v.origin);
  n += stringFieldLength(v.externalOrigin);
  n += stringFieldLength(v.created);
  n += stringFieldLength(v.revisionOf);
  const revision = (v.revision ?? 0) >>> 0;
  if (revision !== 0) n += 1 + varintLength(revision);
  if (v.pinned) n += 2;
  if (v.active) n += 2;
  n += stringFieldLength(v.devicePath);
  if (isSet(v.mappedBytes)) n += 1 + u64Length(u64(v.mappedBytes));
  if (isSet(v.exclusiveBytes)) n += 1 + u64Length(u64(v.exclusiveBytes));
  // Field 16 and up take a two-byte tag.
  if (isSet(v.sharedBytes)) n += 2 + u64Length(u64(v.sharedBytes));
  const job = v.jobId === null || v.jobId === undefined || v.jobId === '' ? 0 : utf8Length(String(v.jobId));
  if (job !== 0) n += 2 + varintLength(job) + job;
  if (v.deviceSimulated) n += 3;
  if (v.wasActive) n += 3;
  return n;
}

// ---- writing ----------------------------------------------------------------------------------

/** A cursor over the one output buffer. */
class Out {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(v: number): void {
    const buf = this.buf;
    while (v >= 128) {
      buf[this.pos++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
  }

  bigVarint(v: bigint): void {
    while (v >= 128n) {
      this.buf[this.pos++] = Number(v & 127n) | 128;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  u64(v: number | bigint): void {
    if (typeof v === 'number') this.varint(v);
    else this.bigVarint(v);
  }

  /** A length-prefixed UTF-8 string (ASCII in a loop, anything else through Buffer's encoder). */
  string(s: string, byteLength: number): void {
    this.varint(byteLength);
    if (byteLength === s.length) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      this.pos += this.buf.write(s, this.pos, byteLength, 'utf8');
    }
  }

  /** A string field with implicit presence: nothing when empty or unset. */
  stringField(tagBytes: number, s: string | null | undefined): void {
    if (s === null || s === undefined || s === '') return;
    const str = String(s);
    this.varint(tagBytes);
    this.string(str, utf8Length(str));
  }
}

function writeVolume(out: Out, v: Volume): void {
  out.stringField(tag(1, LEN), v.pool);
  out.stringField(tag(2, LEN), v.name);
  out.stringField(tag(3, LEN), v.uuid);
  const thinId = (v.thinId ?? 0) >>> 0;
  if (thinId !== 0) {
    out.buf[out.pos++] = tag(4, 0);
    out.varint(thinId);
  }
  if (isSet(v.sizeBytes)) {
    const size = u64(v.sizeBytes);
    if (size !== 0 && size !== 0n) {
      out.buf[out.pos++] = tag(5, 0);
      out.u64(size);
    }
  }
  out.stringField(tag(6, LEN), v.origin);
  out.stringField(tag(7, LEN), v.externalOrigin);
  out.stringField(tag(8, LEN), v.created);
  out.stringField(tag(9, LEN), v.revisionOf);
  const revision = (v.revision ?? 0) >>> 0;
  if (revision !== 0) {
    out.buf[out.pos++] = tag(10, 0);
    out.varint(revision);
  }
  if (v.pinned) {
    out.buf[out.pos++] = tag(11, 0);
    out.buf[out.pos++] = 1;
  }
  if (v.active) {
    out.buf[out.pos++] = tag(12, 0);
    out.buf[out.pos++] = 1;
  }
  out.stringField(tag(13, LEN), v.devicePath);
  if (isSet(v.mappedBytes)) {
    out.buf[out.pos++] = tag(14, 0);
    out.u64(u64(v.mappedBytes));
  }
  if (isSet(v.exclusiveBytes)) {
    out.buf[out.pos++] = tag(15, 0);
    out.u64(u64(v.exclusiveBytes));
  }
  if (isSet(v.sharedBytes)) {
    out.varint(tag(16, 0));
    out.u64(u64(v.sharedBytes));
  }
  out.stringField(tag(17, LEN), v.jobId);
  if (v.deviceSimulated) {
    out.varint(tag(18, 0));
    out.buf[out.pos++] = 1;
  }
  if (v.wasActive) {
    out.varint(tag(19, 0));
    out.buf[out.pos++] = 1;
  }
}

/**
 * Encodes `response` as a `ListVolumesResponse` on the wire: one buffer of exactly the encoded
 * size. Usable as grpc-js's `responseSerialize` for ListVolumes.
 * @throws TypeError when a volume is not an object; RangeError when a 64-bit field holds
 *   something outside 0 .. 2^64 - 1 or not a whole number (see u64).
 */
export function encodeListVolumesResponse(response: ListVolumesResponse): Buffer {
  const volumes = response.volumes ?? [];
  const inactive = response.inactivePools ?? [];
  const lengths = new Array<number>(volumes.length);
  let total = 0;
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i];
    if (typeof v !== 'object' || v === null) throw new TypeError(`ListVolumesResponse.volumes[${i}] must be a Volume object`);
    const n = volumeLength(v);
    lengths[i] = n;
    total += 1 + varintLength(n) + n;
  }
  for (const name of inactive) {
    const n = utf8Length(String(name));
    total += 1 + varintLength(n) + n;
  }
  const next = response.nextPageToken == null ? '' : String(response.nextPageToken);
  const nextLength = utf8Length(next);
  if (nextLength > 0) total += 1 + varintLength(nextLength) + nextLength;
  const out = new Out(Buffer.allocUnsafe(total));
  for (let i = 0; i < volumes.length; i++) {
    out.buf[out.pos++] = tag(1, LEN);
    out.varint(lengths[i]!);
    const start = out.pos;
    writeVolume(out, volumes[i]!);
    if (out.pos - start !== lengths[i]) throw new Error(`volume-list-encoder: volumes[${i}] wrote ${out.pos - start} bytes, sized ${lengths[i]}`);
  }
  for (const name of inactive) {
    const s = String(name);
    out.buf[out.pos++] = tag(2, LEN);
    out.string(s, utf8Length(s));
  }
  if (nextLength > 0) {
    out.buf[out.pos++] = tag(3, LEN);
    out.string(next, nextLength);
  }
  if (out.pos !== total) throw new Error(`volume-list-encoder: wrote ${out.pos} bytes, sized ${total}`);
  return out.buf;
}
