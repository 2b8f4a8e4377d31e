/**
 * The agent in cluster mode: this host serves a pool only while its session with the
 * coordinator holds the pool's lock, and stops writing to the pool before anyone else can be
 * granted it. This file ties the parts together and reacts to the session's events:
 *
 * - Taking a pool (the coordinator's Acquire, or a local create/activate/destroy): Take; on the
 *   Granted the pool is brought up under the grant (grant-activation.ts).
 * - Contention: the pool is handed over as soon as it is idle (handover-scheduler.ts). A local
 *   DeactivatePool hands over the same way.
 * - Losing the session (deadline passed, SessionLost, a resume refused): every pool the session
 *   may have held is fenced at once (fence-or-log.ts), without waiting for anything in flight.
 *
 * Crash story (start-up): known pools are never activated at start, since another host may hold
 * them; every pool whose devices are live in the kernel is fenced before the agent serves
 * anything (startup-fence.ts). cluster-session.json names the session and the pools it held; the
 * session is resumed if the coordinator still has it, and then those pools are taken again
 * (immediate and clean: the session never let go of them), discarded and activated afresh once
 * the first keepalive is acknowledged. If it is gone, their locks are gone too, and a later grant
 * discards and activates them (session-resume.ts). A stream that breaks and is resumed without a
 * restart re-takes its pools the same way; those active here keep serving and move to the new
 * token; takes the break cut are settled (cut-takes.ts). At stop, idle held pools are handed back (deactivated and
 * released); busy ones (open volumes) are fenced, since nothing renews the lease once the agent
 * is gone.
 */
import type { DmClient, HostWatchdog } from '@thinfleet/devmapper';
import { type Engine, type Pool } from '@thinfleet/engine';
import { KeyedMutex } from '../keyed-mutex.js';
import type { HostPool } from '@thinfleet/proto';
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.js';
import type { ClusterConfig } from '../agent-config.js';
import type { CreatedHostPool, CreateHostPoolRequest, HostPools } from '../host-pools.js';
import type { JobManager } from '../jobs/index.js';
import type { PoolFencing } from '../pool-fencing.js';
import type { PoolLifecycle } from '../pool-service.js';
import type { ClusterContext } from './cluster-context.js';
import { ClusterSessionFile, type ClusterSessionState } from './cluster-session-file.js';
import { CoordinatorSession, type Grant } from './coordinator-session.js';
import { COORDINATOR_ASKED, localCall, type TakeReason } from './cut-takes.js';
import { fenceOrLog } from './fence-or-log.js';
import { GrantActivation, volumeCountOf } from './grant-activation.js';
import { HandoverScheduler } from './handover-scheduler.js';
import { LeaseWatchdog } from './lease-watchdog.js';
import { PoolOwnership, STANDBY } from './pool-ownership.js';
import { systemClock, type SessionClock } from './session-clock.js';
import { SessionResume } from './session-resume.js';
import { fenceAtStart } from './startup-fence.js';

/** What a cluster node needs from the agent (agent.ts builds it in cluster mode). */
export interface ClusterNodeOptions {
  readonly config: ClusterConfig;
  readonly stateDir: string;
  readonly engine: Engine;
  /** The engine's device-mapper client (start-up looks for pool devices by name). */
  readonly dm: DmClient;
  readonly pools: HostPools;
  readonly jobs: JobManager;
  readonly fencing: PoolFencing;
  readonly logger: Logger;
  readonly version: string;
  /** The host watchdog coupled to the lease (lease-watchdog.ts); null: fencing "none". */
  readonly watchdog: HostWatchdog | null;
  readonly clock?: SessionClock;
  /** How often a contended pool that is busy is looked at again (default 1000 ms). */
  readonly handoverRetryMs?: number;
  /** Reconnect backoff of the session (default 200..2000 ms). */
  readonly backoffMs?: { readonly min: number; readonly max: number };
  /** Told when a coordinator's Welcome is accepted (true) and when the stream breaks (false): the agent's health. */
  readonly onSessionLive?: (live: boolean) => void;
}

/**
 * The agent's pool lifecycle in cluster mode (see the module comment). Built by `start` (which
 * fences first), then `connect`; `stop` once. Every change of a pool runs under its mutex.
 */
