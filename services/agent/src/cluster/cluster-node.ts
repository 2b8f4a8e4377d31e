/**
 * The agent in cluster mode: this host serves a pool only while its session with the
 * coordinator holds the pool's lock, and stops writing to the pool before anyone else can be
 * granted it.
 *
 * - Taking a pool (the coordinator's Acquire, or a local create/activate/destroy): Take; on the
 *   Granted, the pool is recorded as held (cluster-session.json), devices a fence left of it are
 *   discarded (engine.discardFencedPool), the grant's token becomes the newest this host admits
 *   (PoolFencing), the pool is activated (a new Pool object: everything is read from the devices,
 *   recovery runs) and PoolReady{pool, token} goes to the coordinator.
 * - Contention: the pool is handed over as soon as it is idle (no admitted call running, no
 *   active volume): its background jobs are stopped after their current chunk and handed over
 *   (JobManager.handOver: their checkpoint goes into the pool's catalog, and the next holder
 *   resumes them), the pool is deactivated (its catalog committed, its devices removed), then
 *   released. A busy pool is looked at again every second while contended.
 *   A local DeactivatePool hands over the same way.
 * - Losing the session (deadline passed, SessionLost, a resume refused): every pool the session
 *   may have held is fenced at once (engine.fencePool: volume devices suspended, error tables
 *   under the pool), without waiting for anything in flight.
 *
 * Crash story (start-up): known pools are never activated at start, since another host may hold
 * them. Every pool whose devices are live in the kernel (it was held when the agent stopped or
 * crashed) is fenced before the agent serves anything. cluster-session.json names the session
 * and the pools it held; the session is resumed if the coordinator still has it, and then those
 * pools are taken again (immediate and clean: the session never let go of them), discarded and
 * activated afresh once the first keepalive is acknowledged. If it is gone, their locks are gone
 * too, and a later grant discards and activates them. A stream that breaks and is resumed
 * without a restart re-takes its pools the same way; those active here keep serving and move
 * to the new token. At stop, idle held pools are handed back (deactivated and released); busy ones
 * (open volumes) are fenced, since nothing renews the lease once the agent is gone.
 */
import type { DmClient } from '@thinfleet/devmapper';
import { Mutex, type Engine, type Pool } from '@thinfleet/engine';
import type { HostPool } from '@thinfleet/proto';
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.js';
import type { ClusterConfig } from '../agent-config.js';
import type { CreatedHostPool, CreateHostPoolRequest, HostPools } from '../host-pools.js';
import type { JobManager } from '../jobs/index.js';
import type { PoolFencing } from '../pool-fencing.js';
import type { PoolLifecycle } from '../pool-service.js';
import { ClusterSessionFile, type ClusterSessionState } from './cluster-session-file.js';
import { CoordinatorSession, type Grant } from './coordinator-session.js';
import { PoolOwnership, type OwnershipState } from './pool-ownership.js';
import { systemClock, type SessionClock } from './session-clock.js';

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
  readonly clock?: SessionClock;
  /** How often a contended pool that is busy is looked at again (default 1000 ms). */
  readonly handoverRetryMs?: number;
  /** Reconnect backoff of the session (default 200..2000 ms). */
  readonly backoffMs?: { readonly min: number; readonly max: number };
}

const STANDBY: OwnershipState = { kind: 'standby' };
const UNFINISHED_JOB = new Set(['queued', 'running']);
/** `tf-<escaped pool>-_tpool|_tmeta|_tdata`: a pool's own devices (names.ts); the escaped name doubles every `-`. */
const POOL_DEVICE = /^tf-((?:[^-]|--)+)-_t(?:pool|meta|data)$/;

/** Why a take was made for the coordinator's Acquire. */
const ACQUIRE_WHY = 'the coordinator asked for it';

/** How long a release at agent stop may wait for the coordinator's answer. */
const STOP_RELEASE_WAIT_MS = 2000;

function volumeCount(pool: Pool): number {
  return pool.volumeCount;
}

