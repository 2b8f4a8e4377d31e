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
import { runWatch, StreamWatches } from './stream-watches.js';

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);

/** Longest job id a request may carry, in bytes. */
const MAX_JOB_ID_BYTES = 128;

/** The open WatchJob streams. */
export class JobWatches extends StreamWatches {}

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
      await runWatch(call, watches, 'watch the job again after it restarts', (end) => {
        let last = '';
        const send = (j: JobRecord): void => {
          const key = `${j.state}:${j.doneBytes}`;
          if (key !== last) {
            last = key;
            call.write({ job: jobMessage(j) });
          }
          if (ENDED.has(j.state)) end();
        };
        const unsubscribe = jobs.watch(first.id, send, (why) => end(new AgentError('JOB_MOVED', `${why}; watch it there (through the coordinator)`)));
        send(jobs.get(first.id));
        return unsubscribe;
      });
    }),
  };
}
