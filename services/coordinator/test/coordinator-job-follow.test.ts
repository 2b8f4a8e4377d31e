/**
 * The coordinator finds a delete job that moves with its pool. The hosts are scripted JobService
 * servers (each registered by a scripted session), so the test can put the hand-over exactly
 * where it races: after the coordinator found the job on the old host but before it opened the
 * watch there (the old host then answers NO_SUCH_JOB, not JOB_MOVED), and while no host has the
 * job yet (the volume index names it; the next holder adopts it later).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata, Server, ServerCredentials, status, type ServerWritableStream, type ServiceError, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { connectEtcd } from '@thinfleet/lock';
import { loadAgentApi } from '@thinfleet/proto';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { waitUntil } from '../../../test/support/wait-until.js';
import { failure, rawClients, type RawClients } from '../../agent/test/support/raw-clients.js';
import type { Coordinator } from '../src/coordinator.js';
import { ClusterRegistry } from '../src/registry.js';
import { connectScriptedAgent, type ScriptedAgent } from './support/scripted-agent.js';
import { startTestCoordinator, testPrefix } from './support/test-coordinator.js';

/** What one scripted host answers for its job. */
interface JobHostScript {
  jobId: string;
  /** Whether GetJob finds the job now. */
  has(): boolean;
  /** The watch: messages to stream then end, or the agent error code to end with. */
  watch(): { states: string[] } | { errorCode: string };
}

interface JobHost {
  address: string;
  getCalls: number;
  watchCalls: number;
  close(): Promise<void>;
}

function agentError(code: string, grpcCode: status, message: string): ServiceError {
  const metadata = new Metadata();
  metadata.set('tf-error-code', code);
  return Object.assign(new Error(message), { code: grpcCode, details: message, metadata });
}

const job = (id: string, state: string, doneBytes: number) => ({ job: { id, kind: 'delete', pool: 'jobs', volume: 'big', state, doneBytes, totalBytes: 100 } });

