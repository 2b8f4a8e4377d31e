/**
 * Answers that are one Volume are encoded by the hand Volume encoder (volume-answer-serializer.ts):
 * only those methods are rewired, their bytes (an overprovisioning warning appended by protobufjs)
 * decode to what protobufjs's bytes decode to, and an answer without a volume or outside the
 * encoder's domain is protobufjs's, byte for byte.
 */
import { loadAgentApi, type Volume } from '@thinfleet/proto';
import { describe, expect, it } from 'vitest';
import { handEncodedVolumeAnswers } from '../src/volume-answer-serializer.js';

const MiB = 1024 * 1024;
const service = loadAgentApi().VolumeService.service;
const rewired = handEncodedVolumeAnswers(service);

const volume: Volume = {
  pool: 'p',
  name: 'snap',
  uuid: '0b6d3b7e-5a43-4bd5-9a3c-1f2a9c1e2d01',
  thinId: 7,
  sizeBytes: 1024 * MiB,
  origin: 'base',
  externalOrigin: '',
  created: '2026-12-06T16:00:00.000Z',
  revisionOf: '',
  revision: 0,
  pinned: true,
  active: false,
  devicePath: '',
  jobId: '',
  deviceSimulated: true,
};

describe('handEncodedVolumeAnswers', () => {
  it('rewires exactly the unary methods whose answer is one Volume (and perhaps a warning)', () => {
    const changed = Object.keys(service).filter((name) => rewired[name] !== (service as unknown as Record<string, unknown>)[name]);
    expect(changed).toEqual(expect.arrayContaining(['CreateVolume', 'SnapshotVolume', 'GetVolume', 'RenameVolume', 'ResizeVolume']));
    expect(changed).not.toContain('ListVolumes');
    expect(changed).not.toContain('DeleteVolume'); // volume and job_id
    expect(changed).not.toContain('Batch');
  });

  it('encodes a volume so that it decodes to what protobufjs bytes decode to', () => {
    for (const v of [volume, { ...volume, mappedBytes: 0, exclusiveBytes: 0, sharedBytes: 0 }, { ...volume, name: 'ünï', mappedBytes: 3 * MiB, exclusiveBytes: MiB, sharedBytes: 2 * MiB }]) {
      const answer = { volume: v };
      const bytes = rewired.SnapshotVolume!.responseSerialize(answer);
      const reference = service.SnapshotVolume.responseSerialize(answer);
      expect(bytes).not.toEqual(reference); // protobufjs writes the empty strings: the hand encoder ran
      expect(service.SnapshotVolume.responseDeserialize(bytes)).toEqual(service.SnapshotVolume.responseDeserialize(reference));
    }
  });

  it('appends a warning encoded by protobufjs, decoding as protobufjs bytes do', () => {
    const answer = { volume, overprovision: { provisionedBytes: 64 * 1024 * MiB, dataBytes: 4 * 1024 * MiB, ratioLimit: 1, ratio: 16, message: 'pool p is overprovisioned' } };
    const bytes = rewired.SnapshotVolume!.responseSerialize(answer);
    const reference = service.SnapshotVolume.responseSerialize(answer);
    expect(bytes).not.toEqual(reference);
    expect(service.SnapshotVolume.responseDeserialize(bytes)).toEqual(service.SnapshotVolume.responseDeserialize(reference));
  });

  it('leaves an answer without a volume, or outside the encoder, to protobufjs', () => {
    for (const answer of [{}, { volume: null }, { volume: { ...volume, sharedBytes: -1 } }]) {
      expect(rewired.SnapshotVolume!.responseSerialize(answer)).toEqual(service.SnapshotVolume.responseSerialize(answer));
    }
  });
});