export class ClusterNode implements PoolLifecycle {
  readonly ownership: PoolOwnership;
  readonly session: CoordinatorSession;
  /** The host watchdog as the lease drives it (status for metrics and health). */
  readonly watchdog: LeaseWatchdog;
  private readonly log: Logger;
  private readonly locks = new KeyedMutex();
  private readonly ctx: ClusterContext;
  private readonly handover: HandoverScheduler;
  private readonly grants: GrantActivation;
  private readonly resume: SessionResume;
  private stopping = false;

  private constructor(
    private readonly options: ClusterNodeOptions,
    private readonly file: ClusterSessionFile,
    saved: ClusterSessionState,
  ) {
    this.log = options.logger.child({ cluster: options.config.nodeId });
    const clock = options.clock ?? systemClock;
    this.watchdog = new LeaseWatchdog({ watchdog: options.watchdog, clock, log: this.log });
    this.session = new CoordinatorSession({
      addresses: options.config.coordinators,
      clusterId: saved.clusterId,
      tls: options.config.tls,
      nodeId: options.config.nodeId,
      advertise: options.config.advertise,
      version: options.version,
      resumeSession: saved.session,
      pools: () => this.hostPools(),
      fencing: () => {
        const status = this.watchdog.status();
        return { fencing: status.fencing, watchdogTimeoutSeconds: status.deviceTimeoutSeconds };
      },
      logger: options.logger,
      clock,
      ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
      events: {
        onWelcome: (w) => {
          this.watchdog.welcome(w.watchdogTimeoutSeconds);
          this.watchdog.deadline(w.deadlineMs);
          this.onWelcome(w.resumed, w.session);
        },
        onRenewed: (deadlineMs) => {
          this.watchdog.deadline(deadlineMs);
          this.grants.renewed();
        },
        onLost: (reason) => this.onLost(reason),
        onAcquire: (pool) => this.onAcquire(pool),
        onContention: (pool, waiters) => this.onContention(pool, waiters),
        onDisconnected: () => options.onSessionLive?.(false),
      },
    });
    this.ownership = new PoolOwnership(options.fencing, () => this.session.holdsNow());
    this.ownership.onChange(() => void this.persist().catch((err: unknown) => this.log.error({ err }, 'could not write cluster-session.json')));
    this.ownership.onChange(() => this.watchdog.poolsChanged(this.ownership.entries()));
    this.ctx = {
      engine: options.engine,
      pools: options.pools,
      jobs: options.jobs,
      fencing: options.fencing,
      ownership: this.ownership,
      session: this.session,
      watchdog: this.watchdog,
      nodeId: options.config.nodeId,
      log: this.log,
      clock,
      retryMs: options.handoverRetryMs ?? 1000,
      stopping: () => this.stopping,
      serial: (pool, fn) => this.serial(pool, fn),
      persist: () => this.persist(),
    };
    this.handover = new HandoverScheduler(this.ctx);
    this.grants = new GrantActivation(this.ctx, this.handover);
    this.resume = new SessionResume(this.ctx, this.grants, this.handover, (pool, reason, bringUp) => this.acquire(pool, reason, bringUp));
  }

