/**
 * A promise client for the agent API (`thinfleet.agent.v1`): one method per RPC, a deadline on
 * every unary call, failures as AgentCallError, job progress as an async iterable. It talks to one
 * agent, or to a cluster coordinator, which serves the same API and routes each call to the host
 * holding the pool.
 */
import { randomUUID } from 'node:crypto';
import { credentials, Metadata, type CallOptions, type ChannelCredentials, type ClientReadableStream } from '@grpc/grpc-js';
import {
  loadAgentApi,
  type ActivatePoolRequest,
  type ActivatePoolResponse__Output,
  type ActivateVolumeRequest,
  type ActivateVolumeResponse__Output,
  type BatchRequest,
  type BatchResponse__Output,
  type CancelJobRequest,
  type CancelJobResponse__Output,
  type CreatePoolRequest,
  type CreatePoolResponse__Output,
  type CreateRevisionRequest,
  type CreateRevisionResponse__Output,
  type CreateVolumeRequest,
  type CreateVolumeResponse__Output,
  type DeactivatePoolRequest,
  type DeactivatePoolResponse__Output,
  type DeactivateVolumeRequest,
  type DeactivateVolumeResponse__Output,
  type DeleteVolumeRequest,
  type DeleteVolumeResponse__Output,
  type DestroyPoolRequest,
  type DestroyPoolResponse__Output,
  type JoinPoolRequest,
  type JoinPoolResponse__Output,
  type DiscoverPoolsRequest,
  type ForgetPoolRequest,
  type ForgetPoolResponse__Output,
  type DiscoverPoolsResponse__Output,
  type GetJobRequest,
  type GetJobResponse__Output,
  type GetPoolRequest,
  type GetPoolResponse__Output,
  type GetVolumeRequest,
  type GetVolumeResponse__Output,
  type HealthCheckResponse__Output,
  type HealthClient,
  type Job__Output,
  type JobServiceClient,
  type ListJobsRequest,
  type ListJobsResponse__Output,
  type ListPoolsRequest,
  type ListPoolsResponse__Output,
  type ListVolumesRequest,
  type ListVolumesResponse__Output,
  type PinVolumeRequest,
  type PinVolumeResponse__Output,
  type ReadVolumeRequest,
  type ReadVolumeResponse__Output,
  type WriteVolumeRequest,
  type WriteVolumeResponse__Output,
  type PoolServiceClient,
  type RenameVolumeRequest,
  type RenameVolumeResponse__Output,
  type ResizeVolumeRequest,
  type ResizeVolumeResponse__Output,
  type RevertVolumeRequest,
  type RevertVolumeResponse__Output,
  type SnapshotVolumeRequest,
  type SnapshotVolumeResponse__Output,
  type VolumeServiceClient,
  type WatchJobResponse__Output,
  type ExtendPoolRequest,
  type ExtendPoolResponse__Output,
  type SetPoolRequest,
  type SetPoolResponse__Output,
  type PoolEvent__Output,
} from '@thinfleet/proto';
import { toAgentCallError } from './agent-call-error.js';
import { parseAgentTarget, type AgentTarget } from './agent-target.js';
import { coordinatorCredentials, parseCoordinatorTarget, type CoordinatorTarget } from './coordinator-target.js';
import { mutualTlsCredentials, type TlsFiles } from './tls-credentials.js';
import { retryUnavailable, unaryCall, type UnaryStarter } from './unary-call.js';

/** The deadline of a unary call when neither the client nor the call sets one. */
export const DEFAULT_DEADLINE_MS = 60_000;

/** PEM files for mutual TLS to an agent listening on TCP. */
export type AgentTlsFiles = TlsFiles;

/** The request metadata key of the placement hint (see AgentCallOptions.placementHost). */
export const PLACEMENT_HOST_METADATA = 'tf-host';

/** How to reach the agent. */
export interface AgentConnectOptions {
  /** Required for a TCP target, ignored for a unix socket. */
  readonly tls?: AgentTlsFiles;
  /** Deadline of each unary call, in milliseconds; DEFAULT_DEADLINE_MS when absent. */
  readonly deadlineMs?: number;
  /** See RetryOptions.retryUnavailableMs. */
  readonly retryUnavailableMs?: number;
}