async function startJobHost(dir: string, name: string, script: JobHostScript): Promise<JobHost> {
  const server = new Server();
  const host: JobHost = { address: `unix:${join(dir, `${name}.sock`)}`, getCalls: 0, watchCalls: 0, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
  const handlers: UntypedServiceImplementation = {
    ListJobs: (_call: unknown, callback: (err: ServiceError | null, value?: unknown) => void) => callback(null, { jobs: [] }),
    GetJob: (call: { request: { id: string } }, callback: (err: ServiceError | null, value?: unknown) => void) => {
      host.getCalls += 1;
      if (call.request.id === script.jobId && script.has()) callback(null, job(script.jobId, 'JOB_STATE_RUNNING', 10));
      else callback(agentError('NO_SUCH_JOB', status.NOT_FOUND, `no job "${call.request.id}" on this host`));
    },
    CancelJob: (_call: unknown, callback: (err: ServiceError | null) => void) => callback(agentError('NO_SUCH_JOB', status.NOT_FOUND, 'no job')),
    WatchJob: (call: ServerWritableStream<{ id: string }, unknown>) => {
      host.watchCalls += 1;
      const answer = script.watch();
      if ('errorCode' in answer) {
        call.emit('error', agentError(answer.errorCode, answer.errorCode === 'JOB_MOVED' ? status.UNAVAILABLE : status.NOT_FOUND, `${answer.errorCode} (scripted)`));
        return;
      }
      answer.states.forEach((state, i) => call.write(job(script.jobId, state, 50 + 50 * i)));
      call.end();
    },
  };
  server.addService(loadAgentApi().JobService.service, handlers);
  await new Promise<void>((resolve, reject) => server.bindAsync(host.address, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return host;
}

let etcd: EtcdServer;
let etcdClient: Etcd3;
let registry: ClusterRegistry;
let coordinator: Coordinator;
let via: RawClients;
let dir: string;
const closers: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  etcd = await startEtcd();
  const prefix = testPrefix();
  etcdClient = connectEtcd({ endpoints: [etcd.endpoint] });
  registry = new ClusterRegistry(etcdClient, prefix);
  coordinator = await startTestCoordinator({ endpoint: etcd.endpoint, prefix });
  via = rawClients(coordinator.address);
  dir = mkdtempSync(join(tmpdir(), 'tf-job-follow-'));
});

afterAll(async () => {
  via.close();
  for (const close of closers.reverse()) await close();
  await coordinator.stop();
  etcdClient.close();
  await etcd.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Registers a scripted host with the coordinator under `nodeId`. */
async function register(nodeId: string, host: JobHost): Promise<ScriptedAgent> {
  const session = connectScriptedAgent(coordinator.address);
  await session.hello(nodeId, { address: host.address, pools: [] });
  session.startKeepAlive(500);
  closers.push(
    () => session.close(),
    () => host.close(),
  );
  return session;
}

function watchThroughCoordinator(jobId: string): { messages: Array<{ state: string; doneBytes: string }>; end: Promise<ServiceError | null> } {
  const stream = (via.job as unknown as { WatchJob(r: unknown): NodeJS.EventEmitter }).WatchJob({ id: jobId });
  const messages: Array<{ state: string; doneBytes: string }> = [];
  const end = new Promise<ServiceError | null>((resolve) => {
    stream.on('data', (m: { job: { state: string; doneBytes: string } }) => messages.push(m.job));
    stream.on('error', (err: ServiceError) => resolve(err));
    stream.on('end', () => resolve(null));
  });
  return { messages, end };
}

describe('finding a job that moves with its pool', () => {
  it('a watch follows a job that moved between finding its host and watching it there, through a gap with no host', async () => {
    const jobId = 'moved0late01';
    let oldHasIt = true;
    let adoptedAt = Infinity;
    const old = await startJobHost(dir, 'old1', {
      jobId,
      has: () => oldHasIt,
      // The hand-over lands here: the old host forgets the job before the watch reaches it.
      watch: () => {
        oldHasIt = false;
        adoptedAt = Date.now() + 600;
        return { errorCode: 'NO_SUCH_JOB' };
      },
    });
    const adopter = await startJobHost(dir, 'new1', { jobId, has: () => Date.now() >= adoptedAt, watch: () => ({ states: ['JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED'] }) });
    await register('node-old1', old);
    await register('node-new1', adopter);

    const { messages, end } = watchThroughCoordinator(jobId);
    expect(await end).toBeNull();
    expect(messages.map((m) => m.state)).toEqual(['JOB_STATE_RUNNING', 'JOB_STATE_SUCCEEDED']);
    expect(old.watchCalls).toBe(1);
    expect(adopter.watchCalls).toBe(1);
    // The adopter was asked while it did not have the job yet: the watch waited for it.
    expect(adopter.getCalls).toBeGreaterThan(2);
  });

  it('a watch or a lookup of a job no host has, which the volume index names, waits for the adopter', async () => {
    const jobId = 'moving0idx01';
    let adoptedAt = Infinity;
    const adopter = await startJobHost(dir, 'new2', { jobId, has: () => Date.now() >= adoptedAt, watch: () => ({ states: ['JOB_STATE_SUCCEEDED'] }) });
    await register('node-new2', adopter);
    await registry.putVolumes('jobs', [{ pool: 'jobs', name: 'big', uuid: 'u-big', sizeBytes: 100, jobId }]);

    const { messages, end } = watchThroughCoordinator(jobId);
    let lookedSettled = false;
    const looked = via.call<{ job: { id: string } }>(via.job, 'GetJob', { id: jobId }).finally(() => (lookedSettled = true));
    // The lookup and the watch have both asked the adopter, which did not have the job yet:
    // neither has an answer, both wait.
    await waitUntil('the lookup and the watch to ask the adopter before it has the job', () => adopter.getCalls >= 2);
    expect(lookedSettled).toBe(false);
    expect(messages).toEqual([]);
    adoptedAt = Date.now();
    expect((await looked).job.id).toBe(jobId);
    expect(await end).toBeNull();
    expect(messages.map((m) => m.state)).toEqual(['JOB_STATE_SUCCEEDED']);
  });

  it('a lookup of a moving job that nobody takes up says JOB_MOVED (retry) after a few seconds', async () => {
    const jobId = 'moving0idx02';
    await registry.putVolumes('jobs2', [{ pool: 'jobs2', name: 'big', uuid: 'u-big2', sizeBytes: 100, jobId }]);
    const startedMs = Date.now();
    const err = await failure(via.call(via.job, 'GetJob', { id: jobId }));
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(4_000);
    expect(err).toMatchObject({ code: status.UNAVAILABLE, errorCode: 'JOB_MOVED' });
    expect(err.details).toContain('jobs2');
  }, 15_000);

  it('a job that no host has and the index does not name is refused at once', async () => {
    const startedMs = Date.now();
    const stream = (via.job as unknown as { WatchJob(r: unknown): NodeJS.EventEmitter }).WatchJob({ id: 'nobody0has00' });
    const err = await new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.metadata.get('tf-error-code')).toEqual(['NO_SUCH_JOB']);
    expect(await failure(via.call(via.job, 'GetJob', { id: 'nobody0has00' }))).toMatchObject({ errorCode: 'NO_SUCH_JOB' });
    expect(Date.now() - startedMs).toBeLessThan(2_000);
  });
});
