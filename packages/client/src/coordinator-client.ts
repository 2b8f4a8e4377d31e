/**
 * A promise client for the coordinator's own service (`thinfleet.coordinator.v1.ClusterService`):
 * what the cluster looks like, and where a volume lives. The agent API the coordinator also
 * serves is reached with `AgentClient.connectCoordinator`.
 */
import { loadCoordinatorApi, type ClusterServiceClient, type ClusterStatusResponse__Output, type FindVolumeResponse__Output } from '@thinfleet/proto';
import { coordinatorChannel, type ClientChannel, type CoordinatorConnectOptions } from './client-options.js';
import type { CoordinatorTarget } from './coordinator-target.js';
import { retryUnavailable, unaryCall } from './unary-call.js';

/** Per-call options of CoordinatorClient. */
export interface CoordinatorCallOptions {
  /** This call's deadline in milliseconds, overriding the client's. */
  readonly deadlineMs?: number;
}

/**
 * A connection to one coordinator. Connecting is lazy: `connect` checks the address and reads TLS
 * files but opens nothing; the first call connects, and a call made while nothing listens fails
 * with an AgentCallError whose `isUnavailable` is true. Both calls only read; they are safe to
 * repeat. Failures are AgentCallError (status, and the `tf-*` trailers when the coordinator sets
 * them). Not usable after `close()`.
 *
 * @example
 * const coordinator = await CoordinatorClient.connect('127.0.0.1:9750');
 * try {
 *   const { hosts, pools } = await coordinator.clusterStatus();
 *   const { locations } = await coordinator.findVolume('vm1');
 * } finally {
 *   coordinator.close();
 * }
 */
export class CoordinatorClient {
  /** The parsed address this client talks to. */
  readonly target: CoordinatorTarget;
  private readonly deadlineMs: number;
  private readonly retryUnavailableMs: number;
  private readonly cluster: ClusterServiceClient;

  private constructor(channel: ClientChannel<CoordinatorTarget>) {
    this.target = channel.target;
    this.deadlineMs = channel.deadlineMs;
    this.retryUnavailableMs = channel.retryUnavailableMs;
    this.cluster = new (loadCoordinatorApi().ClusterService)(channel.target.address, channel.channelCredentials);
  }

  /**
   * Makes a client for the coordinator at `address` (`host:port`, `[v6addr]:port`, or a host
   * alone for port 9750). Plaintext is allowed only to a loopback address (127.0.0.0/8, ::1,
   * localhost); any other host needs `options.tls`. Rejects with a plain Error (errno and cause
   * kept) when the address is malformed, TLS is missing for a remote host, or a PEM file cannot
   * be read.
   */
  static async connect(address: string, options: CoordinatorConnectOptions = {}): Promise<CoordinatorClient> {
    return new CoordinatorClient(await coordinatorChannel(address, options));
  }

  /** Closes the connection; pending calls fail with CANCELLED or UNAVAILABLE. Idempotent. */
  close(): void {
    this.cluster.close();
  }

  /**
   * The cluster as the coordinator sees it in etcd: hosts with live sessions, pools with their
   * lock holder, token, waiters and the hosts that reach them, and the etcd endpoints it uses.
   */
  clusterStatus(options?: CoordinatorCallOptions): Promise<ClusterStatusResponse__Output> {
    return retryUnavailable(this.retryUnavailableMs, () => unaryCall((m, o, cb) => this.cluster.clusterStatus({}, m, o, cb), options?.deadlineMs ?? this.deadlineMs));
  }

  /**
   * Where the volume `name` lives: `pool/name` looks in that pool, a bare name in every pool (so
   * several locations are possible). No match is an empty list, or whatever error the
   * coordinator chooses to send.
   */
  findVolume(name: string, options?: CoordinatorCallOptions): Promise<FindVolumeResponse__Output> {
    return retryUnavailable(this.retryUnavailableMs, () => unaryCall((m, o, cb) => this.cluster.findVolume({ name }, m, o, cb), options?.deadlineMs ?? this.deadlineMs));
  }
}
