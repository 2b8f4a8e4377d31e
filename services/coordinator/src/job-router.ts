/**
 * The agent's JobService served by the coordinator. A job lives on one host; calls find it by
 * asking each host with a live session. A delete job moves with its pool: the old holder hands it
 * over (its watch there ends with JOB_MOVED, or NO_SUCH_JOB when the hand-over came between
 * finding the host and asking it), and the pool's next holder adopts it before it reports the
 * pool ready, i.e. before it writes the pool's owner record. So a lookup of a moving job watches
 * the owner and host records in etcd and asks the hosts again at each change, instead of polling.
 *
 * Crash story: nothing is kept; a coordinator that dies mid-watch ends the client's stream, and
 * the client asks again.
 */
import { Metadata, type handleUnaryCall, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Job__Output, JobServiceClient, JobServiceHandlers, ListJobsResponse__Output, WatchJobRequest__Output, WatchJobResponse } from '@thinfleet/proto';
import type { AgentServiceClient, AgentServiceName } from './agent-channels.js';
import { hostUnreachable, unaryCall } from './agent-calls.js';
import { coordinatorError, errorCodeOf, isHostUnreachable } from './coordinator-error.js';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import type { ClusterRegistry } from './registry.js';
import { asStatus, routedUnary } from './routed-status.js';

/** How long a job watch waits for a job handed over with its pool to show up on its next host. */
const JOB_FOLLOW_MS = 60_000;
/** How long GetJob and CancelJob wait for such a job before answering JOB_MOVED (retry). */
const JOB_LOOKUP_WAIT_MS = 5_000;
/**
 * Hosts are asked again this long after the last change at the latest: a job brought back on
 * the host that had it (a hand-over that did not happen after all) changes no key in etcd.
 */
const JOB_RECHECK_MS = 1_000;

export interface JobRouterOptions {
  readonly registry: ClusterRegistry;
  readonly logger: Logger;
  readonly metrics?: Pick<CoordinatorMetrics, 'routedCall'> | undefined;
  /** The client of an agent service at an address. @throws ServiceError NO_HOST */
  readonly client: (address: string, service: AgentServiceName) => AgentServiceClient;
}

/** How a job lookup follows a moving job. */
interface Follow {
  /** Give up (JOB_MOVED) at this Date.now() time. */
  readonly untilMs: number;
  /** A host already said the job moved. */
  readonly moving: boolean;
  /** Aborts the wait when the caller went away. */
  readonly signal?: AbortSignal;
}

export class JobRouter {
  constructor(private readonly options: JobRouterOptions) {}

  /** The JobService handlers. */
  handlers(): JobServiceHandlers {
    return {
      ListJobs: this.unary(async (_request, call) => {
        const all = await this.eachHost<ListJobsResponse__Output>('ListJobs', {}, call.getDeadline());
        return { jobs: all.flatMap((r) => r.jobs).sort((a, b) => a.created.localeCompare(b.created)) };
      }),
      GetJob: this.unary(async (request, call) => this.onJobHost(request.id, 'GetJob', call.getDeadline())),
      CancelJob: this.unary(async (request, call) => this.onJobHost(request.id, 'CancelJob', call.getDeadline())),
      WatchJob: (call) => {
        void this.watchJob(call).catch((err: unknown) => call.emit('error', asStatus(err)));
      },
    };
  }

  private unary<Req, Res>(fn: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>): handleUnaryCall<Req, Res> {
    return routedUnary(this.options, fn);
  }

  /**
   * Calls `method` of the JobService on the host that has job `id`. A job moving with its pool
   * (handed over, not yet adopted, or moved between finding it and calling) is waited for up to
   * JOB_LOOKUP_WAIT_MS. @throws NO_SUCH_JOB; JOB_MOVED when it is still moving after that
   */
  private async onJobHost<Res>(id: string, method: 'GetJob' | 'CancelJob', deadline: Date | number): Promise<Res> {
    const untilMs = Date.now() + JOB_LOOKUP_WAIT_MS;
    let moving = false;
    for (;;) {
      const host = await this.jobHost(id, deadline, { untilMs, moving });
      try {
        return await unaryCall<Res>(this.options.client(host, 'JobService'), method, { id }, new Metadata(), deadline);
      } catch (err) {
        if (errorCodeOf(err) !== 'NO_SUCH_JOB' || Date.now() > untilMs) throw err;
        moving = true;
      }
    }
  }

