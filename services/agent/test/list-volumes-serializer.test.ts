/**
 * ListVolumes is answered with the hand-specialised encoder (list-volumes-serializer.ts): the
 * registered serializer is it, other methods keep protobufjs, an answer outside its exact domain
 * falls back to protobufjs, and a real agent's ListVolumes bytes on the wire are the hand
 * encoder's and decode to the answer the client expects.
 */
import { credentials, makeGenericClientConstructor, Metadata } from '@grpc/grpc-js';
import { encodeListVolumesResponse, loadAgentApi, type ListVolumesResponse } from '@thinfleet/proto';
import { describe, expect, it } from 'vitest';
import { handEncodedListVolumes } from '../src/list-volumes-serializer.js';
import { rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;
const service = loadAgentApi().VolumeService.service;

describe('handEncodedListVolumes', () => {
  it('replaces only the serializer of ListVolumes', () => {
    const out = handEncodedListVolumes(service);
    const answer: ListVolumesResponse = {
      volumes: [{ pool: 'p', name: 'a', uuid: 'u', thinId: 1, sizeBytes: MiB, created: '2026-12-06T00:00:00Z', origin: '', mappedBytes: 0 }],
      inactivePools: ['q'],
    };
    expect(out.ListVolumes!.responseSerialize(answer)).toEqual(encodeListVolumesResponse(answer));
    // protobufjs writes the empty strings the hand encoder leaves out: the two are told apart.
    expect(service.ListVolumes.responseSerialize(answer)).not.toEqual(encodeListVolumesResponse(answer));
    for (const name of Object.keys(service).filter((n) => n !== 'ListVolumes')) {
      expect(out[name], name).toBe((service as unknown as Record<string, unknown>)[name]);
    }
  });

  it('falls back to protobufjs for an answer the hand encoder refuses (a negative 64-bit value)', () => {
    const odd = { volumes: [{ name: 'a', sharedBytes: -1 }] };
    expect(handEncodedListVolumes(service).ListVolumes!.responseSerialize(odd)).toEqual(service.ListVolumes.responseSerialize(odd));
  });
});

describe('ListVolumes of a running agent', () => {
  it('sends the hand encoder bytes, which decode to every volume with its usage', async () => {
    const t: TestAgent = await startTestAgent();
    const c: RawClients = rawClients(t.socketPath);
    try {
      await c.call(c.pool, 'CreatePool', { name: 'p', devices: [t.sparseFile('d.img', 256 * MiB)] });
      await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'base', sizeBytes: 8 * MiB, activate: true });
      await c.call(c.volume, 'SnapshotVolume', { pool: 'p', source: 'base', name: 'snap' });
      // A client that keeps the raw bytes of the answer.
      const Raw = makeGenericClientConstructor({ ListVolumes: { ...service.ListVolumes, responseDeserialize: (bytes: Buffer) => bytes } }, 'VolumeService');
      const raw = new Raw(`unix:${t.socketPath}`, credentials.createInsecure());
      const bytes = await new Promise<Buffer>((resolve, reject) => {
        (raw as unknown as Record<string, (r: unknown, m: Metadata, cb: (e: Error | null, b: Buffer) => void) => void>).ListVolumes!({ pool: 'p', usage: true }, new Metadata(), (e, b) =>
          e ? reject(e) : resolve(b),
        );
      });
      raw.close();
      const decoded = service.ListVolumes.responseDeserialize(bytes) as ListVolumesResponse;
      expect(decoded.volumes!.map((v) => [v.name, v.mappedBytes])).toEqual([
        ['base', 0],
        ['snap', 0],
      ]);
      expect(bytes).toEqual(encodeListVolumesResponse(decoded));
      expect(bytes).not.toEqual(service.ListVolumes.responseSerialize(decoded));
    } finally {
      c.close();
      await t.dispose();
    }
  });
});
