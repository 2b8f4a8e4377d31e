/**
 * JobService handlers over the JobManager. WatchJob sends the job at once, then every change,
 * and ends after the job's final state; at shutdown every watch ends with UNAVAILABLE (the job
 * itself stays resumable and a client can watch it again after the restart).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { JobServiceHandlers, WatchJobRequest__Output } from '@thinfleet/proto';
import { AgentError } from './agent-error.js';
import type { JobManager, JobRecord } from './jobs/index.js';
import { jobMessage } from './proto-messages.js';
import { textField } from './request-checks.js';
import { serverStream, unary, type RpcContext } from './rpc.js';

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

/** Longest job id a request may carry, in bytes. */
const MAX_JOB_ID_BYTES = 128;

export class JobWatches {
  private readonly stops = new Set<() => void>();

  /** Ends every watch (agent shutdown). */
  endAll(): void {
    for (const stop of [...this.stops]) stop();
  }

  track(stop: () => void): () => void {
    this.stops.add(stop);
    return () => this.stops.delete(stop);
  }
}

export function jobServiceHandlers(ctx: RpcContext, jobs: JobManager, watches: JobWatches): JobServiceHandlers & UntypedServiceImplementation {
  /** Job ids are short (the agent makes them); a longer one is refused before any message repeats it. */
  const jobId = (field: string, id: unknown): string => textField(field, id, MAX_JOB_ID_BYTES);
  const job = (field: string, id: unknown): JobRecord => jobs.get(jobId(field, id));
  return {
    ListJobs: unary(ctx, 'ListJobs', async () => ({ jobs: jobs.list().map(jobMessage) })),

    GetJob: unary(ctx, 'GetJob', async (r) => ({ job: jobMessage(job('id', r.id)) })),

    CancelJob: unary(ctx, 'CancelJob', async (r) => ({ job: jobMessage(await jobs.cancel(jobId('id', r.id))) })),

    WatchJob: serverStream(ctx, 'WatchJob', async (r: WatchJobRequest__Output, call) => {
      const first = job('id', r.id);
      await new Promise<void>((resolve, reject) => {
        let settled = false;
        let unsubscribe: () => void = () => {};
        const finish = (err?: Error): void => {
          if (settled) return;
          settled = true;
          unsubscribe();
          untrack();
          if (err) reject(err);
          else resolve();
        };
        const untrack = watches.track(() => finish(new AgentError('SHUTTING_DOWN', 'the agent is shutting down; watch the job again after it restarts')));
        call.on('cancelled', () => finish());
        let last = '';
        const send = (j: JobRecord): void => {
          const key = `${j.state}:${j.doneBytes}`;
          if (key !== last && !settled) {
            last = key;
            call.write({ job: jobMessage(j) });
          }
          if (ENDED.has(j.state)) finish();
        };
        unsubscribe = jobs.watch(first.id, send, (why) => finish(new AgentError('JOB_MOVED', `${why}; watch it there (through the coordinator)`)));
        send(jobs.get(first.id));
      });
    }),
  };
}