/**
 * Retrying for the caller (the CLI's `--wait SECONDS`): a unary call answered UNAVAILABLE (the
 * server, or the host behind a coordinator, cannot serve now: `HOST_UNREACHABLE`, `NOT_READY`,
 * `JOB_MOVED`, `CLUSTER_UNAVAILABLE`, `POOL_FENCED`, or no answer at all, as during a failover)
 * is made again after 250 ms, doubling to 2 s, until this many milliseconds have passed since
 * the first attempt; other answers are returned at once. A change whose answer was lost may have
 * been done: its retry then answers as a repeat does (e.g. `NAME_EXISTS`). 0 or absent: no retry.
 */
export interface RetryOptions {
  readonly retryUnavailableMs?: number;
}

/** How to reach a cluster coordinator. */
export interface CoordinatorConnectOptions {
  /**
   * Mutual TLS to the coordinator. Optional only when the address is a loopback address
   * (127.0.0.0/8, ::1, localhost); required for any other host.
   */
  readonly tls?: TlsFiles;
  /** Deadline of each unary call, in milliseconds; DEFAULT_DEADLINE_MS when absent. */
  readonly deadlineMs?: number;
  /** See RetryOptions.retryUnavailableMs. */
  readonly retryUnavailableMs?: number;
}

/** Per-call options. */
export interface AgentCallOptions {
  /** This call's deadline in milliseconds, overriding the client's. */
  readonly deadlineMs?: number;
  /**
   * A node id sent as request metadata `tf-host`. Only a coordinator reads it: on CreateVolume with
   * an empty pool it places the volume in a pool that host reaches. An agent ignores it.
   */
  readonly placementHost?: string;
  /**
   * For a mutating call: its request id (`request_id`), when the request carries none. When
   * neither gives one, the client makes one (a random UUID) per call. An agent answers a repeat
   * of the same id and request from the first attempt (docs/agent.md, Request ids).
   */
  readonly requestId?: string;
  /**
   * For a mutating call: how long, in milliseconds, to keep retrying it, with the same request
   * id, while the answer is lost (DEADLINE_EXCEEDED, or UNAVAILABLE before the server answered).
   * 0 (the default): no retry.
   */
  readonly retryForMs?: number;
}

/** Statuses after which a mutating call's outcome is unknown (the answer was lost), so a retry with its id is safe. */
const LOST_ANSWER = new Set(['DEADLINE_EXCEEDED', 'UNAVAILABLE']);

/** The health of the agent or one of its services, as grpc.health.v1 names it. */
export type ServingStatus = HealthCheckResponse__Output['status'];

/**
 * A connection to one agent, or to a coordinator (`connectCoordinator`). Connecting is lazy: `connect` checks the target and reads TLS files
 * but opens nothing; the first call connects, and a call made while the agent is not listening
 * fails at once with an AgentCallError whose `isUnavailable` is true. Calls are as idempotent as
 * the RPCs they make (see the proto files). Not usable after `close()`.
 *
 * Through a coordinator the volume, revision, batch and job calls work cluster-wide (ListVolumes
 * with pool "" lists every pool's volumes; CreateVolume with pool "" lets the coordinator place
 * the volume), ListPools and GetPool work, and the pool calls that change a host's devices
 * (create, discover, activate, deactivate, destroy) fail with FAILED_PRECONDITION: they go to the
 * agent of the host.
 *
 * Each RPC method (`createPool` ... `cancelJob`) takes the request message and an optional
 * per-call deadline, and resolves to the response message as grpc-js decodes it (camelCase
 * fields, 64-bit integers as numbers, enums as names); it rejects with an AgentCallError.
 *
 * @example
 * const client = await AgentClient.connect('/run/thinfleet/agent.sock');
 * try {
 *   const { volumes } = await client.listVolumes({ pool: 'tank' });
 * } finally {
 *   client.close();
 * }
 */
export class AgentClient {
  /** The parsed target this client talks to: an agent, or a coordinator. */
  readonly target: AgentTarget | CoordinatorTarget;
  private readonly deadlineMs: number;
  private readonly pools: PoolServiceClient;
  private readonly volumes: VolumeServiceClient;
  private readonly jobs: JobServiceClient;
  private readonly healthClient: HealthClient;

