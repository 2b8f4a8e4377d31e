/**
 * The agent on one host: opens the device-mapper backend, activates (and so recovers) every
 * pool it knows, resumes interrupted jobs, and only then serves gRPC and tells systemd it is
 * ready. Stopping refuses new work, lets in-flight operations finish, checkpoints jobs, writes
 * staged commit records, and leaves pools and volumes active (VMs keep their disks).
 *
 * Crash story: the agent keeps no state that is not on disk already: pools describe themselves
 * (labels, catalog, kernel metadata) and recover at activation; the registry and job records are
 * replaced whole; a job resumes from its last checkpoint. Killing the agent at any point is the
 * same as a crash of the operations in flight, each of which has its own story.
 *
 * In cluster mode (config `cluster`) known pools are not activated at start: the cluster node
 * (cluster/cluster-node.ts) fences whatever the kernel still has of them before the agent serves,
 * connects to the coordinator once it serves, and activates a pool only under its lock.
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Server } from '@grpc/grpc-js';
import type { HostWatchdog } from '@thinfleet/devmapper';
import { Engine, type Pool } from '@thinfleet/engine';
import { loadAgentApi, shutdownServer } from '@thinfleet/proto';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { splitHostPort, type AgentConfig } from './agent-config.js';
import { openDmBackend, type DmBackend } from './dm-backend.js';
import { sweepTemporaryFiles } from './durable-file.js';
import { bindTcp, bindUnixSocket, makeServer } from './grpc-server.js';
import { HealthState, SESSION_HEALTH_SERVICE } from './health-service.js';
import { HostPools } from './host-pools.js';
import { InFlight } from './in-flight.js';
import { JobWatches, jobServiceHandlers } from './job-service.js';
import { JobManager } from './jobs/index.js';
import { identityReader } from './device-snapshots/device-identity.js';
import { DeviceSnapshots } from './device-snapshots/device-snapshots.js';
import { deviceSnapshotServiceHandlers } from './device-snapshot-service.js';
import { ClusterNode } from './cluster/cluster-node.js';
import { systemClock, type SessionClock } from './cluster/session-clock.js';
import { fenceLeftoverPools } from './cluster/startup-fence.js';
import { backendHostWatchdog, checkWatchdogDevice, type HostWatchdogBackend } from './cluster/watchdog-device.js';
import { WatchdogMetrics } from './metrics/watchdog-metrics.js';
import { clusterPoolLookup } from './cluster/cluster-pool-lookup.js';
import { coordinatorTransfer } from './cluster/coordinator-transfer.js';
import { AgentMetrics } from './metrics/agent-metrics.js';
import { startMetricsServer } from './metrics/metrics-server.js';
import { PoolFencing } from './pool-fencing.js';
import { PoolRegistry } from './pool-registry.js';
import { poolServiceHandlers } from './pool-service.js';
import { RequestIds } from './request-ids.js';
import { PoolEventWatches, poolCapacityHandlers } from './pool-capacity-service.js';
import { PoolCapacityMonitor } from './capacity/pool-capacity-monitor.js';
import { makeAutoextend } from './capacity/autoextend.js';
import { CapacityMetrics } from './metrics/capacity-metrics.js';
import { wireCheckedDefinition, type RpcContext } from './rpc.js';
import type { CallStageSink } from './call-stages.js';
import { handEncodedVolumeAnswers } from './volume-answer-serializer.js';
import { handEncodedListVolumes } from './list-volumes-serializer.js';
import { notifySystemd, watchdogIntervalMs } from './sd-notify.js';
import { volumeTransferHandlers } from './volume-transfer-service.js';
import { volumeServiceHandlers } from './volume-service.js';

/** The agent's version, from its package.json. */
export const AGENT_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Tells systemd `state` (when it asked to be told); a failed notification is logged, never fatal. */
async function tellSystemd(logger: Logger, env: NodeJS.ProcessEnv, state: string): Promise<void> {
  try {
    await notifySystemd(state, env);
  } catch (err) {
    logger.warn({ err, state }, 'systemd notification failed');
  }
}

