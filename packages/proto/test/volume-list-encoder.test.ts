/**
 * The hand-specialised ListVolumesResponse encoder against protobufjs (the codec grpc-js uses):
 * on seeded generated messages its bytes decode to the same object as protobufjs's own bytes;
 * and it knows exactly the fields volume.proto declares (a field added there fails the drift
 * test until the encoder writes it).
 */
import { describe, expect, it } from 'vitest';
import { rng } from '../../../test/support/seeded.mjs';
import { agentPackageDefinition, loadAgentApi } from '../src/agent-api.js';
import type { Volume } from '../src/generated/thinfleet/agent/v1/Volume.js';
import type { ListVolumesResponse } from '../src/generated/thinfleet/agent/v1/ListVolumesResponse.js';
import { encodeListVolumesResponse, LIST_VOLUMES_RESPONSE_ENCODED_FIELDS, VOLUME_ENCODED_FIELDS, type EncodedField } from '../src/volume-list-encoder.js';

const codec = loadAgentApi().VolumeService.service.ListVolumes;
const viaProtobufjs = (r: ListVolumesResponse): unknown => codec.responseDeserialize(codec.responseSerialize(r));
const viaHand = (r: ListVolumesResponse): unknown => codec.responseDeserialize(encodeListVolumesResponse(r));

const SAMPLES = ['', 'a', 'vm-01.disk', 'é', 'ünïcødé-name', '日本語のボリューム', '😀🚀', 'x'.repeat(200), 'é'.repeat(150), '/dev/mapper/tf-pool-v'];
const U32 = [0, 1, 127, 128, 16_383, 16_384, 0xffffff, 0x7fffffff, 0xffffffff];
const U64 = [0, 1, 127, 128, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER];

function volume(next: () => number): Volume {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const v: Record<string, unknown> = {};
  for (const f of VOLUME_ENCODED_FIELDS) {
    // Unset (absent or null) a quarter of the time; otherwise a value of the field's kind.
    const r = next();
    if (r < 0.15) continue;
    if (r < 0.25) {
      v[f.name] = null;
      continue;
    }
    v[f.name] = f.kind === 'string' ? pick(SAMPLES) : f.kind === 'uint32' ? pick(U32) : f.kind === 'uint64' ? pick(U64) : next() < 0.5;
  }
  return v;
}

describe('encodeListVolumesResponse', () => {
  it('decodes to what protobufjs encodes, for 300 seeded responses (fields set and unset, unicode, max values, empty lists)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const next = rng(seed);
      const count = seed % 10 === 0 ? 0 : Math.floor(next() * 20);
      const response: ListVolumesResponse = {
        volumes: Array.from({ length: count }, () => volume(next)),
        inactivePools: seed % 3 === 0 ? [] : Array.from({ length: Math.floor(next() * 4) }, () => SAMPLES[Math.floor(next() * SAMPLES.length)]!),
        ...(seed % 4 === 0 ? {} : { nextPageToken: SAMPLES[Math.floor(next() * SAMPLES.length)]! }),
      };
      expect(viaHand(response), `seed ${seed}`).toEqual(viaProtobufjs(response));
    }
  });

  it('keeps explicit presence: optional usage fields set to 0 stay set, unset ones stay absent', () => {
    const set = viaHand({ volumes: [{ name: 'a', mappedBytes: 0, exclusiveBytes: 0, sharedBytes: 0 }] }) as { volumes: Array<Record<string, unknown>> };
    expect(set.volumes[0]).toMatchObject({ mappedBytes: 0, exclusiveBytes: 0, sharedBytes: 0 });
    const unset = viaHand({ volumes: [{ name: 'a' }] }) as { volumes: Array<Record<string, unknown>> };
    expect(unset.volumes[0]!.mappedBytes).toBeUndefined();
    expect(unset).toEqual(viaProtobufjs({ volumes: [{ name: 'a' }] }));
  });

  it('every field set at once, 64-bit values given as strings, bigints and numbers', () => {
    const all: Record<string, unknown> = {};
    for (const f of VOLUME_ENCODED_FIELDS) all[f.name] = f.kind === 'string' ? `${f.name}-é` : f.kind === 'bool' ? true : f.kind === 'uint32' ? 0xffffffff : Number.MAX_SAFE_INTEGER;
    const response = { volumes: [all as Volume, { ...all, sizeBytes: '9007199254740991', mappedBytes: 9007199254740991n } as unknown as Volume], inactivePools: ['p1', ''] };
    expect(viaHand(response)).toEqual(viaProtobufjs({ volumes: [all as Volume, all as Volume], inactivePools: ['p1', ''] }));
  });

  it('an empty response is zero bytes', () => {
    expect(encodeListVolumesResponse({}).length).toBe(0);
    expect(viaHand({ volumes: [], inactivePools: [] })).toEqual(viaProtobufjs({ volumes: [], inactivePools: [] }));
  });

  it('refuses a volume that is not an object, naming it', () => {
    expect(() => encodeListVolumesResponse({ volumes: [{ name: 'a' }, null as unknown as Volume] })).toThrow(/volumes\[1\]/);
  });
});

