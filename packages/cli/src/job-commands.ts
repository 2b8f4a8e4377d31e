/**
 * `thinfleet job ...`: the agent's background jobs (chunked deletes): list, show, watch with a
 * progress bar, cancel.
 */
import { present, type CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { jobFailure, waitForJob } from './job-wait.js';
import { jobStateName, jobTable, jobView } from './views.js';

/** The job commands, in help order. */
export const JOB_COMMANDS: readonly CommandSpec[] = [
  {
    words: ['job', 'list'],
    arguments: [],
    options: {},
    summary: 'list running jobs and those that ended since the agent started, oldest first',
    examples: ['job list', '--json job list'],
    async run(context) {
      const response = await (await context.agent()).listJobs({});
      context.out.result(response, () => jobTable(response.jobs));
      return EXIT.OK;
    },
  },
  {
    words: ['job', 'show'],
    arguments: ['ID'],
    options: {},
    summary: 'show one job: its volume, state, progress and error',
    examples: ['job show 3f9c2a7b1d04'],
    async run(context, args) {
      const [id = ''] = args.positionals;
      const response = await (await context.agent()).getJob({ id });
      context.out.result(response, () => jobView(present(response.job, 'job')));
      return EXIT.OK;
    },
  },
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
  {
    words: ['job', 'cancel'],
    arguments: ['ID'],
    options: {},
    summary: 'ask a job to stop after its current chunk (idempotent; what it did stays done)',
    examples: ['job cancel 3f9c2a7b1d04'],
    async run(context, args) {
      const [id = ''] = args.positionals;
      const response = await (await context.agent()).cancelJob({ id });
      context.out.result(response, () => jobView(present(response.job, 'job')));
      return EXIT.OK;
    },
  },
];