export interface AgentStartOptions {
  /** Defaults to pino on stdout at the config's level. */
  readonly logger?: Logger;
  /** Environment for systemd notification (tests pass their own). */
  readonly env?: NodeJS.ProcessEnv;
  /** Opens the device-mapper backend (tests wrap the simulated one); default openDmBackend. */
  readonly openBackend?: typeof openDmBackend;
  /** Makes the host watchdog of cluster mode with fencing "watchdog" (tests); default backendHostWatchdog. */
  readonly hostWatchdog?: (backend: HostWatchdogBackend) => HostWatchdog;
  /** The cluster session's clock, which the simulated watchdog shares (tests); default the system's. */
  readonly clusterClock?: SessionClock;
  /** Receives each call's per-stage durations (benchmarks; call-stages.ts); default none: calls are not timed. */
  readonly callStages?: CallStageSink;
}

export class Agent {
  private stopping: Promise<void> | null = null;
  private watchdogTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly config: AgentConfig,
    readonly logger: Logger,
    readonly backend: DmBackend,
    readonly engine: Engine,
    readonly pools: HostPools,
    readonly jobs: JobManager,
    private readonly server: Server,
    private readonly inFlight: InFlight,
    private readonly health: HealthState,
    private readonly watches: JobWatches,
    readonly metrics: AgentMetrics,
    private readonly metricsServer: { url: string; close(): Promise<void> } | null,
    /** The TCP port when serving TCP (the configured one, or the one picked for port 0). */
    readonly tcpPort: number | null,
    private readonly env: NodeJS.ProcessEnv,
    /** The cluster node in cluster mode; null on a standalone host. */
    readonly cluster: ClusterNode | null,
    /** Watches pools' data and metadata use against the thresholds (tests call its poll()). */
    readonly capacity: PoolCapacityMonitor,
    private readonly poolEventWatches: PoolEventWatches,
  ) {}

  /** The unix socket the agent serves on. */
  get socketPath(): string {
    return this.config.socket;
  }

  /** Operations running now (RPCs, not watch streams). */
  get inFlightOperations(): number {
    return this.inFlight.size;
  }

  /** The metrics URL, when metrics are served. */
  get metricsUrl(): string | null {
    return this.metricsServer?.url ?? null;
  }

  /**
   * Starts an agent. Resolves once it serves; every known pool has been activated (or marked
   * with its problem) by then.
   * @throws AgentConfigError for a backend or socket problem (nothing is left running)
   */
  static async start(config: AgentConfig, options: AgentStartOptions = {}): Promise<Agent> {
    const env = options.env ?? process.env;
    const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'thinfleet-agent' } });
    await tellSystemd(logger, env, 'STATUS=opening the device-mapper');
    const backend = await (options.openBackend ?? openDmBackend)(config.dm, config.stateDir);
    if (backend.simulated) {
      logger.warn(
        { dm: 'sim', stateDir: config.stateDir },
        'SIMULATED DEVICE-MAPPER: volumes live in files and an in-process kernel model, not in the kernel; no /dev/mapper devices exist. Use --dm native on a host with dm_thin_pool for real volumes.',
      );
    }
    // pools.json, fencing.json and cluster-session.json are replaced by rename: a crash between
    // write and rename left a temporary file beside them.
    const swept = await sweepTemporaryFiles(config.stateDir);
    if (swept.length > 0) logger.info({ stateDir: config.stateDir, files: swept }, 'removed temporary files an earlier run left');
    const server = makeServer(config.maxRequestBytes);
    let metricsServer: { url: string; close(): Promise<void> } | null = null;
    let cluster: ClusterNode | null = null;
    try {
      // External origins that are files resolve to their read-only loop devices (origin-attachments.ts).
      let resolveOrigin: (pool: string, path: string) => string = (_pool, path) => path;
      const engine = new Engine({
        dm: backend.dm,
        block: backend.block,
        logger,
        snapshotDeadlineMs: config.snapshotDeadlineMs,
        resolveExternalOrigin: (pool, path) => resolveOrigin(pool, path),
      });
      const registry = PoolRegistry.open(config.stateDir);
      let releaseOrigins: (pool: string) => Promise<void> = async () => {};
      let prepareOrigin: (pool: Pool, origin: string) => Promise<void> = async () => {};
      // The simulated kernel's devices have no sysfs entries: their identity is size and loop file only.
      const readIdentity = identityReader({ block: backend.block, sysfsRoot: backend.simulated ? null : '/sys' });
      const jobs = new JobManager({
        stateDir: config.stateDir,
        engine,
        block: backend.block,
        logger,
        chunkBytes: config.deleteChunkBytes,
        flattenChunkBytes: config.flattenChunkBytes,
        afterDetach: (pool) => releaseOrigins(pool),
        prepareOrigin: (pool, origin) => prepareOrigin(pool, origin),
        ...(config.cluster === null ? {} : { remote: coordinatorTransfer(config.cluster) }),
        merge: { dm: backend.dm, readIdentity },
      });
      const deviceSnapshots = new DeviceSnapshots({
        engine,
        dm: backend.dm,
        block: backend.block,
        readIdentity,
        logger,
        requireUnclaimed: (field, path) => pools.requireUnclaimed(field, path),
      });
      // A pool's device snapshots are loaded before its jobs resume (a merging one is left to its merge job).
      const onActivated = async (name: string): Promise<void> => {
        await deviceSnapshots.restore(name);
        await jobs.poolActivated(name);
      };
      const pools = new HostPools(engine, registry, backend.block, logger, onActivated, {
        dm: backend.dm,
        ...(config.cluster === null ? {} : { clusterPools: clusterPoolLookup(config.cluster) }),
      });
      resolveOrigin = (pool, path) => pools.origins.resolve(pool, path);
      releaseOrigins = (pool) => pools.origins.releaseUnused(pool);
      prepareOrigin = (pool, origin) => pools.prepareOrigin(pool, 'keep_origin', origin);

      const fencing = new PoolFencing(config.stateDir);
      const health = new HealthState();
      if (config.cluster === null) {
        await tellSystemd(logger, env, 'STATUS=activating and recovering pools');
        const started = Date.now();
        const { activated, failed } = await pools.activateKnown();
        await jobs.start();
        logger.info({ pools: activated.length, failed: failed.length, durationMs: Date.now() - started }, 'known pools activated');
      } else {
        const clock = options.clusterClock ?? systemClock;
        let watchdog: HostWatchdog | null = null;
        if (config.fencing === 'watchdog') {
          checkWatchdogDevice(config.watchdogDevice, backend.simulated);
          const watchdogBackend = { simulated: backend.simulated, dm: backend.dm, stateDir: config.stateDir, devicePath: config.watchdogDevice, clock, logger };
          watchdog = (options.hostWatchdog ?? backendHostWatchdog)(watchdogBackend);
        } else {
          logger.warn(
            { fencing: 'none' },
            'FENCING "none": this host has no watchdog backstop; if the agent dies, stops or hangs while holding pools, their devices stay live in this kernel after another host may be granted them. Set "fencing": "watchdog" with a host watchdog for shared storage.',
          );
        }
        await tellSystemd(logger, env, 'STATUS=fencing pools left live in the kernel');
        health.setService(SESSION_HEALTH_SERVICE, 'NOT_SERVING');
        cluster = await ClusterNode.start({
          config: config.cluster,
          stateDir: config.stateDir,
          engine,
          dm: backend.dm,
          pools,
          jobs,
          fencing,
          logger,
          version: AGENT_VERSION,
          watchdog,
          clock,
          onSessionLive: (live) => health.setService(SESSION_HEALTH_SERVICE, live ? 'SERVING' : 'NOT_SERVING'),
        });
        await jobs.start();
        logger.info({ nodeId: config.cluster.nodeId, coordinators: config.cluster.coordinators }, 'cluster mode: pools are activated only under their locks');
      }

      const metricsRegistry = new Registry();
      const metrics = new AgentMetrics(metricsRegistry, engine, { jobCounts: () => jobs.countsByKind(), logger });
      metrics.setInfo(AGENT_VERSION, backend.kind);
      if (cluster !== null) new WatchdogMetrics(metricsRegistry, () => cluster!.watchdog.status());

      const capacityMetrics = new CapacityMetrics(metricsRegistry);
      const autoextend = makeAutoextend({
        config: config.poolAutoextend,
        pools,
        metrics: capacityMetrics,
        logger,
      });
      const capacity = new PoolCapacityMonitor({
        pools: () => engine.pools(),
        dataWarnPercent: config.poolDataWarnPercent,
        metadataWarnPercent: config.poolMetadataWarnPercent,
        logger,
        metrics: capacityMetrics,
        autoextend,
      });
      const poolEventWatches = new PoolEventWatches();

      const inFlight = new InFlight();
      const watches = new JobWatches();
      const ctx: RpcContext = {
        logger,
        inFlight,
        fencing: cluster?.ownership ?? fencing,
        observe: (op, seconds, code) => metrics.observeOperation(op, seconds, code),
        requestIds: new RequestIds(),
        ...(options.callStages === undefined ? {} : { stages: options.callStages }),
      };
      const api = loadAgentApi();
      server.addService(wireCheckedDefinition(api.PoolService.service, options.callStages), {
        ...poolServiceHandlers(ctx, pools, jobs, cluster ?? pools),
        ...poolCapacityHandlers(ctx, { pools, monitor: capacity, metrics: capacityMetrics, watches: poolEventWatches }),
      });
      server.addService(
        wireCheckedDefinition(handEncodedVolumeAnswers(handEncodedListVolumes(api.VolumeService.service)), options.callStages),
        volumeServiceHandlers(ctx, { pools, jobs, config, simulated: backend.simulated, nodeId: config.cluster?.nodeId ?? hostname() }),
      );
      server.addService(wireCheckedDefinition(api.JobService.service), jobServiceHandlers(ctx, jobs, watches));
      server.addService(wireCheckedDefinition(api.DeviceSnapshotService.service), deviceSnapshotServiceHandlers(ctx, { snapshots: deviceSnapshots, jobs }));
      server.addService(wireCheckedDefinition(api.VolumeTransferService.service), volumeTransferHandlers(ctx, { pools }));
      server.addService(wireCheckedDefinition(api.Health.service, options.callStages), health.handlers());
      await bindUnixSocket(server, config.socket);
      const tcpPort = config.tcp === null ? null : await bindTcp(server, config.tcp);
      if (config.metricsListen !== null) {
        const { host, port } = splitHostPort(config.metricsListen);
        metricsServer = await startMetricsServer({ host, port, render: () => metricsRegistry.metrics(), logger });
      }
      metrics.startSampling();
      await capacity.poll();
      capacity.start(config.poolCapacityPollMs);
      health.set('SERVING');

      const agent = new Agent(config, logger, backend, engine, pools, jobs, server, inFlight, health, watches, metrics, metricsServer, tcpPort, env, cluster, capacity, poolEventWatches);
      cluster?.connect();
      await tellSystemd(logger, env, `READY=1\nSTATUS=serving ${engine.pools().length} pool(s) on ${config.socket}`);
      agent.startWatchdog();
      logger.info({ socket: config.socket, tcpPort, metrics: metricsServer?.url ?? null, dm: backend.kind, version: AGENT_VERSION }, 'agent serving');
      return agent;
    } catch (err) {
      server.forceShutdown();
      // Cluster mode: whatever failed (an unreadable state file, a refused watchdog), no pool
      // may stay live in the kernel while the agent is down (startup-fence.ts).
      if (config.cluster !== null) await fenceLeftoverPools(backend.dm, logger);
      await cluster?.stop();
      await metricsServer?.close();
      backend.close();
      throw err;
    }
  }

  private startWatchdog(): void {
    const intervalMs = watchdogIntervalMs(this.env);
    if (intervalMs === null) return;
    this.watchdogTimer = setInterval(() => void tellSystemd(this.logger, this.env, 'WATCHDOG=1'), intervalMs);
    this.watchdogTimer.unref();
  }

  /**
   * Stops serving: new calls get UNAVAILABLE, in-flight ones finish (up to shutdownTimeoutMs),
   * running jobs stop after their current chunk and checkpoint, staged commit records are
   * written. Pools and volumes stay active on a standalone host; in cluster mode held pools
   * are handed back, or fenced when volumes are in use (ClusterNode.stop). Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    const log = this.logger;
    log.info({ inFlight: this.inFlight.size }, 'agent stopping');
    await tellSystemd(log, this.env, 'STOPPING=1\nSTATUS=finishing in-flight operations');
    if (this.watchdogTimer !== null) clearInterval(this.watchdogTimer);
    this.health.set('NOT_SERVING');
    const drained = await this.inFlight.close(this.config.shutdownTimeoutMs);
    if (!drained)
      log.error({ inFlight: this.inFlight.size, timeoutMs: this.config.shutdownTimeoutMs }, 'in-flight operations did not finish in time; stopping anyway (each recovers at the next start)');
    // No more polls; one in progress (it may be extending a pool) ends first.
    await this.capacity.stop();
    await this.jobs.stop();
    // Cluster mode: held pools are handed back or fenced, since nothing renews the lease after this.
    await this.cluster?.stop();
    this.watches.endAll();
    this.poolEventWatches.endAll();
    this.health.endWatches();
    await shutdownServer(this.server, 2_000);
    this.metrics.stopSampling();
    await this.metricsServer?.close();
    await this.pools.flushAll();
    this.backend.close();
    await rm(this.config.socket, { force: true });
    log.info('agent stopped');
  }
}