  /**
   * Reads cluster-session.json and fences every pool whose devices are live in the kernel
   * (startup-fence.ts). Call before serving; then `connect`.
   * @throws Error for an unreadable cluster-session.json
   */
  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const file = new ClusterSessionFile(options.stateDir);
    const saved = file.read();
    const node = new ClusterNode(options, file, saved);
    const unfenced = await fenceAtStart(saved, { engine: options.engine, dm: options.dm, pools: options.pools, ownership: node.ownership, log: node.log });
    // A previous agent killed while it held pools left its watchdog counting down: with every
    // leftover pool fenced now, it is closed cleanly (a failed fence leaves it to reset the host).
    if (unfenced.length === 0) await node.watchdog.clearAfterStartupFence();
    await node.persist();
    return node;
  }

  /** Opens the session (once the agent serves: the coordinator may call it right after the Welcome). */
  connect(): void {
    this.session.start();
  }

  // ---- session events ----------------------------------------------------------------------

  /** A Welcome: cluster-session.json names the session; a resumed one takes its pools again (session-resume.ts). */
  private onWelcome(resumed: boolean, session: string): void {
    this.options.onSessionLive?.(true);
    void this.persist().catch((err: unknown) => this.log.error({ err }, 'could not write cluster-session.json'));
    this.resume.welcome(resumed, session);
  }

  /**
   * The session is gone: every pool it may have held is fenced now, in parallel, before
   * anything else runs (the engine's fence does not wait for the pool's work in flight).
   */
  private onLost(reason: string): void {
    // The watchdog stops petting now and, if a pool could write here, is never disarmed again:
    // the host is reset (the fences below only close the gap until then).
    this.watchdog.leaseLost();
    this.grants.lost(reason);
    for (const [pool, state] of this.ownership.entries()) {
      this.handover.lost(pool);
      if (state.kind === 'fenced') {
        if (state.heldToken !== null) this.ownership.set(pool, { kind: 'fenced', heldToken: null });
        continue;
      }
      const token = 'token' in state ? state.token.toString() : null;
      const fenced = this.ownership.set(pool, { kind: 'fenced', heldToken: null });
      this.log.error({ pool, token, reason, was: state.kind }, 'pool lock lost: fencing the pool');
      void fenceOrLog(this.options.engine, this.log, pool, { fields: { token }, fenced: 'pool fenced', watchdog: this.watchdog })
        .then(async (report) => {
          if (report !== null && (await this.options.engine.poolDeviceState(pool)) === 'absent') this.ownership.transition(pool, fenced, STANDBY);
        })
        .catch((err: unknown) => this.log.warn({ pool, err }, 'could not read the device state of a fenced pool'));
    }
  }

  private onAcquire(pool: string): void {
    if (this.stopping) return;
    const state = this.ownership.state(pool);
    if (state.kind === 'held') {
      this.session.poolReady(pool, state.token, volumeCountOf(this.options.engine, pool));
      return;
    }
    void (async () => {
      try {
        await this.options.pools.view(pool);
      } catch {
        this.log.warn({ pool }, 'the coordinator asked for a pool this host does not know; ignored');
        return;
      }
      await this.acquire(pool, COORDINATOR_ASKED, () => this.options.pools.activate(pool, []));
    })().catch((err: unknown) => this.log.error({ pool, err }, 'could not take a pool the coordinator asked for'));
  }

  private onContention(pool: string, waiters: number): void {
    const state = this.ownership.state(pool);
    this.log.info({ pool, waiters, state: state.kind }, 'another host waits for the pool');
    this.handover.contend(pool);
  }

  // ---- taking a pool ---------------------------------------------------------------------

  private serial<T>(pool: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(pool, fn);
  }

  /** Takes `pool`'s lock (unless held) and brings the pool up under it; a take cut by a broken stream is recorded with `reason`. */
  private acquire(pool: string, reason: TakeReason, bringUp: () => Promise<Pool>): Promise<Pool> {
    return this.serial(pool, async () => {
      if (this.stopping) throw new AgentError('SHUTTING_DOWN', 'the agent is shutting down and takes no new work');
      const current = this.ownership.state(pool);
      if (current.kind === 'held') return bringUp();
      if (current.kind === 'releasing') throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool} is being released; retry`);
      if (current.kind === 'fenced' && current.heldToken !== null) {
        // The session still holds the lock (resumed after a restart): taking it again is immediate.
        const grant = await this.grants.take(pool, current, reason.why);
        return this.grants.activate(pool, current, grant.token, grant.dirty, bringUp);
      }
      const acquiring = this.ownership.set(pool, { kind: 'acquiring' });
      const session = this.session.sessionId;
      let grant: Grant;
      try {
        grant = await this.grants.take(pool, current, reason.why);
      } catch (err) {
        this.ownership.transition(pool, acquiring, current.kind === 'fenced' ? { kind: 'fenced', heldToken: null } : STANDBY);
        if (err instanceof AgentError && err.code === 'CLUSTER_UNAVAILABLE') this.resume.cut(pool, session, reason);
        throw err;
      }
      return this.grants.activate(pool, acquiring, grant.token, grant.dirty, bringUp);
    });
  }

  // ---- PoolLifecycle (local calls) ---------------------------------------------------------

  /** Creates a pool under its lock (taken first, released if the create fails). */
  async create(request: CreateHostPoolRequest): Promise<CreatedHostPool> {
    let created: CreatedHostPool | null = null;
    await this.acquire(request.name, localCall('CreatePool'), async () => {
      created = await this.options.pools.create(request);
      return created.pool;
    });
    return created!;
  }

  /** Drops the local record of a pool that is not active here (HostPools.forget); takes no lock. */
  async forget(name: string): Promise<{ released: string[] }> {
    const result = await this.serial(name, () => this.options.pools.forget(name));
    void this.session.reportPools();
    return result;
  }

  /** Activates (or imports) a pool under its lock. In cluster mode a pool is named by its name (a known pool's uuid is accepted). */
  async activate(name: string, devices: readonly string[]): Promise<Pool> {
    const known = (await this.options.pools.list()).find((v) => v.name === name || (v.uuid !== '' && v.uuid === name));
    const lockName = known?.name ?? name;
    return this.acquire(lockName, localCall('ActivatePool'), async () => {
      const pool = await this.options.pools.activate(lockName, devices);
      if (pool.name !== lockName) throw new AgentError('BAD_REQUEST', `in cluster mode, activate a pool by its name (this is pool ${pool.name})`, { field: 'name' });
      return pool;
    });
  }

  /** Deactivates a pool and releases its lock; discards the devices of a fenced one. */
  deactivate(name: string): Promise<void> {
    return this.serial(name, async () => {
      const state = this.ownership.state(name);
      if (state.kind === 'held') {
        this.handover.cancel(name);
        const releasing = this.ownership.set(name, { kind: 'releasing', token: state.token });
        try {
          await this.options.pools.deactivate(name);
        } catch (err) {
          this.ownership.transition(name, releasing, state);
          throw err;
        }
        await this.handover.finishRelease(name, releasing, 'DeactivatePool');
        return;
      }
      if (state.kind === 'fenced') {
        await this.options.engine.discardFencedPool(name);
        this.ownership.set(name, STANDBY);
        if (state.heldToken !== null) await this.session.release(name).catch((err: unknown) => this.log.warn({ pool: name, err }, 'release failed'));
      }
      await this.options.pools.deactivate(name);
      void this.session.reportPools();
    });
  }

  /** Destroys a pool under its lock (taken and the pool activated first when not held here). */
  async destroy(name: string, force: boolean): Promise<void> {
    await this.acquire(name, localCall('DestroyPool'), () => this.options.pools.activate(name, []));
    await this.serial(name, async () => {
      const state = this.ownership.state(name);
      if (state.kind !== 'held') throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${name}: the lock was lost; retry`);
      this.handover.cancel(name);
      const releasing = this.ownership.set(name, { kind: 'releasing', token: state.token });
      try {
        await this.options.pools.destroy(name, force);
      } catch (err) {
        this.ownership.transition(name, releasing, state);
        throw err;
      }
      await this.handover.finishRelease(name, releasing, 'DestroyPool');
    });
  }

  /**
   * Joins a pool: records it as known here (HostPools.join) without taking its lock, and reports
   * this host's pools, so the coordinator knows this host reaches it (and prefers it, with
   * `prefer`). A pool held here is not disturbed.
   */
  async join(name: string, devices: readonly string[], prefer: boolean): Promise<void> {
    await this.options.pools.join(name, devices, prefer);
    this.log.info({ pool: name, prefer }, 'joined the pool: this host reaches it');
    void this.session.reportPools();
  }

  // ---- stop --------------------------------------------------------------------------------

  /**
   * At agent stop (after calls drained and jobs stopped): idle held pools are deactivated and
   * released; pools with active volumes are fenced (HandoverScheduler.handBackAtStop). Then the
   * session is closed. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.handover.stop();
    await Promise.all(this.ownership.entries().map(([pool]) => this.serial(pool, () => this.handover.handBackAtStop(pool))));
    await this.persist().catch((err: unknown) => this.log.error({ err }, 'could not write cluster-session.json'));
    // Disarmed when every pool was released or fenced; a pool still live keeps it armed.
    await this.watchdog.stop();
    this.session.close();
  }

  // ---- helpers -----------------------------------------------------------------------------

  private persist(): Promise<void> {
    return this.file.write({ session: this.session.sessionId, clusterId: this.session.clusterId, held: this.ownership.heldTokens() });
  }

  /** This host's pools as the coordinator wants them (Hello, PoolReport). */
  private async hostPools(): Promise<HostPool[]> {
    return (await this.options.pools.list()).map((v) => ({
      name: v.name,
      uuid: v.uuid,
      devices: [...v.devices],
      active: v.active,
      dataSizeBytes: v.status?.dataTotalBytes ?? 0,
      dataUsedBytes: v.status?.dataUsedBytes ?? 0,
      preferred: v.preferred,
    }));
  }
}
