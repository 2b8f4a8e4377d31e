/**
 * VolumeTransferService.ReadVolumeRuns on a real agent (simulated device-mapper): the source
 * side of a copy between hosts. A window streams its data in pieces of at most 1 MiB, each with
 * its SHA-256, then the window's digest; hostile requests are refused naming the field, with
 * nothing the caller sent echoed beyond a short prefix.
 */
import { credentials, Metadata, status, type ClientReadableStream } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentApi, type ReadVolumeRunsResponse__Output } from '@thinfleet/proto';
import { sha256Of, windowDigest } from '../src/jobs/copy-source.js';
import { pattern } from './support/job-harness.js';
import { rawClients } from './support/raw-clients.js';
import { startTestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Read = (r: unknown, m: Metadata, o: object) => ClientReadableStream<ReadVolumeRunsResponse__Output>;

/** Every message of one ReadVolumeRuns call, or its error. */
function readRuns(client: { ReadVolumeRuns: Read }, request: object): Promise<ReadVolumeRunsResponse__Output[]> {
  return new Promise((resolve, reject) => {
    const out: ReadVolumeRunsResponse__Output[] = [];
    const stream = client.ReadVolumeRuns(request, new Metadata(), { deadline: new Date(Date.now() + 30_000) });
    stream.on('data', (m: ReadVolumeRunsResponse__Output) => out.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

describe('ReadVolumeRuns', () => {
  it('streams a window in checked pieces of at most 1 MiB and its digest; refuses hostile requests naming the field', async () => {
    const t = await startTestAgent();
    const c = rawClients(t.socketPath);
    const transfer = new (loadAgentApi().VolumeTransferService)(`unix:${t.socketPath}`, credentials.createInsecure()) as unknown as { ReadVolumeRuns: Read; close(): void };
    cleanups.push(
      () => t.dispose(),
      () => c.close(),
      () => transfer.close(),
    );
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [t.sparseFile('d0', 64 * MiB)] });
    const { volume } = await c.call<{ volume: { uuid: string } }>(c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: 8 * MiB, activate: true });
    const data = pattern(3, 3 * MiB);
    for (let at = 0; at < data.length; at += MiB) await c.call(c.volume, 'WriteVolume', { pool: 'p', name: 'v', offsetBytes: MiB + at, data: data.subarray(at, at + MiB) });
    await c.call(c.volume, 'DeactivateVolume', { pool: 'p', name: 'v' });

    const request = { pool: 'p', uuid: volume.uuid, fromBytes: 0, lengthBytes: 4 * MiB, zeroGranuleBytes: 64 * 1024 };
    const messages = await readRuns(transfer, request);
    const pieces = messages.slice(0, -1);
    expect(pieces.map((m) => [Number(m.offsetBytes), m.data.length])).toEqual([
      [MiB, MiB],
      [2 * MiB, MiB],
      [3 * MiB, MiB],
    ]);
    for (const m of pieces) expect(Buffer.from(m.sha256).toString('hex')).toBe(sha256Of(m.data));
    const last = messages.at(-1)!;
    expect(last.data.length).toBe(0);
    expect(Buffer.from(last.windowSha256).toString('hex')).toBe(windowDigest(0, 4 * MiB, [{ offsetBytes: MiB, data }]));

    const refused = async (over: object): Promise<{ code: number; field: string | undefined; details: string }> => {
      const err = await readRuns(transfer, { ...request, ...over }).then(
        () => null,
        (e: { code: number; details: string; metadata: Metadata }) => e,
      );
      if (err === null) throw new Error(`accepted ${JSON.stringify(over).slice(0, 80)}`);
      return { code: err.code, field: err.metadata.get('tf-field')[0]?.toString(), details: err.details };
    };
    expect(await refused({ pool: 'x'.repeat(5000) })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'pool' });
    const long = await refused({ uuid: 'u'.repeat(5000) });
    expect(long).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'uuid' });
    expect(long.details.length).toBeLessThan(200);
    expect(await refused({ uuid: '' })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'uuid' });
    expect(await refused({ fromBytes: 100 })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'from_bytes' });
    expect(await refused({ lengthBytes: 0 })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'length_bytes' });
    expect(await refused({ lengthBytes: 8 * MiB })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'length_bytes' });
    expect(await refused({ zeroGranuleBytes: 3000 })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'zero_granule_bytes' });
    expect(await refused({ keepOrigin: true })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'keep_origin' });
    expect(await refused({ uuid: 'not-a-volume' })).toMatchObject({ code: status.NOT_FOUND });
    expect(await refused({ pool: 'nopool' })).toMatchObject({ code: status.NOT_FOUND });
  });
});