  private constructor(
    target: AgentTarget | CoordinatorTarget,
    channelCredentials: ChannelCredentials,
    deadlineMs: number,
    private readonly retryUnavailableMs: number,
  ) {
    this.target = target;
    this.deadlineMs = deadlineMs;
    const api = loadAgentApi();
    this.pools = new api.PoolService(target.address, channelCredentials);
    const channelOverride = this.pools.getChannel();
    this.volumes = new api.VolumeService(target.address, channelCredentials, { channelOverride });
    this.jobs = new api.JobService(target.address, channelCredentials, { channelOverride });
    this.healthClient = new api.Health(target.address, channelCredentials, { channelOverride });
  }

  /**
   * Makes a client for `target`: an absolute or relative socket path, `unix:/path`, or
   * `host:port` (TCP, which requires `options.tls`). Rejects with a plain Error (errno and cause
   * kept) when the target is malformed, TLS is missing for TCP, or a PEM file cannot be read.
   */
  static async connect(target: string, options: AgentConnectOptions = {}): Promise<AgentClient> {
    const parsed = parseAgentTarget(target);
    const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    if (!(deadlineMs > 0)) throw new Error(`deadlineMs must be more than 0, got ${deadlineMs}`);
    const retryMs = retryUnavailableMsOf(options);
    if (parsed.kind === 'unix') return new AgentClient(parsed, credentials.createInsecure(), deadlineMs, retryMs);
    if (options.tls === undefined) {
      throw new Error(`the agent at ${parsed.address} is a TCP address, which needs mutual TLS: give a CA, a client certificate and a client key`);
    }
    return new AgentClient(parsed, await mutualTlsCredentials(options.tls), deadlineMs, retryMs);
  }

  /**
   * Makes a client for the agent API served by the coordinator at `address` (`host:port`,
   * `[v6addr]:port`, or a host alone for port 9750). Plaintext is allowed only to a loopback
   * address; any other host needs `options.tls`. Rejects with a plain Error (errno and cause
   * kept) when the address is malformed, TLS is missing for a remote host, or a PEM file cannot
   * be read. Lazy like `connect`: nothing is opened until the first call.
   *
   * @example
   * const client = await AgentClient.connectCoordinator('127.0.0.1:9750');
   * await client.createVolume({ pool: '', name: 'vm9', sizeBytes: 2 ** 30 }, { placementHost: 'node-2' });
   */
  static async connectCoordinator(address: string, options: CoordinatorConnectOptions = {}): Promise<AgentClient> {
    const parsed = parseCoordinatorTarget(address);
    const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    if (!(deadlineMs > 0)) throw new Error(`deadlineMs must be more than 0, got ${deadlineMs}`);
    const retryMs = retryUnavailableMsOf(options);
    return new AgentClient(parsed, await coordinatorCredentials(parsed, options.tls), deadlineMs, retryMs);
  }

  /** Closes the connection; pending calls fail with CANCELLED or UNAVAILABLE. Idempotent. */
  close(): void {
    this.pools.close();
  }

