/**
 * A chunked delete across a clean restart of a standalone agent running as a process (issue 11,
 * item 3): SIGTERM in the middle of the delete, start again over the same state, and the job
 * resumes from the checkpoint its record saved (not from 0, not from the pool's mark), finishes,
 * and the volume is gone.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../src/jobs/index.js';
import { waitUntil } from '../../../test/support/wait-until.js';
import { agentStateDir, startAgentProcess, type AgentProcess } from './support/agent-process.js';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const VOLUME_BYTES = 64 * MiB;

interface JobMessage {
  id: string;
  state: string;
  doneBytes: string | number;
  totalBytes: string | number;
  error: string;
}

const running: AgentProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.clients.close();
    p.kill('SIGKILL');
    await p.exited;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Watches job `id`, calling `onUpdate` with every message; resolves with the last one when the stream ends. */
function watchJob(p: AgentProcess, id: string, onUpdate: (job: JobMessage) => void = () => undefined): Promise<JobMessage | null> {
  return new Promise((resolve, reject) => {
    const stream = (p.clients.job as unknown as { WatchJob(r: unknown): ClientReadableStream<{ job: JobMessage }> }).WatchJob({ id });
    let last: JobMessage | null = null;
    stream.on('data', (m: { job: JobMessage }) => {
      last = m.job;
      onUpdate(m.job);
    });
    stream.on('end', () => resolve(last));
    stream.on('error', (err) => reject(err));
  });
}

describe('a chunked delete across SIGTERM and a restart of the agent process', () => {
  it('resumes from the checkpoint of its record and finishes', async () => {
    const { stateDir, disk } = agentStateDir(256 * MiB);
    dirs.push(stateDir);
    const config = { deleteChunkBytes: CHUNK };
    const first = await startAgentProcess(stateDir, config);
    running.push(first);
    const c = first.clients;
    await c.call(c.pool, 'CreatePool', { name: 'tank', devices: [disk] });
    await c.call(c.volume, 'CreateVolume', { pool: 'tank', name: 'keep', sizeBytes: MiB });
    await c.call(c.volume, 'CreateVolume', { pool: 'tank', name: 'big', sizeBytes: VOLUME_BYTES });
    const { jobId } = await c.call<{ jobId: string }>(c.volume, 'DeleteVolume', { pool: 'tank', name: 'big', mode: 'DELETE_MODE_CHUNKED' });

    // SIGTERM once the job has made progress (a few chunks of 1024).
    let signalled = false;
    const watching = watchJob(first, jobId, (job) => {
      if (!signalled && Number(job.doneBytes) >= 4 * CHUNK) {
        signalled = true;
        first.kill('SIGTERM');
      }
    }).catch((err: unknown) => err);
    expect(await first.exited).toBe(0);
    await watching;
    first.clients.close();
    running.splice(running.indexOf(first), 1);
    expect(first.log.some((l) => l['msg'] === 'job stopped for shutdown; it resumes at the next start')).toBe(true);
    const record = JSON.parse(readFileSync(join(stateDir, 'jobs', `${jobId}.json`), 'utf8')) as JobRecord;
    expect(record.state).toBe('running');
    expect(record.doneBytes).toBeGreaterThanOrEqual(4 * CHUNK);
    expect(record.doneBytes, 'the job ended before SIGTERM stopped it; the test proves nothing').toBeLessThan(VOLUME_BYTES);

    const second = await startAgentProcess(stateDir, config);
    running.push(second);
    const end = await watchJob(second, jobId);
    expect(end).toMatchObject({ id: jobId, state: 'JOB_STATE_SUCCEEDED', error: '' });
    expect(Number(end!.doneBytes)).toBe(VOLUME_BYTES);
    // Resumed from the record's checkpoint: not adopted anew from the pool's mark, not from 0.
    expect(second.log.filter((l) => l['msg'] === 'delete job adopted from the pool')).toEqual([]);
    const resumedFrom = await waitUntil(
      'the resumed run to log where it starts',
      () => {
        const line = second.log.find((l) => l['msg'] === 'discarding the volume chunk by chunk' && l['job'] === jobId);
        return line === undefined ? null : line['fromBytes'];
      },
      20_000,
    );
    expect(resumedFrom).toBe(record.doneBytes);
    expect(second.log.filter((l) => l['level'] === 50)).toEqual([]);
    const { volumes } = await second.clients.call<{ volumes: Array<{ name: string }> }>(second.clients.volume, 'ListVolumes', { pool: 'tank' });
    expect(volumes.map((v) => v.name)).toEqual(['keep']);
  });
});
