/**
 * The coordinator: one gRPC server serving the agents' sessions (SessionService), the cluster
 * view (ClusterService), its health (grpc.health.v1: SERVING while etcd answers), and the agent
 * API routed to the host holding each pool (Pool, Volume, Job services), all backed by etcd — an
 * external cluster, or an embedded single member the coordinator runs itself when no endpoints
 * are configured.
 *
 * Stateless apart from etcd: any number of coordinators may serve the same cluster, and a
 * restarted one picks up where the keys are. Each runs the failover supervisor (failover.ts),
 * which hands a wanted pool whose holder died to a live host without waiting for a call. Crash story: see session-service.ts (leases outlive
 * streams), router.ts (calls leave nothing behind) and embedded-etcd.ts (etcd's own WAL).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { connectEtcd } from '@thinfleet/lock';
import { loadAgentApi, loadCoordinatorApi, shutdownServer } from '@thinfleet/proto';
import type { Etcd3 } from 'etcd3';
import { pino, type Logger } from 'pino';
import { AgentChannels } from './agent-channels.js';
import { clusterIdOnce } from './cluster-identity.js';
import { clusterServiceHandlers } from './cluster-service.js';
import { splitHostPort, type CoordinatorConfig, type TlsFiles } from './coordinator-config.js';
import { CoordinatorHealth } from './coordinator-health.js';
import { CoordinatorMetrics } from './coordinator-metrics.js';
import { EmbeddedEtcd } from './embedded-etcd.js';
import { FailoverSupervisor } from './failover.js';
import { IndexRefresher } from './index-refresher.js';
import { startMetricsEndpoint, type MetricsEndpoint } from './metrics-endpoint.js';
import { ClusterRegistry } from './registry.js';
import { transferHandlers } from './transfer-router.js';
import { Router } from './router.js';
import { sessionServiceHandlers, SessionRegistry } from './session-service.js';

export interface CoordinatorStartOptions {
  readonly logger?: Logger;
  /** How long a routed call waits for a free pool to be taken and ready (default 30 s). */
  readonly acquireTimeoutMs?: number;
  /** How often the failover supervisor sweeps every pool behind its watch on session ends (default 5 s). */
  readonly failoverSweepMs?: number;
}