export class ClusterNode implements PoolLifecycle {
  readonly ownership: PoolOwnership;
  readonly session: CoordinatorSession;
  private readonly log: Logger;
  private readonly clock: SessionClock;
  private readonly locks = new Map<string, Mutex>();
  /** Pools another host waits for. */
  private readonly contended = new Set<string>();
  private readonly timers = new Map<string, () => void>();
  /**
   * Takes cut by a broken stream, by pool: the session they were made in, and whether the pool
   * is still wanted (the coordinator asked for it). The coordinator keeps such a take queued for
   * the session; after a resume it is taken again and then served or released, so that the
   * session never blocks the pool's queue for nothing.
   */
  private readonly cutTakes = new Map<string, { readonly session: string; readonly wanted: boolean }>();
  /** Waiting for the lease deadline to lie ahead (a resumed session's first acknowledged keepalive). */
  private renewWaiters: Array<{ resolve(): void; reject(err: Error): void }> = [];
  private stopping = false;

  private constructor(
    private readonly options: ClusterNodeOptions,
    private readonly file: ClusterSessionFile,
    saved: ClusterSessionState,
  ) {
    this.log = options.logger.child({ cluster: options.config.nodeId });
    this.clock = options.clock ?? systemClock;
    this.session = new CoordinatorSession({
      address: options.config.coordinator,
      tls: options.config.tls,
      nodeId: options.config.nodeId,
      advertise: options.config.advertise,
      version: options.version,
      resumeSession: saved.session,
      pools: () => this.hostPools(),
      logger: options.logger,
      clock: this.clock,
      ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
      events: {
        onWelcome: (w) => this.onWelcome(w.resumed, w.session),
        onRenewed: () => this.wakeRenewWaiters(),
        onLost: (reason) => this.onLost(reason),
        onAcquire: (pool) => this.onAcquire(pool),
        onContention: (pool, waiters) => this.onContention(pool, waiters),
        onDisconnected: () => {},
      },
    });
    this.ownership = new PoolOwnership(options.fencing, () => this.session.holdsNow());
    this.ownership.onChange(() => void this.persist().catch((err: unknown) => this.log.error({ err }, 'could not write cluster-session.json')));
  }

  /**
   * Reads cluster-session.json and fences every pool whose devices are live in the kernel
   * (see the module comment). Call before serving; then `connect`.
   * @throws Error for an unreadable cluster-session.json
   */
  static async start(options: ClusterNodeOptions): Promise<ClusterNode> {
    const file = new ClusterSessionFile(options.stateDir);
    const saved = file.read();
    const node = new ClusterNode(options, file, saved);
    await node.fenceAtStart(saved);
    return node;
  }

  /** Opens the session (once the agent serves: the coordinator may call it right after the Welcome). */
  connect(): void {
    this.session.start();
  }

  // ---- start-up -------------------------------------------------------------------------

  private async fenceAtStart(saved: ClusterSessionState): Promise<void> {
    const names = new Set<string>(Object.keys(saved.held));
    for (const view of await this.options.pools.list()) names.add(view.name);
    for (const d of await this.options.dm.list()) {
      const m = POOL_DEVICE.exec(d.name);
      if (m) names.add(m[1]!.replaceAll('--', '-'));
    }
    await Promise.all(
      [...names].map(async (pool) => {
        const token = saved.held[pool];
        const heldToken = token === undefined ? null : BigInt(token);
        const state = await this.options.engine.poolDeviceState(pool);
        if (state === 'live') {
          this.log.warn({ pool, token: token ?? null }, 'pool devices live in the kernel at start: fencing them before serving');
          await this.options.engine.fencePool(pool).catch((err: unknown) => this.log.fatal({ pool, err }, 'could not fence a pool at start; it may still write to its devices'));
        }
        if (state !== 'absent' || heldToken !== null) this.ownership.set(pool, { kind: 'fenced', heldToken });
      }),
    );
    await this.persist();
  }

  // ---- session events ----------------------------------------------------------------------

