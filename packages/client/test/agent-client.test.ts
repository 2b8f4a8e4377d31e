/**
 * AgentClient against a real grpc-js server on a unix socket, with handlers written here: round
 * trips, deadlines, trailers as typed error fields, job streams, and an agent that is not there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, Server, ServerCredentials, status, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import {
  decodeListVolumesResponse,
  loadAgentApi,
  type GetVolumeRequest__Output,
  type Job,
  type JobServiceHandlers,
  type VolumeServiceHandlers,
  type WatchJobRequest__Output,
  type WatchJobResponse,
} from '@thinfleet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_RPCS } from '../src/agent-rpcs.js';
import { AgentCallError, AgentClient, parseAgentTarget } from '../src/index.js';
import { handDecodedVolumeService } from '../src/agent-client.js';

const scratch = mkdtempSync(join(tmpdir(), 'tf-client-'));
const socketPath = join(scratch, 'agent.sock');
const server = new Server();
const held: Array<() => void> = [];
let watchCancelled: Promise<void> = Promise.resolve();
let client: AgentClient;

function job(id: string, state: Job['state'], doneBytes: number): Job {
  return { id, kind: 'delete', pool: 'p', volume: 'v', state, doneBytes, totalBytes: 300 };
}

// Only the methods these tests call; grpc-js answers the others UNIMPLEMENTED.
/** Request ids CreateVolume saw, in order; its first call for each name is answered UNAVAILABLE. */
const createdIds: string[] = [];
const volumeHandlers: Partial<VolumeServiceHandlers> = {
  CreateVolume(call, callback) {
    createdIds.push(call.request.requestId);
    if (createdIds.length % 2 === 1) {
      callback({ code: status.UNAVAILABLE, details: 'connection dropped (test)' });
      return;
    }
    callback(null, { volume: { pool: call.request.pool, name: call.request.name } });
  },
  GetVolume(call, callback) {
    const request: GetVolumeRequest__Output = call.request;
    if (request.name === 'slow') {
      // Never answers on its own: the client's deadline must end the call.
      held.push(() => callback({ code: status.ABORTED, details: 'test over' }));
      return;
    }
    if (request.name === 'encoded') {
      // An agent percent-encodes tf-* values: this item name is "é %".
      const trailers = new Metadata();
      trailers.set('tf-error-code', 'NO_SUCH_VOLUME');
      trailers.set('tf-item', '%C3%A9 %25');
      callback({ code: status.NOT_FOUND, details: 'item "é %": no volume', metadata: trailers });
      return;
    }
    if (request.name === 'missing') {
      const trailers = new Metadata();
      trailers.set('tf-error-code', 'NO_SUCH_VOLUME');
      trailers.set('tf-errno', 'ENOENT');
      trailers.set('tf-field', 'name');
      trailers.set('tf-item', 'make-it');
      const error: Partial<ServiceError> = { code: status.NOT_FOUND, details: 'no volume "missing" in pool "p"', metadata: trailers };
      callback(error);
      return;
    }
    callback(null, { volume: { pool: request.pool, name: request.name, sizeBytes: 1 << 20, mappedBytes: request.usage ? 4096 : undefined } });
  },
  ListVolumes(call, callback) {
    const volumes = [
      { pool: 'p', name: 'a', sizeBytes: 1 << 20, mappedBytes: 0 },
      { pool: 'p', name: 'é' },
    ];
    callback(null, { volumes, inactivePools: ['cold'], nextPageToken: call.request.pageToken === '' ? 'next' : '' });
  },
};

const jobHandlers: Partial<JobServiceHandlers> = {
  WatchJob(call: ServerWritableStream<WatchJobRequest__Output, WatchJobResponse>) {
    const id = call.request.id;
    if (id === 'done') {
      call.write({ job: job(id, 'JOB_STATE_RUNNING', 0) });
      call.write({ job: job(id, 'JOB_STATE_RUNNING', 150) });
      call.write({ job: job(id, 'JOB_STATE_SUCCEEDED', 300) });
      call.end();
    } else if (id === 'forever') {
      watchCancelled = new Promise((resolve) => call.on('cancelled', () => resolve()));
      call.write({ job: job(id, 'JOB_STATE_RUNNING', 10) });
    } else {
      const trailers = new Metadata();
      trailers.set('tf-error-code', 'NO_SUCH_JOB');
      call.emit('error', { code: status.NOT_FOUND, details: `no job ${id}`, metadata: trailers });
    }
  },
};