interface LoadedField {
  readonly name: string;
  readonly number: number;
  readonly type: string;
  readonly label: string;
  readonly oneofIndex?: number;
}

const KIND_OF_TYPE: Record<string, string> = { TYPE_STRING: 'string', TYPE_UINT32: 'uint32', TYPE_UINT64: 'uint64', TYPE_BOOL: 'bool', TYPE_MESSAGE: 'message' };

function descriptorFields(typeName: string): Array<{ number: number; name: string; kind: string; optional: boolean; repeated: boolean }> {
  const entry = agentPackageDefinition()[typeName] as unknown as { type: { field: LoadedField[]; oneofDecl: Array<{ name: string }> } };
  // proto-loader drops proto3Optional; an `optional` field is the one member of a synthetic oneof named `_<field>`.
  const optional = (f: LoadedField): boolean => f.oneofIndex !== undefined && entry.type.oneofDecl[f.oneofIndex]?.name === `_${f.name}`;
  return entry.type.field
    .map((f) => ({ number: f.number, name: f.name, kind: KIND_OF_TYPE[f.type] ?? f.type, optional: optional(f), repeated: f.label === 'LABEL_REPEATED' }))
    .sort((a, b) => a.number - b.number);
}

const encoderFields = (fields: readonly EncodedField[]): Array<{ number: number; name: string; kind: string; optional: boolean; repeated: boolean }> =>
  fields.map((f) => ({ number: f.number, name: f.name, kind: f.kind, optional: f.optional, repeated: f.repeated === true })).sort((a, b) => a.number - b.number);

describe('drift against volume.proto', () => {
  it('the encoder writes exactly the fields of thinfleet.agent.v1.Volume (number, name, type, presence)', () => {
    expect(encoderFields(VOLUME_ENCODED_FIELDS)).toEqual(descriptorFields('thinfleet.agent.v1.Volume'));
  });

  it('the encoder writes exactly the fields of thinfleet.agent.v1.ListVolumesResponse', () => {
    expect(encoderFields(LIST_VOLUMES_RESPONSE_ENCODED_FIELDS)).toEqual(descriptorFields('thinfleet.agent.v1.ListVolumesResponse'));
  });
});

describe("64-bit values outside the encoder's exact domain", () => {
  it('refuses negatives, fractions and floats past 2^53 with a RangeError (the agent then falls back to protobufjs)', () => {
    for (const bad of [-1, 1.5, 2 ** 60, '-3', '1e3', -1n, 2n ** 64n, true]) {
      expect(() => encodeListVolumesResponse({ volumes: [{ sharedBytes: bad as number }] }), String(bad)).toThrow(RangeError);
    }
  });
});
