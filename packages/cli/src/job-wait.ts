/**
 * Waiting for a background job (a chunked delete) with a progress bar, and what its end means
 * for the exit code. Shared by `volume delete` and `job watch`.
 */
import type { Job__Output } from '@thinfleet/proto';
import type { CommandContext } from './command.js';
import { ProgressBar } from './progress-bar.js';
import { jobStateName } from './views.js';

const FINAL_STATES = new Set(['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED', 'JOB_STATE_CANCELLED']);

/**
 * Watches job `id` until the agent's stream ends and returns the last state it reported (null
 * if it reported none). Draws a progress bar on standard error unless --json. Interrupting the
 * CLI stops watching; the job itself keeps running in the agent. Throws AgentCallError when the
 * watch fails (NOT_FOUND, or UNAVAILABLE if the agent goes away).
 */
export async function waitForJob(context: CommandContext, id: string): Promise<Job__Output | null> {
  const agent = await context.agent();
  const bar = context.out.json ? null : new ProgressBar(context.io.stderr, context.io.isTTY);
  let last: Job__Output | null = null;
  try {
    for await (const job of agent.watchJob(id)) {
      last = job;
      bar?.update(job.doneBytes, job.totalBytes);
    }
  } finally {
    bar?.finish();
  }
  return last;
}

/**
 * Why a job that ended counts as a failure, or null when it succeeded. A stream that ended
 * before the job did (the last state is not final) is a failure too.
 */
export function jobFailure(id: string, job: Job__Output | null): string | null {
  if (job === null) return `the agent reported nothing about job ${id}`;
  if (job.state === 'JOB_STATE_SUCCEEDED') return null;
  if (job.state === 'JOB_STATE_FAILED') {
    const code = job.errorCode === '' ? '' : ` (${job.errorCode})`;
    return `job ${id} (${job.kind} ${job.pool}/${job.volume}) failed: ${job.error || 'no reason given'}${code}`;
  }
  if (job.state === 'JOB_STATE_CANCELLED') return `job ${id} (${job.kind} ${job.pool}/${job.volume}) was cancelled; what it had done stays done`;
  if (!FINAL_STATES.has(job.state)) return `the watch of job ${id} ended while the job was still ${jobStateName(job.state)}`;
  return null;
}
