/**
 * The hand-specialised ListVolumesResponse decoder against protobufjs (grpc-js's default
 * deserializer with the API's load options): on seeded generated answers, encoded by protobufjs
 * and by the hand encoder, it builds the same object with the same keys in the same order (a
 * JSON dump is the same text); unknown fields are skipped; malformed input throws.
 */
import { describe, expect, it } from 'vitest';
import { rng } from '../../../test/support/seeded.mjs';
import { loadAgentApi } from '../src/agent-api.js';
import type { ListVolumesResponse } from '../src/generated/thinfleet/agent/v1/ListVolumesResponse.js';
import { decodeListVolumesResponse } from '../src/volume-list-decoder.js';
import { encodeListVolumesResponse, VOLUME_ENCODED_FIELDS } from '../src/volume-list-encoder.js';

const codec = loadAgentApi().VolumeService.service.ListVolumes;

const SAMPLES = ['', 'a', 'vm-01.disk', 'é', '日本語のボリューム', '😀🚀', 'x'.repeat(200), '/dev/mapper/tf-pool-v'];
const U32 = [0, 1, 127, 128, 16_384, 0x7fffffff, 0xffffffff];
const U64 = [0, 1, 127, 128, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER];

function answer(seed: number): ListVolumesResponse {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const volume = (): Record<string, unknown> => {
    const v: Record<string, unknown> = {};
    for (const f of VOLUME_ENCODED_FIELDS) {
      if (next() < 0.2) continue;
      v[f.name] = f.kind === 'string' ? pick(SAMPLES) : f.kind === 'uint32' ? pick(U32) : f.kind === 'uint64' ? pick(U64) : next() < 0.5;
    }
    return v;
  };
  return {
    volumes: Array.from({ length: seed % 10 === 0 ? 0 : Math.floor(next() * 12) }, volume),
    inactivePools: Array.from({ length: Math.floor(next() * 3) }, () => pick(SAMPLES)),
    ...(seed % 3 === 0 ? {} : { nextPageToken: pick(SAMPLES) }),
  };
}

/** Same object, same key order at every level. */
function expectSame(got: unknown, want: unknown, what: string): void {
  expect(got, what).toEqual(want);
  expect(JSON.stringify(got), what).toBe(JSON.stringify(want));
}

describe('decodeListVolumesResponse', () => {
  it('builds what protobufjs builds, keys in the same order, from both encoders, for 300 seeded answers', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = answer(seed);
      for (const wire of [codec.responseSerialize(r), encodeListVolumesResponse(r)]) {
        expectSame(decodeListVolumesResponse(wire), codec.responseDeserialize(wire), `seed ${seed}`);
      }
    }
  });

  it('skips fields it does not know (every wire type), as protobufjs does', () => {
    const known = encodeListVolumesResponse({ volumes: [{ name: 'a', mappedBytes: 0 }], nextPageToken: 't' });
    // Field 99 as a varint, a fixed64, a length-delimited and a fixed32, at the top and inside the Volume.
    const unknown = Buffer.from([0x98, 0x06, 0x05, 0x99, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0x9a, 0x06, 0x02, 0x41, 0x42, 0x9d, 0x06, 1, 2, 3, 4]);
    const volume = encodeListVolumesResponse({ volumes: [{ name: 'a', mappedBytes: 0 }] }).subarray(2);
    const inner = Buffer.concat([Buffer.from([0x0a, volume.length + unknown.length]), volume, unknown]);
    for (const wire of [Buffer.concat([unknown, known]), Buffer.concat([inner, unknown])]) {
      expectSame(decodeListVolumesResponse(wire), codec.responseDeserialize(wire), wire.toString('hex'));
    }
  });

  it('throws on a truncated message, as protobufjs does', () => {
    const wire = encodeListVolumesResponse({ volumes: [{ name: 'abcdef', sizeBytes: 2 ** 40 }], inactivePools: ['p'] });
    for (const cut of [1, 3, 5, 9]) {
      expect(() => codec.responseDeserialize(wire.subarray(0, cut)), `cut ${cut}`).toThrow();
      expect(() => decodeListVolumesResponse(wire.subarray(0, cut)), `cut ${cut}`).toThrow(RangeError);
    }
  });
});
