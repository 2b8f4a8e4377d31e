/**
 * A hand-specialised protobuf decoder for `thinfleet.agent.v1.ListVolumesResponse`: the client's
 * side of volume-list-encoder.ts. It builds the very object grpc-js's default deserializer
 * (protobufjs through proto-loader with the API's load options, load-options.ts) builds from the
 * same bytes: every field with its default, keys in protobufjs's order (so a JSON dump is the
 * same text), 64-bit fields as numbers, an `optional` field present with its `_name` oneof
 * marker. test/volume-list-decoder.test.ts checks this against protobufjs on generated answers,
 * and the encoder's drift test keeps both in step with volume.proto (the decoder reads the
 * fields the encoder writes; an unknown field is skipped, as protobufjs skips it).
 *
 * Pure; no state. Throws on malformed input (a truncated field, a bad wire type), as protobufjs
 * does, so grpc-js reports the call failed.
 */
import type { ListVolumesResponse__Output } from './generated/thinfleet/agent/v1/ListVolumesResponse.js';
import type { Volume__Output } from './generated/thinfleet/agent/v1/Volume.js';

/** A cursor over one encoded message. */
class In {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    /** Where the message being read ends (a nested message's end while it is read). */
    public end: number,
  ) {
    this.pos = start;
  }

  /** A varint of up to 64 bits as a number (exact up to 2^53, as protobufjs's `longs: Number`). */
  varint(): number {
    const buf = this.buf;
    let b = this.byte();
    if (b < 128) return b;
    let value = b & 127;
    let scale = 128;
    for (let i = 1; i < 10; i++) {
      b = this.byte();
      value += (b & 127) * scale;
      if (b < 128) return value;
      scale *= 128;
    }
    throw new RangeError(`volume-list-decoder: a varint longer than 10 bytes at ${this.pos} of ${buf.length}`);
  }

  byte(): number {
    if (this.pos >= this.end) throw new RangeError('volume-list-decoder: the message ends inside a field');
    return this.buf[this.pos++]!;
  }

  /** The end of a length-delimited field that starts here (after its length). */
  lengthEnd(): number {
    const n = this.varint();
    const end = this.pos + n;
    if (end > this.end) throw new RangeError('volume-list-decoder: a length-delimited field runs past the message');
    return end;
  }

  string(): string {
    const end = this.lengthEnd();
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  /** Skips a field of `wire` type that this decoder does not know. */
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.pos = this.lengthEnd();
    else if (wire === 5) this.advance(4);
    else throw new RangeError(`volume-list-decoder: wire type ${wire} at ${this.pos}`);
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new RangeError('volume-list-decoder: the message ends inside a field');
    this.pos += n;
  }
}

/** One `Volume` between `in_.pos` and `end`. */
function readVolume(in_: In, end: number): Volume__Output {
  const v = {
    pool: '',
    name: '',
    uuid: '',
    thinId: 0,
    sizeBytes: 0,
    origin: '',
    externalOrigin: '',
    created: '',
    revisionOf: '',
    revision: 0,
    pinned: false,
    active: false,
    devicePath: '',
    jobId: '',
    deviceSimulated: false,
    wasActive: false,
  } as Record<string, unknown>;
  // The optional fields in field order, set when present (protobufjs adds them after the others).
  let mapped: number | undefined;
  let exclusive: number | undefined;
  let shared: number | undefined;
  const outer = in_.end;
  in_.end = end;
  while (in_.pos < end) {
    const key = in_.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    switch (wire === 2 ? field : wire === 0 ? -field : 0) {
      case 1:
        v.pool = in_.string();
        break;
      case 2:
        v.name = in_.string();
        break;
      case 3:
        v.uuid = in_.string();
        break;
      case -4:
        v.thinId = in_.varint() % 2 ** 32;
        break;
      case -5:
        v.sizeBytes = in_.varint();
        break;
      case 6:
        v.origin = in_.string();
        break;
      case 7:
        v.externalOrigin = in_.string();
        break;
      case 8:
        v.created = in_.string();
        break;
      case 9:
        v.revisionOf = in_.string();
        break;
      case -10:
        v.revision = in_.varint() % 2 ** 32;
        break;
      case -11:
        v.pinned = in_.varint() !== 0;
        break;
      case -12:
        v.active = in_.varint() !== 0;
        break;
      case 13:
        v.devicePath = in_.string();
        break;
      case -14:
        mapped = in_.varint();
        break;
      case -15:
        exclusive = in_.varint();
        break;
      case -16:
        shared = in_.varint();
        break;
      case 17:
        v.jobId = in_.string();
        break;
      case -18:
        v.deviceSimulated = in_.varint() !== 0;
        break;
      case -19:
        v.wasActive = in_.varint() !== 0;
        break;
      default:
        in_.skip(wire);
    }
  }
  in_.end = outer;
  if (in_.pos !== end) throw new RangeError('volume-list-decoder: a Volume runs past its length');
  if (mapped !== undefined) {
    v.mappedBytes = mapped;
    v._mappedBytes = 'mappedBytes';
  }
  if (exclusive !== undefined) {
    v.exclusiveBytes = exclusive;
    v._exclusiveBytes = 'exclusiveBytes';
  }
  if (shared !== undefined) {
    v.sharedBytes = shared;
    v._sharedBytes = 'sharedBytes';
  }
  return v as unknown as Volume__Output;
}

/**
 * Decodes a `ListVolumesResponse` from the wire into what grpc-js's default deserializer
 * returns. Usable as a client's `responseDeserialize` for ListVolumes.
 * @throws RangeError on a malformed message
 */
export function decodeListVolumesResponse(bytes: Buffer): ListVolumesResponse__Output {
  const in_ = new In(bytes, 0, bytes.length);
  const volumes: Volume__Output[] = [];
  const inactivePools: string[] = [];
  let nextPageToken = '';
  while (in_.pos < in_.end) {
    const key = in_.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 2 && field === 1) {
      const end = in_.lengthEnd();
      volumes.push(readVolume(in_, end));
    } else if (wire === 2 && field === 2) inactivePools.push(in_.string());
    else if (wire === 2 && field === 3) nextPageToken = in_.string();
    else in_.skip(wire);
  }
  return { volumes, inactivePools, nextPageToken };
}