export class Coordinator {
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly server: Server,
    private readonly etcd: Etcd3,
    private readonly embedded: EmbeddedEtcd | null,
    private readonly channels: AgentChannels,
    private readonly sessions: SessionRegistry,
    private readonly failover: FailoverSupervisor,
    private readonly health: CoordinatorHealth,
    private readonly metricsEndpoint: MetricsEndpoint | null,
    private readonly logger: Logger,
    /** The bound gRPC port. */
    readonly port: number,
    /** `host:port` clients and agents use. */
    readonly address: string,
    /** The etcd endpoints in use. */
    readonly etcdEndpoints: readonly string[],
  ) {}

  /**
   * Starts etcd (when embedded), then serves. Resolves once the port is bound.
   * @throws EmbeddedEtcdError when the embedded etcd cannot start; Error when the port cannot be bound
   */
  static async start(config: CoordinatorConfig, options: CoordinatorStartOptions = {}): Promise<Coordinator> {
    const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'thinfleet-coordinator' } });
    let embedded: EmbeddedEtcd | null = null;
    let endpoints = config.etcd.endpoints;
    if (endpoints.length === 0) {
      embedded = await EmbeddedEtcd.start({
        binary: config.embeddedEtcd.binary,
        dataDir: join(config.stateDir, 'etcd'),
        clientPort: config.embeddedEtcd.clientPort,
        peerPort: config.embeddedEtcd.peerPort,
        logger,
      });
      endpoints = [embedded.endpoint];
    }
    const tls = config.etcd.tls;
    const etcd = connectEtcd({
      endpoints,
      ...(tls === null ? {} : { tls: { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } }),
    });
    const server = new Server();
    const channels = new AgentChannels(config.agentTls);
    const sessions = new SessionRegistry();
    const health = new CoordinatorHealth({ etcd, probeKey: `${config.etcd.prefix}hosts/` });
    const metrics = new CoordinatorMetrics({ sessions: () => sessions.byNode.size, heldLocks: () => sessions.heldLocks() });
    let metricsEndpoint: MetricsEndpoint | null = null;
    try {
      const registry = new ClusterRegistry(etcd, config.etcd.prefix);
      const router = new Router({ registry, channels, logger, metrics, ...(options.acquireTimeoutMs === undefined ? {} : { acquireTimeoutMs: options.acquireTimeoutMs }) });
      // After PoolReady: a few at a time, so a burst of grants cannot starve the lease renewals.
      const refresher = new IndexRefresher((pool, owner) => router.refreshIndex(pool, owner));
      const coordinatorApi = loadCoordinatorApi();
      const agentApi = loadAgentApi();
      server.addService(
        coordinatorApi.SessionService.service,
        sessionServiceHandlers(
          {
            etcd,
            registry,
            coordinatorId: config.coordinatorId,
            lock: config.lock,
            logger,
            metrics,
            onPoolReady: (pool, owner) => refresher.request(pool, owner),
            clusterId: clusterIdOnce(etcd, registry.lockPrefix),
          },
          sessions,
        ),
      );
      server.addService(
        coordinatorApi.ClusterService.service,
        clusterServiceHandlers({ registry, coordinatorId: config.coordinatorId, etcdEndpoints: endpoints, embeddedEtcd: embedded !== null }),
      );
      server.addService(agentApi.VolumeService.service, router.volumeHandlers());
      server.addService(agentApi.PoolService.service, router.poolHandlers());
      server.addService(agentApi.JobService.service, router.jobHandlers());
      server.addService(agentApi.DeviceSnapshotService.service, router.deviceSnapshotHandlers());
      server.addService(agentApi.VolumeTransferService.service, transferHandlers(router, { channels, logger }));
      server.addService(agentApi.Health.service, health.handlers());
      const { host, port } = splitHostPort(config.listen);
      const bound = await new Promise<number>((resolve, reject) =>
        server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, serverCredentials(config.tls), (err, p) => (err === null ? resolve(p) : reject(err))),
      );
      const address = `${host.includes(':') ? `[${host}]` : host}:${bound}`;
      if (config.metricsListen !== null) {
        const m = splitHostPort(config.metricsListen);
        metricsEndpoint = await startMetricsEndpoint({ host: m.host, port: m.port, registry: metrics.registry, logger });
      }
      const failover = new FailoverSupervisor({ registry, etcd, logger, metrics, ...(options.failoverSweepMs === undefined ? {} : { sweepMs: options.failoverSweepMs }) });
      failover.start();
      logger.info({ address, metrics: metricsEndpoint?.url ?? null, etcd: endpoints, embeddedEtcd: embedded !== null, coordinator: config.coordinatorId }, 'coordinator serving');
      return new Coordinator(server, etcd, embedded, channels, sessions, failover, health, metricsEndpoint, logger, bound, address, endpoints);
    } catch (err) {
      server.forceShutdown();
      await metricsEndpoint?.close();
      channels.close();
      etcd.close();
      await embedded?.stop();
      throw err;
    }
  }

  /** The Prometheus scrape URL, or null when `metricsListen` is null. */
  get metricsUrl(): string | null {
    return this.metricsEndpoint?.url ?? null;
  }

  /** Agents with a stream on this coordinator. */
  get connectedAgents(): string[] {
    return [...this.sessions.byNode.keys()].sort();
  }

  /**
   * Stops serving: agent streams end (their leases stay in etcd until they reconnect elsewhere
   * or expire), calls in flight get 2 s to finish, then the embedded etcd stops. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.health.stop();
    await this.failover.stop();
    for (const session of [...this.sessions.byNode.values()]) session.end('the coordinator is stopping');
    await shutdownServer(this.server, 2_000);
    await this.metricsEndpoint?.close();
    this.channels.close();
    this.etcd.close();
    await this.embedded?.stop();
    this.logger.info('coordinator stopped');
  }
}

function serverCredentials(tls: TlsFiles | null): ServerCredentials {
  if (tls === null) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(readFileSync(tls.caFile), [{ private_key: readFileSync(tls.keyFile), cert_chain: readFileSync(tls.certFile) }], true);
}
