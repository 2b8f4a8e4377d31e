/**
 * A promise client for the agent API (`thinfleet.agent.v1`): one method per RPC, a deadline on
 * every unary call, failures as AgentCallError, job progress as an async iterable. It talks to one
 * agent, or to a cluster coordinator, which serves the same API and routes each call to the host
 * holding the pool.
 */
import { randomUUID } from 'node:crypto';
import { credentials, makeGenericClientConstructor, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import {
  decodeListVolumesResponse,
  loadAgentApi,
  type DeviceSnapshotServiceClient,
  type HealthCheckResponse__Output,
  type HealthClient,
  type Job__Output,
  type JobServiceClient,
  type PoolEvent__Output,
  type PoolServiceClient,
  type VolumeServiceClient,
} from '@thinfleet/proto';
import { toAgentCallError } from './agent-call-error.js';
import { AgentRpcBase, type AgentRpcKind, type AgentRpcs, type AgentServiceName } from './agent-rpcs.js';
import { parseAgentTarget, type AgentTarget } from './agent-target.js';
import {
  CLIENT_CHANNEL_OPTIONS,
  coordinatorChannel,
  deadlineMsOf,
  retryUnavailableMsOf,
  type AgentCallOptions,
  type AgentConnectOptions,
  type ClientChannel,
  type CoordinatorConnectOptions,
} from './client-options.js';
import type { CoordinatorTarget } from './coordinator-target.js';
import { mutualTlsCredentials } from './tls-credentials.js';
import { watchStream } from './read-stream.js';
import { retryUnavailable, unaryCall, type UnaryStarter } from './unary-call.js';

export {
  CLIENT_CHANNEL_OPTIONS,
  DEFAULT_DEADLINE_MS,
  retryUnavailableMsOf,
  type AgentCallOptions,
  type AgentConnectOptions,
  type AgentTlsFiles,
  type CoordinatorConnectOptions,
  type RetryOptions,
} from './client-options.js';

/** The request metadata key of the placement hint (see AgentCallOptions.placementHost). */
export const PLACEMENT_HOST_METADATA = 'tf-host';

/** Statuses after which a mutating call's outcome is unknown (the answer was lost), so a retry with its id is safe. */
const LOST_ANSWER = new Set(['DEADLINE_EXCEEDED', 'UNAVAILABLE']);

/** The health of the agent or one of its services, as grpc.health.v1 names it. */
export type ServingStatus = HealthCheckResponse__Output['status'];

/** A grpc-js unary method called with request, metadata, options and callback. */
type UnaryMethod = (request: object, ...rest: Parameters<UnaryStarter<unknown>>) => ReturnType<UnaryStarter<unknown>>;

/**
 * The VolumeService client constructor whose ListVolumes answers are decoded by the hand decoder
 * (@thinfleet/proto decodeListVolumesResponse: the same object as protobufjs builds, several
 * times cheaper on a page of 1000 volumes); every other method as loadAgentApi() has it.
 */
export function handDecodedVolumeService(): ReturnType<typeof loadAgentApi>['VolumeService'] {
  if (volumeServiceClass === null) {
    const service = loadAgentApi().VolumeService.service;
    const definition = { ...service, ListVolumes: { ...service.ListVolumes, responseDeserialize: decodeListVolumesResponse } };
    volumeServiceClass = makeGenericClientConstructor(definition, 'VolumeService') as unknown as ReturnType<typeof loadAgentApi>['VolumeService'];
  }
  return volumeServiceClass;
}

let volumeServiceClass: ReturnType<typeof loadAgentApi>['VolumeService'] | null = null;

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
 * Each RPC method (`createPool` ... `cancelJob`, typed in {@link AgentRpcs}) takes the request
 * message and optional per-call options, and resolves to the response message as grpc-js decodes
 * it (camelCase fields, 64-bit integers as numbers, enums as names); it rejects with an AgentCallError.
 *
 * @example
 * const client = await AgentClient.connect('/run/thinfleet/agent.sock');
 * try {
 *   const { volumes } = await client.listVolumes({ pool: 'tank' });
 * } finally {
 *   client.close();
 * }
 */
export class AgentClient extends AgentRpcBase {
  /** The parsed target this client talks to: an agent, or a coordinator. */
  readonly target: AgentTarget | CoordinatorTarget;
  private readonly deadlineMs: number;
  private readonly retryUnavailableMs: number;
  private readonly services: {
    readonly pools: PoolServiceClient;
    readonly volumes: VolumeServiceClient;
    readonly jobs: JobServiceClient;
    readonly deviceSnapshots: DeviceSnapshotServiceClient;
  };
  private readonly healthClient: HealthClient;

  private constructor(channel: ClientChannel<AgentTarget | CoordinatorTarget>) {
    super();
    const { target, channelCredentials } = channel;
    this.target = target;
    this.deadlineMs = channel.deadlineMs;
    this.retryUnavailableMs = channel.retryUnavailableMs;
    const api = loadAgentApi();
    const pools = new api.PoolService(target.address, channelCredentials, { ...CLIENT_CHANNEL_OPTIONS });
    const channelOverride = pools.getChannel();
    this.services = {
      pools,
      volumes: new (handDecodedVolumeService())(target.address, channelCredentials, { channelOverride }),
      jobs: new api.JobService(target.address, channelCredentials, { channelOverride }),
      deviceSnapshots: new api.DeviceSnapshotService(target.address, channelCredentials, { channelOverride }),
    };
    this.healthClient = new api.Health(target.address, channelCredentials, { channelOverride });
  }

  /**
   * Makes a client for `target`: an absolute or relative socket path, `unix:/path`, or
   * `host:port` (TCP, which requires `options.tls`). Rejects with a plain Error (errno and cause
   * kept) when the target is malformed, TLS is missing for TCP, or a PEM file cannot be read.
   */
  static async connect(target: string, options: AgentConnectOptions = {}): Promise<AgentClient> {
    const parsed = parseAgentTarget(target);
    const deadlineMs = deadlineMsOf(options);
    const retryUnavailableMs = retryUnavailableMsOf(options);
    const channel = (channelCredentials: ChannelCredentials): AgentClient => new AgentClient({ target: parsed, channelCredentials, deadlineMs, retryUnavailableMs });
    if (parsed.kind === 'unix') return channel(credentials.createInsecure());
    if (options.tls === undefined) {
      throw new Error(`the agent at ${parsed.address} is a TCP address, which needs mutual TLS: give a CA, a client certificate and a client key`);
    }
    return channel(await mutualTlsCredentials(options.tls));
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
    return new AgentClient(await coordinatorChannel(address, options));
  }

  /** Closes the connection; pending calls fail with CANCELLED or UNAVAILABLE. Idempotent. */
  close(): void {
    this.services.pools.close();
  }

  /**
   * The capacity events of pool `name` (every pool for ""): first the thresholds it is over now
   * (`current` true), then each change, until the caller leaves the loop (which cancels the
   * call) or the agent stops (an AgentCallError, UNAVAILABLE). No deadline unless
   * `options.deadlineMs` is given. Agents only: a coordinator answers UNIMPLEMENTED.
   */
  watchPoolEvents(name: string, options: AgentCallOptions = {}): AsyncIterable<PoolEvent__Output> {
    return watchStream(options.deadlineMs, 'event', (callOptions) => this.services.pools.watchPoolEvents({ name }, new Metadata(), callOptions));
  }

  /**
   * The job now, then each change of it, until it ends; the last value is its final state. No
   * deadline unless `options.deadlineMs` is given (a delete may run for hours). Throws an
   * AgentCallError when the stream fails (NOT_FOUND for an unknown id); leaving the loop early
   * cancels the call (the job itself keeps running: use `cancelJob` to stop it).
   */
  watchJob(id: string, options: AgentCallOptions = {}): AsyncIterable<Job__Output> {
    return watchStream(options.deadlineMs, 'job', (callOptions) => this.services.jobs.watchJob({ id }, new Metadata(), callOptions));
  }

  /**
   * The agent's health (grpc.health.v1 Check): `SERVING`, `NOT_SERVING`... for the whole agent
   * (`service` empty) or one of its services by fully qualified name.
   */
  async health(service = '', options?: AgentCallOptions): Promise<ServingStatus> {
    const response = await this.unary<HealthCheckResponse__Output>((m, o, cb) => this.healthClient.check({ service }, m, o, cb), options);
    return response.status;
  }

  /** Makes the unary RPC `method` of `service` (see AgentRpcMethods): a mutating one with a request id. */
  protected invoke(service: AgentServiceName, method: keyof AgentRpcs, kind: AgentRpcKind, request: object, options: AgentCallOptions | undefined): Promise<unknown> {
    const client = this.services[service];
    const call = (client as unknown as Record<string, UnaryMethod | undefined>)[method];
    if (call === undefined) throw new Error(`unreachable: the ${service} client has no method ${method}`);
    const start =
      (r: object): UnaryStarter<unknown> =>
      (m, o, cb) =>
        call.call(client, r, m, o, cb);
    return kind === 'mutating' ? this.mutating(request, options, start) : this.unary(start(request), options);
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