  /**
   * Relays the watch of a job from the host that runs it. A job handed over with its pool ends
   * its watch there with JOB_MOVED, or, when the hand-over came between finding the host and
   * opening the watch, with NO_SUCH_JOB; either way the watch follows the job to the host that
   * adopts it (asked again for up to JOB_FOLLOW_MS since the last message, within the call's
   * deadline), so a client sees one stream to the job's end.
   */
  private async watchJob(call: ServerWritableStream<WatchJobRequest__Output, WatchJobResponse>): Promise<void> {
    const gone = new AbortController();
    let current: { cancel(): void } | null = null;
    call.on('cancelled', () => {
      gone.abort();
      current?.cancel();
    });
    let followUntil = Date.now() + JOB_FOLLOW_MS;
    let host = await this.jobHost(call.request.id, call.getDeadline(), { untilMs: followUntil, moving: false, signal: gone.signal });
    for (;;) {
      const upstream = (this.options.client(host, 'JobService') as unknown as JobServiceClient).WatchJob(call.request, new Metadata(), { deadline: call.getDeadline() });
      current = upstream;
      const ended = await new Promise<Error | null>((resolve) => {
        upstream.on('data', (message: WatchJobResponse) => {
          followUntil = Date.now() + JOB_FOLLOW_MS;
          call.write(message);
        });
        upstream.on('error', (err: Error) => resolve(err));
        upstream.on('end', () => resolve(null));
      });
      if (gone.signal.aborted) return;
      if (ended === null) {
        call.end();
        return;
      }
      const code = errorCodeOf(ended);
      if ((code !== 'JOB_MOVED' && code !== 'NO_SUCH_JOB') || Date.now() > followUntil) {
        call.emit('error', isHostUnreachable(ended) ? hostUnreachable(host, ended) : ended);
        return;
      }
      host = await this.jobHost(call.request.id, call.getDeadline(), { untilMs: followUntil, moving: true, signal: gone.signal });
    }
  }

  private async eachHost<Res>(method: string, request: object, deadline: Date | number): Promise<Res[]> {
    const hosts = await this.options.registry.hosts();
    const answers = await Promise.allSettled(hosts.map((h) => unaryCall<Res>(this.options.client(h.address, 'JobService'), method, request, new Metadata(), deadline)));
    return answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  }

  /** The address of the first host with a live session that has job `id`, or null. */
  private async findJob(id: string, deadline: Date | number): Promise<string | null> {
    const hosts = await this.options.registry.hosts();
    const answers = await Promise.allSettled(
      hosts.map((h) => unaryCall<{ job: Job__Output | null }>(this.options.client(h.address, 'JobService'), 'GetJob', { id }, new Metadata(), deadline).then(() => h.address)),
    );
    const found = answers.find((a): a is PromiseFulfilledResult<string> => a.status === 'fulfilled');
    return found?.value ?? null;
  }

  /**
   * The address of the host that has job `id`. When no host has it but it is moving with its
   * pool (`moving`: a host said so; otherwise the volume index names the job on a volume), this
   * asks again at each change of an owner or host record (at least every JOB_RECHECK_MS) until
   * `untilMs`, for the pool's next holder to adopt it.
   * @throws NO_SUCH_JOB when no host has it and it is not moving; JOB_MOVED at `untilMs`
   */
  private async jobHost(id: string, deadline: Date | number, follow: Follow): Promise<string> {
    const first = await this.findJob(id, deadline);
    if (first !== null) return first;
    let pool: string | null = null;
    if (!follow.moving) {
      pool = (await this.options.registry.volumes(null)).find((v) => v['jobId'] === id)?.pool ?? null;
      if (pool === null) throw coordinatorError('NO_SUCH_JOB', `no host with a live session has job ${id}`);
    }
    const moved = (): Error =>
      coordinatorError(
        'JOB_MOVED',
        `job ${id} is moving with its pool${pool === null ? '' : ` ${pool}`} to the pool's next holder, which has not taken it up yet; retry in a few seconds (--wait SECONDS)`,
      );
    const givenUp = (): boolean => follow.signal?.aborted === true || Date.now() > follow.untilMs;
    if (givenUp()) throw moved();
    // Watching before asking again: an adoption after that still wakes the wait.
    const changes = await this.options.registry.watchOwnersAndHosts(follow.untilMs);
    try {
      for (;;) {
        await changes.next(Math.min(follow.untilMs, Date.now() + JOB_RECHECK_MS), follow.signal);
        const host = await this.findJob(id, deadline);
        if (host !== null) return host;
        if (givenUp()) throw moved();
      }
    } finally {
      void changes.close(); // not awaited: the answer need not wait for etcd to confirm the cancel
    }
  }
}
