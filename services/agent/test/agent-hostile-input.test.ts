/**
 * Hostile input over gRPC (issue 11, items 13-16 and 18): requests a fuzzer built from the
 * .proto files alone sent, as raw bytes. Each refused call is answered promptly with
 * INVALID_ARGUMENT (or the real error), names the field in `tf-field`, keeps every trailer
 * within what metadata may carry, and changes nothing.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { decodeTrailerValue } from '@thinfleet/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encode, lengthField, rawCall, varintField } from './support/proto-wire.js';
import { rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;
const V1 = 'thinfleet.agent.v1';

interface Failure {
  code: number;
  details: string;
  errorCode: string | null;
  field: string | null;
  item: string | null;
  trailerBytes: number;
}

async function failing(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (err) {
    const e = err as ServiceError;
    const get = (key: string): string | null => {
      const v = e.metadata?.get(key)[0];
      return v === undefined ? null : decodeTrailerValue(String(v));
    };
    let trailerBytes = 0;
    for (const [k, v] of Object.entries(e.metadata?.getMap() ?? {})) trailerBytes += k.length + String(v).length;
    return { code: e.code, details: e.details, errorCode: get('tf-error-code'), field: get('tf-field'), item: get('tf-item'), trailerBytes };
  }
  throw new Error('expected the call to fail, and it succeeded');
}

describe('hostile input over gRPC', () => {
  let t: TestAgent;
  let c: RawClients;

  beforeEach(async () => {
    t = await startTestAgent({ config: { maxRequestBytes: 4 * MiB } });
    c = rawClients(t.socketPath);
    const disk = join(t.stateDir, 'disk0.img');
    writeFileSync(disk, '');
    truncateSync(disk, 256 * MiB);
    await c.call(c.pool, 'CreatePool', { name: 'p1', devices: [disk] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p1', name: 'a', sizeBytes: MiB });
  });

  afterEach(async () => {
    c.close();
    await t.dispose();
  });

  const names = async (): Promise<string[]> => (await c.call<{ volumes: Array<{ name: string }> }>(c.volume, 'ListVolumes', { pool: 'p1' })).volumes.map((v) => v.name).sort();
  const tx = async (): Promise<string> => (await c.call<{ pool: { transactionId: string } }>(c.pool, 'GetPool', { name: 'p1' })).pool.transactionId;
  const batch = (bytes: Buffer): Promise<Buffer> => rawCall(c.volume, `/${V1}.VolumeService/Batch`, bytes, 5_000);

  describe('item 13: a long bad value is answered at once, quoted short', () => {
    for (const [what, value] of [
      ['ASCII', 'a'.repeat(200_000)],
      ['non-ASCII', 'é'.repeat(20_000)],
      ['4-byte characters', '😀'.repeat(20_000)],
    ] as const) {
      it(`GetVolume with a ${value.length}-character ${what} name fails with INVALID_ARGUMENT, and the channel keeps serving`, async () => {
        const f = await failing(rawCall(c.volume, `/${V1}.VolumeService/GetVolume`, encode(`${V1}.GetVolumeRequest`, { pool: 'p1', name: value }), 5_000));
        expect(f).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'name', errorCode: 'BAD_REQUEST' });
        expect(Buffer.byteLength(f.details)).toBeLessThan(1200);
        expect(f.trailerBytes).toBeLessThan(4096);
        expect(await names()).toEqual(['a']);
      });
    }

    it('a long device path is quoted short in NO_SUCH_DEVICE', async () => {
      const f = await failing(c.call(c.pool, 'CreatePool', { name: 'p2', devices: [`/${'x'.repeat(100_000)}`] }));
      expect(f.code).toBe(status.INVALID_ARGUMENT);
      expect(f.field).toBe('devices[0]');
      expect(Buffer.byteLength(f.details)).toBeLessThan(1200);
    });

    it('a long job id is quoted short', async () => {
      const f = await failing(c.call(c.job, 'GetJob', { id: 'j'.repeat(100_000) }));
      expect(Buffer.byteLength(f.details)).toBeLessThan(1200);
      expect([status.INVALID_ARGUMENT, status.NOT_FOUND]).toContain(f.code);
    });

    it('a request over maxRequestBytes is refused with RESOURCE_EXHAUSTED, and the channel keeps serving', async () => {
      const f = await failing(rawCall(c.volume, `/${V1}.VolumeService/GetVolume`, encode(`${V1}.GetVolumeRequest`, { pool: 'p1', name: 'b'.repeat(5 * MiB) }), 5_000));
      expect(f.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(await names()).toEqual(['a']);
    });
  });

  it('item 14: a non-ASCII batch item name keeps the real NOT_FOUND, with tf-item percent-encoded', async () => {
    const before = await tx();
    const f = await failing(c.call(c.volume, 'Batch', { pool: 'p1', ops: [{ item: 'é-1 %', delete: { name: 'missing' } }] }));
    expect(f).toMatchObject({ code: status.NOT_FOUND, errorCode: 'NO_SUCH_VOLUME', item: 'é-1 %' });
    expect(await tx()).toBe(before);
  });

  it('item 14: a batch item name longer than 128 bytes is refused, naming the field', async () => {
    const f = await failing(c.call(c.volume, 'Batch', { pool: 'p1', ops: [{ item: 'i'.repeat(129), delete: { name: 'a' } }] }));
    expect(f).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'ops[0].item' });
    expect(await names()).toEqual(['a']);
  });

  it('item 15: malformed bytes inside a batch op are INVALID_ARGUMENT naming the field', async () => {
    // BatchOp { item: "x", create: CreateOp { name: <varint, a string field> } }
    const op = Buffer.concat([lengthField(1, Buffer.from('x')), lengthField(2, varintField(1, 5))]);
    const request = Buffer.concat([lengthField(1, Buffer.from('p1')), lengthField(2, op)]);
    const f = await failing(batch(request));
    expect(f).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'ops[0].create.name', errorCode: 'BAD_REQUEST' });
    // A length that runs past the op's end.
    const truncated = Buffer.concat([lengthField(1, Buffer.from('p1')), lengthField(2, Buffer.concat([lengthField(1, Buffer.from('x')), Buffer.from([0x12, 0x09, 0x0a])]))]);
    expect(await failing(batch(truncated))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'ops[0].create' });
    expect(await names()).toEqual(['a']);
  });

  describe('item 16: a batch op with two operations set is refused', () => {
    const create = lengthField(2, encode(`${V1}.CreateOp`, { name: 'b', size_bytes: MiB }));
    const pin = lengthField(9, encode(`${V1}.PinOp`, { name: 'a', pinned: true }));
    const snapshot = lengthField(3, encode(`${V1}.SnapshotOp`, { source: 'a', name: 's' }));
    for (const [order, parts] of [
      ['create then pin', [create, pin]],
      ['pin then create', [pin, create]],
      ['snapshot then pin', [snapshot, pin]],
    ] as const) {
      it(order, async () => {
        const before = await tx();
        const op = Buffer.concat([lengthField(1, Buffer.from('x')), ...parts]);
        const f = await failing(batch(Buffer.concat([lengthField(1, Buffer.from('p1')), lengthField(2, op)])));
        expect(f).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'ops[0]', errorCode: 'BAD_REQUEST' });
        expect(await names()).toEqual(['a']);
        expect(await tx()).toBe(before);
        const pinned = await c.call<{ volume: { pinned: boolean } }>(c.volume, 'GetVolume', { pool: 'p1', name: 'a' });
        expect(pinned.volume.pinned).toBe(false);
      });
    }
  });

  describe('item 18: unknown enum values are refused with the field', () => {
    for (const mode of [3, 99, -1]) {
      it(`DeleteMode ${mode}`, async () => {
        const request = Buffer.concat([lengthField(1, Buffer.from('p1')), lengthField(2, Buffer.from('a')), varintField(3, mode)]);
        const f = await failing(rawCall(c.volume, `/${V1}.VolumeService/DeleteVolume`, request));
        expect(f).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'mode', errorCode: 'BAD_REQUEST' });
        expect(await names()).toEqual(['a']);
      });
    }
  });

  describe('item 18: engine refusals of an argument name the field', () => {
    it('revert from a volume that is not a snapshot', async () => {
      await c.call(c.volume, 'CreateVolume', { pool: 'p1', name: 'b', sizeBytes: MiB });
      expect(await failing(c.call(c.volume, 'RevertVolume', { pool: 'p1', name: 'a', snapshot: 'b' }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'snapshot' });
      expect(await failing(c.call(c.volume, 'Batch', { pool: 'p1', ops: [{ item: 'r', revert: { name: 'a', snapshot: 'b' } }] }))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        field: 'ops[0].revert.snapshot',
        item: 'r',
      });
    });

    it('a revision name over 64 bytes', async () => {
      const long = 'v'.repeat(60);
      await c.call(c.volume, 'CreateVolume', { pool: 'p1', name: long, sizeBytes: MiB });
      expect(await failing(c.call(c.volume, 'CreateRevision', { pool: 'p1', name: long, keep: 2 }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'name' });
      expect(await failing(c.call(c.volume, 'Batch', { pool: 'p1', ops: [{ revision: { name: long, keep: 2 } }] }))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        field: 'ops[0].revision.name',
      });
    });

    it('a bad metadata size and a bad data block size', async () => {
      const disk = join(t.stateDir, 'disk1.img');
      writeFileSync(disk, '');
      truncateSync(disk, 256 * MiB);
      expect(await failing(c.call(c.pool, 'CreatePool', { name: 'p2', devices: [disk], metadataBytes: 4096 }))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        field: 'metadata_bytes',
      });
    });

    it('an external origin the engine cannot size', async () => {
      const file = join(t.stateDir, 'not-a-device');
      writeFileSync(file, 'x');
      const f = await failing(c.call(c.volume, 'CreateVolume', { pool: 'p1', name: 'e', externalOrigin: file }));
      expect({ code: f.code, field: f.field }).toEqual({ code: status.INVALID_ARGUMENT, field: 'external_origin' });
      expect(f.details).toMatch(/less than one 512-byte sector/);
    });
  });
});