  createPool(request: CreatePoolRequest, options?: AgentCallOptions): Promise<CreatePoolResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.pools.createPool(r, m, o, cb));
  }

  listPools(request: ListPoolsRequest = {}, options?: AgentCallOptions): Promise<ListPoolsResponse__Output> {
    return this.unary((m, o, cb) => this.pools.listPools(request, m, o, cb), options);
  }

  getPool(request: GetPoolRequest, options?: AgentCallOptions): Promise<GetPoolResponse__Output> {
    return this.unary((m, o, cb) => this.pools.getPool(request, m, o, cb), options);
  }

  discoverPools(request: DiscoverPoolsRequest, options?: AgentCallOptions): Promise<DiscoverPoolsResponse__Output> {
    return this.unary((m, o, cb) => this.pools.discoverPools(request, m, o, cb), options);
  }

  activatePool(request: ActivatePoolRequest, options?: AgentCallOptions): Promise<ActivatePoolResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.pools.activatePool(r, m, o, cb));
  }

  deactivatePool(request: DeactivatePoolRequest, options?: AgentCallOptions): Promise<DeactivatePoolResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.pools.deactivatePool(r, m, o, cb));
  }

  /** Records a pool on `devices` as known on the agent's host without activating it (JoinPool). */
  joinPool(request: JoinPoolRequest, options?: AgentCallOptions): Promise<JoinPoolResponse__Output> {
    return this.unary((m, o, cb) => this.pools.joinPool(request, m, o, cb), options);
  }

  destroyPool(request: DestroyPoolRequest, options?: AgentCallOptions): Promise<DestroyPoolResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.pools.destroyPool(r, m, o, cb));
  }

  forgetPool(request: ForgetPoolRequest, options?: AgentCallOptions): Promise<ForgetPoolResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.pools.forgetPool(r, m, o, cb));
  }

  extendPool(request: ExtendPoolRequest, options?: AgentCallOptions): Promise<ExtendPoolResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.pools.extendPool(r, m, o, cb));
  }

  setPool(request: SetPoolRequest, options?: AgentCallOptions): Promise<SetPoolResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.pools.setPool(r, m, o, cb));
  }

  /**
   * The capacity events of pool `name` (every pool for ""): first the thresholds it is over now
   * (`current` true), then each change, until the caller leaves the loop (which cancels the
   * call) or the agent stops (an AgentCallError, UNAVAILABLE). No deadline unless
   * `options.deadlineMs` is given. Agents only: a coordinator answers UNIMPLEMENTED.
   */
  watchPoolEvents(name: string, options: AgentCallOptions = {}): AsyncIterable<PoolEvent__Output> {
    const callOptions: CallOptions = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
    const pools = this.pools;
    return {
      async *[Symbol.asyncIterator]() {
        const call = pools.watchPoolEvents({ name }, new Metadata(), callOptions);
        for await (const message of readStream<{ event: PoolEvent__Output | null }>(call)) {
          if (message.event !== null) yield message.event;
        }
      },
    };
  }

  createVolume(request: CreateVolumeRequest, options?: AgentCallOptions): Promise<CreateVolumeResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.createVolume(r, m, o, cb));
  }

  snapshotVolume(request: SnapshotVolumeRequest, options?: AgentCallOptions): Promise<SnapshotVolumeResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.snapshotVolume(r, m, o, cb));
  }

  listVolumes(request: ListVolumesRequest = {}, options?: AgentCallOptions): Promise<ListVolumesResponse__Output> {
    return this.unary((m, o, cb) => this.volumes.listVolumes(request, m, o, cb), options);
  }

  getVolume(request: GetVolumeRequest, options?: AgentCallOptions): Promise<GetVolumeResponse__Output> {
    return this.unary((m, o, cb) => this.volumes.getVolume(request, m, o, cb), options);
  }

  renameVolume(request: RenameVolumeRequest, options?: AgentCallOptions): Promise<RenameVolumeResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.renameVolume(r, m, o, cb));
  }

  resizeVolume(request: ResizeVolumeRequest, options?: AgentCallOptions): Promise<ResizeVolumeResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.resizeVolume(r, m, o, cb));
  }

  activateVolume(request: ActivateVolumeRequest, options?: AgentCallOptions): Promise<ActivateVolumeResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.activateVolume(r, m, o, cb));
  }

  deactivateVolume(request: DeactivateVolumeRequest, options?: AgentCallOptions): Promise<DeactivateVolumeResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.deactivateVolume(r, m, o, cb));
  }

  deleteVolume(request: DeleteVolumeRequest, options?: AgentCallOptions): Promise<DeleteVolumeResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.deleteVolume(r, m, o, cb));
  }

  revertVolume(request: RevertVolumeRequest, options?: AgentCallOptions): Promise<RevertVolumeResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.revertVolume(r, m, o, cb));
  }

  createRevision(request: CreateRevisionRequest, options?: AgentCallOptions): Promise<CreateRevisionResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.createRevision(r, m, o, cb));
  }

  pinVolume(request: PinVolumeRequest, options?: AgentCallOptions): Promise<PinVolumeResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.pinVolume(r, m, o, cb));
  }

  batch(request: BatchRequest, options?: AgentCallOptions): Promise<BatchResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.batch(r, m, o, cb));
  }

  /** Reads up to 1 MiB of an active volume's content (sector-aligned). */
  readVolume(request: ReadVolumeRequest, options?: AgentCallOptions): Promise<ReadVolumeResponse__Output> {
    return this.unary((m, o, cb) => this.volumes.readVolume(request, m, o, cb), options);
  }

  /** Writes up to 1 MiB into an active volume (sector-aligned), durably once it resolves. */
  writeVolume(request: WriteVolumeRequest, options?: AgentCallOptions): Promise<WriteVolumeResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.volumes.writeVolume(r, m, o, cb));
  }

  listJobs(request: ListJobsRequest = {}, options?: AgentCallOptions): Promise<ListJobsResponse__Output> {
    return this.unary((m, o, cb) => this.jobs.listJobs(request, m, o, cb), options);
  }

  getJob(request: GetJobRequest, options?: AgentCallOptions): Promise<GetJobResponse__Output> {
    return this.unary((m, o, cb) => this.jobs.getJob(request, m, o, cb), options);
  }

  cancelJob(request: CancelJobRequest, options?: AgentCallOptions): Promise<CancelJobResponse__Output> {
    return this.mutating(request, options, (r) => (m, o, cb) => this.jobs.cancelJob(r, m, o, cb));
  }

  /**
   * The job now, then each change of it, until it ends; the last value is its final state. No
   * deadline unless `options.deadlineMs` is given (a delete may run for hours). Throws an
   * AgentCallError when the stream fails (NOT_FOUND for an unknown id); leaving the loop early
   * cancels the call (the job itself keeps running: use `cancelJob` to stop it).
   */
  watchJob(id: string, options: AgentCallOptions = {}): AsyncIterable<Job__Output> {
    const callOptions: CallOptions = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
    const jobs = this.jobs;
    return {
      async *[Symbol.asyncIterator]() {
        const call = jobs.watchJob({ id }, new Metadata(), callOptions);
        for await (const message of readStream<WatchJobResponse__Output>(call)) {
          if (message.job !== null) yield message.job;
        }
      },
    };
  }

  /**
   * The agent's health (grpc.health.v1 Check): `SERVING`, `NOT_SERVING`... for the whole agent
   * (`service` empty) or one of its services by fully qualified name.
   */
  async health(service = '', options?: AgentCallOptions): Promise<ServingStatus> {
    const response = await this.unary<HealthCheckResponse__Output>((m, o, cb) => this.healthClient.check({ service }, m, o, cb), options);
    return response.status;
  }

  /**
   * A mutating call: sent with a request id (the request's, the options', or a new UUID), and
   * retried with that same id while its answer is lost, for up to `options.retryForMs`.
   */
  private async mutating<Req extends { requestId?: string }, Res>(request: Req, options: AgentCallOptions | undefined, start: (request: Req) => UnaryStarter<Res>): Promise<Res> {
    const sent = { ...request, requestId: request.requestId || options?.requestId || randomUUID() };
    const until = Date.now() + (options?.retryForMs ?? 0);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.unary(start(sent), options);
      } catch (err) {
        const e = toAgentCallError(err);
        const transport = e.status === 'DEADLINE_EXCEEDED' || e.errorCode === null || e.errorCode === 'SHUTTING_DOWN';
        if (!LOST_ANSWER.has(e.status) || !transport || Date.now() >= until) throw e;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 100 * attempt)));
      }
    }
  }

  /** One unary call, made again while it is answered UNAVAILABLE within `retryUnavailableMs` (RetryOptions). */
  private unary<Res>(start: UnaryStarter<Res>, options: AgentCallOptions | undefined): Promise<Res> {
    const host = options?.placementHost;
    return retryUnavailable(this.retryUnavailableMs, () => unaryCall(start, options?.deadlineMs ?? this.deadlineMs, host === undefined ? {} : { [PLACEMENT_HOST_METADATA]: host }));
  }
}

/** The checked RetryOptions.retryUnavailableMs (0 when absent). @throws Error for a negative or non-finite value */
export function retryUnavailableMsOf(options: RetryOptions): number {
  const ms = options.retryUnavailableMs ?? 0;
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`retryUnavailableMs must be 0 or more, got ${ms}`);
  return ms;
}

/**
 * Reads a server stream message by message. Ends after the last message on an OK status; throws
 * the call's status as an AgentCallError otherwise. Returning early cancels the call.
 */
async function* readStream<T>(call: ClientReadableStream<T>): AsyncGenerator<T> {
  const queue: T[] = [];
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const waiting = wake;
    wake = null;
    waiting?.();
  };
  call.on('data', (message: T) => {
    queue.push(message);
    notify();
  });
  // 'end' comes after every message was delivered; an error status comes as 'error' (always
  // listened to, so a status that arrives after the caller left never goes unhandled).
  call.on('end', () => {
    ended = true;
    notify();
  });
  call.on('error', (err: unknown) => {
    failure ??= err;
    notify();
  });
  try {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (failure !== null) throw toAgentCallError(failure);
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    if (!ended && failure === null) call.cancel();
  }
}
