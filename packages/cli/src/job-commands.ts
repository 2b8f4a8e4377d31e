/**
 * `thinfleet job ...`: the agent's background jobs (chunked deletes): list, show, watch with a
 * progress bar, cancel.
 */
import type { Job__Output } from '@thinfleet/proto';
import { agentCallCommand } from './agent-call-command.js';
import { present, type CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { jobFailure, waitForJob } from './job-wait.js';
import type { ParsedArgs } from './parsed-args.js';
import { jobStateName, jobTable, jobView } from './views.js';

/** The request of a command on one job: its ID argument. */
const jobId = (args: ParsedArgs): { id: string } => ({ id: args.positionals[0] ?? '' });

/** The human text of an answer that carries one job (show, cancel). */
const jobAnswer = (response: { readonly job: Job__Output | null }): string => jobView(present(response.job, 'job'));

/** The job commands, in help order. */
export const JOB_COMMANDS: readonly CommandSpec[] = [
  // Entries alike by design (duplicates pairs them by shape): each declares one command's help, request and text; the shared run is agentCallCommand.
  agentCallCommand({
    words: ['job', 'list'],
    arguments: [],
    summary: 'list running jobs and those that ended since the agent started, oldest first',
    examples: ['job list', '--json job list'],
    request: () => ({}),
    call: (agent, request) => agent.listJobs(request),
    human: (response) => jobTable(response.jobs),
  }),
  agentCallCommand({
    words: ['job', 'show'],
    arguments: ['ID'],
    summary: 'show one job: its volume, state, progress and error',
    examples: ['job show 3f9c2a7b1d04'],
    request: jobId,
    call: (agent, request) => agent.getJob(request),
    human: jobAnswer,
  }),
  {
    words: ['job', 'watch'],
    arguments: ['ID'],
    options: {},
    summary: 'follow a job with a progress bar until it ends (exit 1 if it failed or was cancelled)',
    details: 'With --json nothing is printed until the end; the document is {"job": <final state>}. Interrupting the command does not stop the job.',
    examples: ['job watch 3f9c2a7b1d04', '--json job watch 3f9c2a7b1d04'],
    async run(context, args) {
      const [id = ''] = args.positionals;
      const job = await waitForJob(context, id);
      context.out.result({ job }, () => (job === null ? '' : `job ${id} ${jobStateName(job.state)}`));
      const failure = jobFailure(id, job);
      return failure === null ? EXIT.OK : context.out.failed(failure);
    },
  },
  agentCallCommand({
    words: ['job', 'cancel'],
    arguments: ['ID'],
    summary: 'ask a job to stop after its current chunk (idempotent; what it did stays done)',
    examples: ['job cancel 3f9c2a7b1d04'],
    request: jobId,
    call: (agent, request) => agent.cancelJob(request),
    human: jobAnswer,
  }),
];