beforeAll(async () => {
  const api = loadAgentApi();
  server.addService(api.VolumeService.service, volumeHandlers as VolumeServiceHandlers);
  server.addService(api.JobService.service, jobHandlers as JobServiceHandlers);
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  client = await AgentClient.connect(socketPath);
});

afterAll(async () => {
  client.close();
  for (const release of held) release();
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  rmSync(scratch, { recursive: true, force: true });
});

describe('AgentClient', () => {
  it('sends the request and resolves to the decoded response', async () => {
    const response = await client.getVolume({ pool: 'p', name: 'a', usage: true });
    expect(response.volume).toMatchObject({ pool: 'p', name: 'a', sizeBytes: 1 << 20, mappedBytes: 4096, origin: '' });
  });

  it('decodes ListVolumes with the hand decoder, to what protobufjs decodes', async () => {
    const service = handDecodedVolumeService().service.ListVolumes;
    expect(service.responseDeserialize).toBe(decodeListVolumesResponse);
    const response = await client.listVolumes({ pool: 'p', pageSize: 2 });
    const codec = loadAgentApi().VolumeService.service.ListVolumes;
    expect(JSON.stringify(response)).toBe(JSON.stringify(codec.responseDeserialize(codec.responseSerialize(response))));
    expect(response).toMatchObject({
      inactivePools: ['cold'],
      nextPageToken: 'next',
      volumes: [
        { name: 'a', mappedBytes: 0 },
        { name: 'é', origin: '' },
      ],
    });
  });

  it('has one method for every unary RPC of the agent API, made on the service that defines it', () => {
    const api = loadAgentApi();
    const services = { pools: api.PoolService.service, volumes: api.VolumeService.service, jobs: api.JobService.service, deviceSnapshots: api.DeviceSnapshotService.service };
    const unary = Object.entries(services).flatMap(([service, definition]) =>
      Object.values(definition)
        .filter((method) => !method.requestStream && !method.responseStream)
        .map((method) => `${service}.${method.originalName}`),
    );
    const table = Object.entries(AGENT_RPCS).map(([method, [service]]) => `${service}.${method}`);
    expect(table.sort()).toEqual(unary.sort());
    for (const method of Object.keys(AGENT_RPCS)) expect(typeof (client as unknown as Record<string, unknown>)[method]).toBe('function');
  });

  it('accepts unix:PATH as a target too', async () => {
    const other = await AgentClient.connect(`unix:${socketPath}`);
    try {
      expect((await other.getVolume({ pool: 'q', name: 'b' })).volume?.pool).toBe('q');
    } finally {
      other.close();
    }
  });

  it('sends a request id with each mutating call and reuses it when it retries a lost answer', async () => {
    createdIds.length = 0;
    const created = await client.createVolume({ pool: 'p', name: 'a', sizeBytes: 1 << 20 }, { retryForMs: 5_000 });
    expect(created.volume?.name).toBe('a');
    expect(createdIds).toHaveLength(2);
    expect(createdIds[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(createdIds[1]).toBe(createdIds[0]);
    // Without retryForMs the lost answer is the caller's to handle; the next call has a new id.
    createdIds.length = 0;
    await expect(client.createVolume({ pool: 'p', name: 'b', sizeBytes: 1 << 20 })).rejects.toMatchObject({ status: 'UNAVAILABLE' });
    await client.createVolume({ pool: 'p', name: 'b', sizeBytes: 1 << 20 }, { requestId: 'mine' });
    expect(createdIds[1]).toBe('mine');
    expect(createdIds[0]).not.toBe('mine');
  });

  it('decodes percent-encoded trailers (a non-ASCII batch item name)', async () => {
    const error = await client.getVolume({ pool: 'p', name: 'encoded' }).catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 'NOT_FOUND', errorCode: 'NO_SUCH_VOLUME', item: 'é %' });
  });

  it('fails a call that outlives its deadline with a typed DEADLINE_EXCEEDED', async () => {
    const error = await client.getVolume({ pool: 'p', name: 'slow' }, { deadlineMs: 50 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ status: 'DEADLINE_EXCEEDED', grpcCode: status.DEADLINE_EXCEEDED, errorCode: null, isUnavailable: false });
  });

  it('puts the trailing metadata into the error fields and keeps the agent message', async () => {
    const error = await client.getVolume({ pool: 'p', name: 'missing' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AgentCallError);
    const typed = error as AgentCallError;
    expect(typed.message).toBe('no volume "missing" in pool "p"');
    expect(typed).toMatchObject({ status: 'NOT_FOUND', grpcCode: 5, errorCode: 'NO_SUCH_VOLUME', errno: 'ENOENT', field: 'name', item: 'make-it' });
    expect((typed.cause as ServiceError).code).toBe(status.NOT_FOUND);
  });

  it('reports an unimplemented method as UNIMPLEMENTED, not as an unreachable agent', async () => {
    const error = await client.listPools().catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 'UNIMPLEMENTED', isUnavailable: false });
  });

  it('streams a job until its final state', async () => {
    const seen: Array<[string, number]> = [];
    for await (const update of client.watchJob('done')) seen.push([update.state, update.doneBytes]);
    expect(seen).toEqual([
      ['JOB_STATE_RUNNING', 0],
      ['JOB_STATE_RUNNING', 150],
      ['JOB_STATE_SUCCEEDED', 300],
    ]);
  });

  it('cancels the watch when the caller leaves the loop', async () => {
    const seen: string[] = [];
    for await (const update of client.watchJob('forever')) {
      seen.push(update.id);
      break;
    }
    await watchCancelled;
    expect(seen).toEqual(['forever']);
  });

  it('throws a failed stream as an AgentCallError', async () => {
    const consume = async (): Promise<void> => {
      for await (const update of client.watchJob('nope')) expect.unreachable(`got ${update.id}`);
    };
    const error = await consume().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AgentCallError);
    expect(error).toMatchObject({ status: 'NOT_FOUND', errorCode: 'NO_SUCH_JOB', message: 'no job nope' });
  });

  it('reports a socket nobody listens on as unavailable', async () => {
    const absent = await AgentClient.connect(join(scratch, 'no-agent.sock'));
    try {
      const error = await absent.listPools().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(AgentCallError);
      expect(error).toMatchObject({ status: 'UNAVAILABLE', isUnavailable: true, errorCode: null });
    } finally {
      absent.close();
    }
  });

  it('refuses a TCP target without TLS, and names a PEM file it cannot read', async () => {
    await expect(AgentClient.connect('127.0.0.1:9745')).rejects.toThrow(/needs mutual TLS/);
    const missing = join(scratch, 'ca.pem');
    await expect(AgentClient.connect('agent.example:9745', { tls: { caFile: missing, certFile: missing, keyFile: missing } })).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining(missing),
    });
  });
});

describe('parseAgentTarget', () => {
  it('tells socket paths from host:port', () => {
    expect(parseAgentTarget('/run/thinfleet/agent.sock')).toEqual({ kind: 'unix', path: '/run/thinfleet/agent.sock', address: 'unix:/run/thinfleet/agent.sock' });
    expect(parseAgentTarget('unix:/tmp/a.sock')).toMatchObject({ kind: 'unix', path: '/tmp/a.sock' });
    expect(parseAgentTarget('unix:///tmp/a.sock')).toMatchObject({ kind: 'unix', path: '/tmp/a.sock' });
    expect(parseAgentTarget('agent.sock')).toMatchObject({ kind: 'unix', path: join(process.cwd(), 'agent.sock') });
    expect(parseAgentTarget('node-3.example:9745')).toEqual({ kind: 'tcp', host: 'node-3.example', port: 9745, address: 'node-3.example:9745' });
    expect(parseAgentTarget('[::1]:9745')).toMatchObject({ kind: 'tcp', host: '[::1]', port: 9745 });
    expect(() => parseAgentTarget('host:70000')).toThrow(/out of range/);
    expect(() => parseAgentTarget('')).toThrow(/empty/);
  });
});