  /**
   * A resumed session keeps its place in every lock queue, but the coordinator serving the new
   * stream knows its locks only once they are taken again: every pool the session holds is
   * re-taken (immediate, not dirty, with a new token). A pool active here keeps serving and
   * moves to the new token; a fenced one (the agent restarted) is discarded and activated
   * afresh; one being released is released after the re-take.
   */
  private onWelcome(resumed: boolean, session: string): void {
    void this.persist().catch((err: unknown) => this.log.error({ err }, 'could not write cluster-session.json'));
    const cut = [...this.cutTakes].filter(([, c]) => resumed && c.session === session);
    this.cutTakes.clear();
    if (!resumed || this.stopping) return;
    for (const [pool, { wanted }] of cut) {
      const bringUp = wanted
        ? () => this.options.pools.activate(pool, [])
        : async (): Promise<Pool> => {
            throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool}: a take cut by a broken stream, taken again only to release it`);
          };
      void this.acquire(pool, wanted ? 'the coordinator asked for it (taken again after a resume)' : 'releasing a take cut by a broken stream', bringUp).catch((err: unknown) =>
        this.log.info({ pool, err }, 'a take cut by a broken stream is settled'),
      );
    }
    for (const [pool, state] of this.ownership.entries()) {
      if (state.kind === 'held' || state.kind === 'releasing' || (state.kind === 'fenced' && state.heldToken !== null)) {
        void this.retake(pool).catch((err: unknown) => this.log.error({ pool, err }, 'could not take the pool again after the session was resumed'));
      }
    }
  }

  private async retake(pool: string): Promise<void> {
    await this.serial(pool, async () => {
      const state = this.ownership.state(pool);
      if (state.kind === 'fenced' && state.heldToken !== null) {
        const grant = await this.take(pool, state, 'the resumed session held it');
        await this.activateUnderGrant(pool, state, grant.token, grant.dirty, () => this.options.pools.activate(pool, []));
        return;
      }
      if (state.kind === 'releasing') {
        await this.take(pool, state, 'to release it');
        await this.finishRelease(pool, state, 'released after the session was resumed');
        return;
      }
      if (state.kind !== 'held') return;
      const grant = await this.take(pool, state, 'the resumed session held it');
      if (this.ownership.state(pool) !== state) return; // lost meanwhile: the fence took it
      if (grant.dirty) {
        // Someone held the pool in between: what is active here is stale.
        const fenced = this.ownership.set(pool, { kind: 'fenced', heldToken: grant.token });
        await this.options.engine.fencePool(pool);
        await this.activateUnderGrant(pool, fenced, grant.token, true, () => this.options.pools.activate(pool, []));
        return;
      }
      await this.options.fencing.admit(pool, grant.token.toString());
      if (!this.ownership.transition(pool, state, { kind: 'held', token: grant.token })) return;
      this.log.info({ pool, token: grant.token.toString(), previousToken: state.token.toString() }, 'pool held again under the resumed session');
      this.session.poolReady(pool, grant.token, this.volumeCountOf(pool));
    });
  }

  /** Takes `pool`'s lock, logging the grant. The pool's state is left as it is. */
  private async take(pool: string, state: OwnershipState, why: string): Promise<Grant> {
    const grant = await this.session.take(pool);
    this.log.info(
      { pool, token: grant.token.toString(), dirty: grant.dirty, previousHolderDied: grant.previousHolderDied, previousHolder: grant.previousHolder, why, was: state.kind },
      'pool lock granted',
    );
    return grant;
  }

  /** Resolves once the lease deadline lies ahead. @throws AgentError CLUSTER_UNAVAILABLE when the session is lost first or after a TTL */
  private untilHolding(): Promise<void> {
    if (this.session.holdsNow()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          cancel();
          resolve();
        },
        reject: (err: Error) => {
          cancel();
          reject(err);
        },
      };
      const cancel = this.clock.after(Math.max(this.session.leaseTtlMs, 1000), () => {
        this.renewWaiters = this.renewWaiters.filter((w) => w !== waiter);
        reject(new AgentError('CLUSTER_UNAVAILABLE', 'the coordinator did not renew the session in time; retry'));
      });
      this.renewWaiters.push(waiter);
    });
  }

  private wakeRenewWaiters(): void {
    if (!this.session.holdsNow()) return;
    for (const w of this.renewWaiters.splice(0)) w.resolve();
  }

  /**
   * The session is gone: every pool it may have held is fenced now, in parallel, before
   * anything else runs (the engine's fence does not wait for the pool's work in flight).
   */
  private onLost(reason: string): void {
    for (const w of this.renewWaiters.splice(0)) w.reject(new AgentError('CLUSTER_UNAVAILABLE', `the session with the coordinator was lost (${reason}); retry`));
    for (const [pool, state] of this.ownership.entries()) {
      this.cancelTimer(pool);
      this.contended.delete(pool);
      if (state.kind === 'fenced') {
        if (state.heldToken !== null) this.ownership.set(pool, { kind: 'fenced', heldToken: null });
        continue;
      }
      const token = 'token' in state ? state.token.toString() : null;
      const fenced = this.ownership.set(pool, { kind: 'fenced', heldToken: null });
      this.log.error({ pool, token, reason, was: state.kind }, 'pool lock lost: fencing the pool');
      this.options.engine.fencePool(pool).then(
        async (report) => {
          this.log.warn({ pool, token, ...report }, 'pool fenced');
          if ((await this.options.engine.poolDeviceState(pool)) === 'absent') this.ownership.transition(pool, fenced, STANDBY);
        },
        (err: unknown) => this.log.fatal({ pool, token, err }, 'FENCING FAILED: this host may still write to the pool'),
      );
    }
  }

  private onAcquire(pool: string): void {
    if (this.stopping) return;
    const state = this.ownership.state(pool);
    if (state.kind === 'held') {
      this.session.poolReady(pool, state.token, this.volumeCountOf(pool));
      return;
    }
    void (async () => {
      try {
        await this.options.pools.view(pool);
      } catch {
        this.log.warn({ pool }, 'the coordinator asked for a pool this host does not know; ignored');
        return;
      }
      await this.acquire(pool, ACQUIRE_WHY, () => this.options.pools.activate(pool, []));
    })().catch((err: unknown) => this.log.error({ pool, err }, 'could not take a pool the coordinator asked for'));
  }

  private onContention(pool: string, waiters: number): void {
    const state = this.ownership.state(pool);
    this.log.info({ pool, waiters, state: state.kind }, 'another host waits for the pool');
    if (this.stopping) return;
    this.contended.add(pool);
    this.scheduleHandover(pool, 0);
  }

  // ---- taking a pool ---------------------------------------------------------------------

  private serial<T>(pool: string, fn: () => Promise<T>): Promise<T> {
    let m = this.locks.get(pool);
    if (m === undefined) {
      m = new Mutex();
      this.locks.set(pool, m);
    }
    return m.run(fn);
  }

  /** Takes `pool`'s lock (unless held) and brings the pool up under it. */
  private acquire(pool: string, why: string, bringUp: () => Promise<Pool>): Promise<Pool> {
    return this.serial(pool, async () => {
      if (this.stopping) throw new AgentError('SHUTTING_DOWN', 'the agent is shutting down and takes no new work');
      const current = this.ownership.state(pool);
      if (current.kind === 'held') return bringUp();
      if (current.kind === 'releasing') throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool} is being released; retry`);
      if (current.kind === 'fenced' && current.heldToken !== null) {
        // The session still holds the lock (resumed after a restart): taking it again is immediate.
        const grant = await this.take(pool, current, why);
        return this.activateUnderGrant(pool, current, grant.token, grant.dirty, bringUp);
      }
      const acquiring = this.ownership.set(pool, { kind: 'acquiring' });
      const session = this.session.sessionId;
      let grant: Grant;
      try {
        grant = await this.take(pool, current, why);
      } catch (err) {
        this.ownership.transition(pool, acquiring, current.kind === 'fenced' ? { kind: 'fenced', heldToken: null } : STANDBY);
        if (err instanceof AgentError && err.code === 'CLUSTER_UNAVAILABLE' && session !== '') this.cutTakes.set(pool, { session, wanted: why.startsWith(ACQUIRE_WHY) });
        throw err;
      }
      return this.activateUnderGrant(pool, acquiring, grant.token, grant.dirty, bringUp);
    });
  }

  /** @throws AgentError CLUSTER_UNAVAILABLE when `pool` left `expected` (the lock was lost meanwhile) */
  private still(pool: string, expected: OwnershipState): void {
    if (this.ownership.state(pool) !== expected) {
      throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool}: the lock was lost while the pool was being brought up; retry`);
    }
  }

  /**
   * Brings `pool` up under the grant `token`: recorded as held first, stale devices discarded,
   * the token made the newest admitted, the pool activated, PoolReady sent. On failure the pool
   * is taken down again and the lock released.
   */
  private async activateUnderGrant(pool: string, from: OwnershipState, token: bigint, dirty: boolean, bringUp: () => Promise<Pool>): Promise<Pool> {
    const activating: OwnershipState = { kind: 'activating', token };
    if (!this.ownership.transition(pool, from, activating)) {
      throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool}: the lock was lost before the pool could be brought up; retry`);
    }
    const { engine } = this.options;
    try {
      await this.persist();
      // Nothing is written to the pool's devices unless the deadline lies ahead (after an agent
      // restart a resumed session has none until its first acknowledged keepalive).
      await this.untilHolding();
      this.still(pool, activating);
      if ((await engine.poolDeviceState(pool)) !== 'absent') {
        const report = await engine.discardFencedPool(pool);
        this.log.warn({ pool, token: token.toString(), ...report }, 'stale devices of the pool discarded before activating it under the grant');
      }
      this.still(pool, activating);
      await this.options.fencing.admit(pool, token.toString());
      const activated = await bringUp();
      this.still(pool, activating);
      this.ownership.set(pool, { kind: 'held', token });
      this.log.info({ pool, token: token.toString(), dirty, volumes: volumeCount(activated) }, 'pool ready under its lock');
      this.session.poolReady(pool, token, volumeCount(activated));
      void this.session.reportPools();
      if (this.contended.has(pool)) this.scheduleHandover(pool, 0);
      return activated;
    } catch (err) {
      if (this.ownership.state(pool) === activating) await this.abandonGrant(pool, activating, err);
      else await this.fenceLeftovers(pool);
      throw err;
    }
  }

  /**
   * The lock was lost while the pool was being brought up: the loss fenced what was live then,
   * but whatever the activation made afterwards must not stay live either.
   */
  private async fenceLeftovers(pool: string): Promise<void> {
    const { engine } = this.options;
    const live = engine.pools().some((p) => p.name === pool) || (await engine.poolDeviceState(pool).catch(() => 'live')) === 'live';
    if (!live) return;
    this.ownership.set(pool, { kind: 'fenced', heldToken: null });
    await engine.fencePool(pool).then(
      (report) => this.log.warn({ pool, ...report }, 'fenced what an activation brought up after the lock was lost'),
      (err: unknown) => this.log.fatal({ pool, err }, 'FENCING FAILED: this host may still write to the pool'),
    );
  }

  /** A grant that could not be used: whatever came up is taken down, and the lock released. */
  private async abandonGrant(pool: string, activating: OwnershipState, cause: unknown): Promise<void> {
    this.log.warn({ pool, err: cause }, 'could not bring the pool up under its grant; releasing the lock');
    if (this.options.engine.pools().some((p) => p.name === pool)) {
      try {
        await this.options.pools.deactivate(pool);
      } catch (err) {
        this.log.error({ pool, err }, 'could not deactivate the pool; fencing it');
        await this.options.engine.fencePool(pool).catch((fenceErr: unknown) => this.log.fatal({ pool, err: fenceErr }, 'FENCING FAILED: this host may still write to the pool'));
        this.ownership.transition(pool, activating, { kind: 'fenced', heldToken: null });
      }
    }
    const releasing = 'token' in activating ? { kind: 'releasing' as const, token: activating.token } : null;
    if (releasing !== null && this.ownership.transition(pool, activating, releasing)) await this.finishRelease(pool, releasing, 'unusable grant');
  }

  // ---- handing a pool over -----------------------------------------------------------------

  /** Cancels the pool's hand-over and release retries. */
  private cancelTimer(pool: string): void {
    for (const key of [pool, `release:${pool}`]) {
      this.timers.get(key)?.();
      this.timers.delete(key);
    }
  }

  private scheduleHandover(pool: string, delayMs: number): void {
    if (this.timers.has(pool) || this.stopping) return;
    this.timers.set(
      pool,
      this.clock.after(delayMs, () => {
        this.timers.delete(pool);
        void this.tryHandover(pool).catch((err: unknown) => this.log.error({ pool, err }, 'hand-over failed'));
      }),
    );
  }

  /** Why `pool` cannot be handed over now, from what is known without I/O; null when nothing. */
  private busyNow(pool: string): string | null {
    const calls = this.ownership.callsInFlight(pool);
    return calls > 0 ? `${calls} call(s) in flight` : null;
  }

  /** Hands the pool's unfinished jobs over (see JobManager.handOver); false when that failed. */
  private async handJobsOver(pool: string): Promise<boolean> {
    if (!this.options.jobs.list().some((j) => j.pool === pool && UNFINISHED_JOB.has(j.state))) return true;
    try {
      const moved = await this.options.jobs.handOver(pool);
      this.log.info({ pool, jobs: moved.map((j) => ({ id: j.id, volume: j.volume, doneBytes: j.doneBytes, totalBytes: j.totalBytes })) }, 'jobs handed over with the pool');
      return true;
    } catch (err) {
      this.log.warn({ pool, err }, 'could not hand the pool\'s jobs over; looking again later');
      return false;
    }
  }

  /** The pool's active volumes (a VM may use them), read from the engine. */
  private async activeVolumes(pool: string): Promise<string[]> {
    const p = this.options.engine.pools().find((x) => x.name === pool);
    if (p === undefined) return [];
    return (await p.list()).filter((v) => v.active).map((v) => v.name);
  }

  private async tryHandover(pool: string): Promise<void> {
    if (!this.contended.has(pool) || this.stopping) return;
    await this.serial(pool, async () => {
      const held = this.ownership.state(pool);
      if (held.kind !== 'held') return;
      const retryMs = this.options.handoverRetryMs ?? 1000;
      const busy = this.busyNow(pool);
      if (busy !== null) {
        this.log.debug({ pool, busy }, 'contended pool is busy; looking again later');
        this.scheduleHandover(pool, retryMs);
        return;
      }
      // From here no new call is admitted.
      const releasing = this.ownership.set(pool, { kind: 'releasing', token: held.token });
      const keep = async (why: string, detail: Record<string, unknown>, jobsMoved: boolean): Promise<void> => {
        this.log.debug({ pool, ...detail }, `contended pool ${why}; looking again later`);
        if (!this.ownership.transition(pool, releasing, held)) return;
        // Jobs handed over already come back from their marks and run on here meanwhile.
        if (jobsMoved) await this.options.jobs.poolActivated(pool);
        this.scheduleHandover(pool, retryMs);
      };
      // A job's own volume is active while it discards; any other active volume keeps the pool.
      const jobVolumes = new Set(this.options.jobs.list().filter((j) => j.pool === pool && UNFINISHED_JOB.has(j.state)).map((j) => j.volume));
      const active = await this.activeVolumes(pool).catch(() => ['(unknown)']);
      const inUse = active.filter((v) => !jobVolumes.has(v));
      if (inUse.length > 0) return keep('has active volumes', { active: inUse }, false);
      if (!(await this.handJobsOver(pool))) return keep('could not hand its jobs over', {}, false);
      const stillActive = await this.activeVolumes(pool).catch(() => ['(unknown)']);
      if (stillActive.length > 0) return keep('has active volumes', { active: stillActive }, jobVolumes.size > 0);
      try {
        await this.options.pools.deactivate(pool);
      } catch (err) {
        return keep('could not be deactivated', { err }, jobVolumes.size > 0);
      }
      await this.finishRelease(pool, releasing, 'another host waits for it');
    });
  }

  /** Releases the lock of a pool whose devices are gone; retried while the session lives. */
  private async finishRelease(pool: string, releasing: OwnershipState, why: string): Promise<void> {
    const token = 'token' in releasing ? releasing.token.toString() : null;
    try {
      await this.session.release(pool);
    } catch (err) {
      if (err instanceof AgentError && err.code === 'LOCK_FAILED') {
        // The coordinator says the lock is not this session's to release: nothing more to do.
        this.log.warn({ pool, token, err }, 'the coordinator refused the release; the lock is not held by this session');
      } else {
        this.log.warn({ pool, token, err }, 'release failed; retrying');
        this.scheduleRelease(pool, this.options.handoverRetryMs ?? 1000);
        return;
      }
    }
    if (this.ownership.transition(pool, releasing, STANDBY)) {
      this.contended.delete(pool);
      this.log.info({ pool, token, why }, 'pool lock released');
      void this.session.reportPools();
    }
  }

  private scheduleRelease(pool: string, delayMs: number): void {
    const key = `release:${pool}`;
    if (this.timers.has(key) || this.stopping) return;
    this.timers.set(
      key,
      this.clock.after(delayMs, () => {
        this.timers.delete(key);
        void this.serial(pool, async () => {
          const state = this.ownership.state(pool);
          if (state.kind === 'releasing') await this.finishRelease(pool, state, 'retry');
        });
      }),
    );
  }

  // ---- PoolLifecycle (local calls) ---------------------------------------------------------

  /** Creates a pool under its lock (taken first, released if the create fails). */
  async create(request: CreateHostPoolRequest): Promise<CreatedHostPool> {
    let created: CreatedHostPool | null = null;
    await this.acquire(request.name, 'CreatePool', async () => {
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
    return this.acquire(lockName, 'ActivatePool', async () => {
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
        this.cancelTimer(name);
        const releasing = this.ownership.set(name, { kind: 'releasing', token: state.token });
        try {
          await this.options.pools.deactivate(name);
        } catch (err) {
          this.ownership.transition(name, releasing, state);
          throw err;
        }
        await this.finishRelease(name, releasing, 'DeactivatePool');
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
    await this.acquire(name, 'DestroyPool', () => this.options.pools.activate(name, []));
    await this.serial(name, async () => {
      const state = this.ownership.state(name);
      if (state.kind !== 'held') throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${name}: the lock was lost; retry`);
      this.cancelTimer(name);
      const releasing = this.ownership.set(name, { kind: 'releasing', token: state.token });
      try {
        await this.options.pools.destroy(name, force);
      } catch (err) {
        this.ownership.transition(name, releasing, state);
        throw err;
      }
      await this.finishRelease(name, releasing, 'DestroyPool');
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
   * released; pools with active volumes are fenced (the lease is not renewed once the agent is
   * gone), keeping their token so that a restart that resumes the session activates them again.
   * Then the session is closed. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    await Promise.all(
      this.ownership.entries().map(([pool]) =>
        this.serial(pool, async () => {
          const state = this.ownership.state(pool);
          if (state.kind !== 'held') return;
          const active = await this.activeVolumes(pool).catch(() => ['(unknown)']);
          if (active.length === 0) {
            const releasing = this.ownership.set(pool, { kind: 'releasing', token: state.token });
            let deactivated = false;
            try {
              await this.options.pools.deactivate(pool);
              deactivated = true;
              let cancel: () => void = () => {};
              const timeout = new Promise<void>((_, reject) => {
                cancel = this.clock.after(STOP_RELEASE_WAIT_MS, () => reject(new Error('no answer from the coordinator')));
              });
              await Promise.race([this.session.release(pool), timeout]).finally(() => cancel());
              this.ownership.transition(pool, releasing, STANDBY);
              this.log.info({ pool, token: state.token.toString() }, 'pool handed back at stop');
              return;
            } catch (err) {
              // Deactivated but not released: the lock stays recorded (releasing) for the next start.
              if (deactivated) {
                this.log.warn({ pool, err }, 'pool deactivated at stop, but its lock was not released');
                return;
              }
              this.log.warn({ pool, err }, 'could not hand the pool back at stop; fencing it');
            }
          }
          this.ownership.set(pool, { kind: 'fenced', heldToken: state.token });
          await this.options.engine.fencePool(pool).then(
            (report) => this.log.warn({ pool, token: state.token.toString(), active, ...report }, 'pool fenced at stop (its volumes are in use; the next start activates it again)'),
            (err: unknown) => this.log.fatal({ pool, err }, 'FENCING FAILED at stop: this host may still write to the pool'),
          );
        }),
      ),
    );
    await this.persist().catch((err: unknown) => this.log.error({ err }, 'could not write cluster-session.json'));
    this.session.close();
  }

  // ---- helpers -----------------------------------------------------------------------------

  private persist(): Promise<void> {
    return this.file.write({ session: this.session.sessionId, held: this.ownership.heldTokens() });
  }

  private volumeCountOf(pool: string): number {
    const p = this.options.engine.pools().find((x) => x.name === pool);
    return p === undefined ? 0 : volumeCount(p);
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
