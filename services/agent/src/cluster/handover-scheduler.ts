/**
 * Handing a held pool over, in cluster mode: to the host that waits for it (contention), or back
 * to the coordinator at agent stop.
 *
 * - Contention: the pool is handed over as soon as it is idle (no admitted call running, no
 *   active volume but those a job is discarding): its background jobs are stopped after their
 *   current chunk and handed over (JobManager.handOver: their checkpoint goes into the pool's
 *   catalog, and the next holder resumes them), the pool is deactivated (its catalog committed,
 *   its devices removed), then released. A busy pool is looked at again every `retryMs` while
 *   contended; a failed release is sent again as often while the session lives.
 * - Stop: an idle held pool is deactivated and released (waiting at most STOP_RELEASE_WAIT_MS
 *   for the coordinator); one with active volumes is fenced, keeping its token.
 *
 * Crash story: the pool turns `releasing` (recorded in cluster-session.json, token kept) before
 * anything is taken down; a crash midway leaves devices live or removed and the lock held, and
 * the next start fences what is live and re-takes or releases the lock with the resumed session.
 */
import { AgentError } from '../agent-error.js';
import type { ClusterContext } from './cluster-context.js';
import { fenceOrLog } from './fence-or-log.js';
import { PoolTimers } from './pool-timers.js';
import { STANDBY, type OwnershipState } from './pool-ownership.js';

const UNFINISHED_JOB = new Set(['queued', 'running']);

/** How long a release at agent stop may wait for the coordinator's answer. */
const STOP_RELEASE_WAIT_MS = 2000;

/**
 * The contended pools and their hand-over and release retries (see the module comment). One per
 * cluster node; its retries run on the session clock and stop with `stop`.
 */
export class HandoverScheduler {
  /** Pools another host waits for. */
  private readonly contended = new Set<string>();
  private readonly timers: PoolTimers;

  constructor(private readonly ctx: ClusterContext) {
    this.timers = new PoolTimers(ctx.clock);
  }

  /** Another host waits for `pool`: it is handed over as soon as it is idle. Idempotent; nothing once stopping. */
  contend(pool: string): void {
    if (this.ctx.stopping()) return;
    this.contended.add(pool);
    this.schedule(pool, 0);
  }

  /** `pool` just came up here: if another host waits for it already, it is handed over when idle. */
  activated(pool: string): void {
    if (this.contended.has(pool)) this.schedule(pool, 0);
  }

  /** Cancels `pool`'s hand-over and release retries (a local call takes the pool down itself). Idempotent. */
  cancel(pool: string): void {
    this.timers.cancel(pool);
  }

  /** The session is lost: `pool`'s retries are cancelled and its contention forgotten (the lock went with the session). */
  lost(pool: string): void {
    this.timers.cancel(pool);
    this.contended.delete(pool);
  }

  /** At stop: every retry is cancelled and none is set any more (with ClusterContext.stopping). */
  stop(): void {
    this.timers.cancelAll();
  }

  /** The pool's active volumes (a VM may use them), read from the engine. */
  async activeVolumes(pool: string): Promise<string[]> {
    const p = this.ctx.engine.pools().find((x) => x.name === pool);
    if (p === undefined) return [];
    return (await p.list()).filter((v) => v.active).map((v) => v.name);
  }

  /**
   * Releases the lock of a pool whose devices are gone (state `releasing`); sent again every
   * `retryMs` while it fails and the session lives; a LOCK_FAILED answer (not this session's
   * lock) ends it. The pool turns standby once released. Call under the pool's mutex.
   */
  async finishRelease(pool: string, releasing: OwnershipState, why: string): Promise<void> {
    const { ctx } = this;
    const token = 'token' in releasing ? releasing.token.toString() : null;
    try {
      await ctx.session.release(pool);
    } catch (err) {
      if (err instanceof AgentError && err.code === 'LOCK_FAILED') {
        // The coordinator says the lock is not this session's to release: nothing more to do.
        ctx.log.warn({ pool, token, err }, 'the coordinator refused the release; the lock is not held by this session');
      } else {
        ctx.log.warn({ pool, token, err }, 'release failed; retrying');
        this.scheduleRelease(pool, ctx.retryMs);
        return;
      }
    }
    if (ctx.ownership.transition(pool, releasing, STANDBY)) {
      this.contended.delete(pool);
      ctx.log.info({ pool, token, why }, 'pool lock released');
      void ctx.session.reportPools();
    }
  }

  /**
   * At agent stop (calls drained, jobs stopped), under the pool's mutex: an idle held pool is
   * deactivated and released; one with active volumes (or that could not be deactivated) is
   * fenced, keeping its token so that a restart that resumes the session activates it again.
   * A pool deactivated but not released stays `releasing` for the next start. Never rejects.
   */
  async handBackAtStop(pool: string): Promise<void> {
    const { ctx } = this;
    const state = ctx.ownership.state(pool);
    if (state.kind !== 'held') return;
    const active = await this.activeVolumes(pool).catch(() => ['(unknown)']);
    if (active.length === 0) {
      const releasing = ctx.ownership.set(pool, { kind: 'releasing', token: state.token });
      let deactivated = false;
      try {
        await ctx.pools.deactivate(pool);
        deactivated = true;
        let cancel: () => void = () => {};
        const timeout = new Promise<void>((_, reject) => {
          cancel = ctx.clock.after(STOP_RELEASE_WAIT_MS, () => reject(new Error('no answer from the coordinator')));
        });
        await Promise.race([ctx.session.release(pool), timeout]).finally(() => cancel());
        ctx.ownership.transition(pool, releasing, STANDBY);
        ctx.log.info({ pool, token: state.token.toString() }, 'pool handed back at stop');
        return;
      } catch (err) {
        // Deactivated but not released: the lock stays recorded (releasing) for the next start.
        if (deactivated) {
          ctx.log.warn({ pool, err }, 'pool deactivated at stop, but its lock was not released');
          return;
        }
        ctx.log.warn({ pool, err }, 'could not hand the pool back at stop; fencing it');
      }
    }
    ctx.ownership.set(pool, { kind: 'fenced', heldToken: state.token });
    await fenceOrLog(ctx.engine, ctx.log, pool, {
      fields: { token: state.token.toString(), active },
      watchdog: ctx.watchdog,
      fenced: 'pool fenced at stop (its volumes are in use; the next start activates it again)',
      failed: 'FENCING FAILED at stop: this host may still write to the pool',
    });
  }

  private schedule(pool: string, delayMs: number): void {
    if (this.ctx.stopping()) return;
    this.timers.schedule(pool, 'handover', delayMs, () => {
      void this.tryHandover(pool).catch((err: unknown) => this.ctx.log.error({ pool, err }, 'hand-over failed'));
    });
  }

  private scheduleRelease(pool: string, delayMs: number): void {
    if (this.ctx.stopping()) return;
    this.timers.schedule(pool, 'release', delayMs, () => {
      void this.ctx.serial(pool, async () => {
        const state = this.ctx.ownership.state(pool);
        if (state.kind === 'releasing') await this.finishRelease(pool, state, 'retry');
      });
    });
  }

  /** Why `pool` cannot be handed over now, from what is known without I/O; null when nothing. */
  private busyNow(pool: string): string | null {
    const calls = this.ctx.ownership.callsInFlight(pool);
    return calls > 0 ? `${calls} call(s) in flight` : null;
  }

  private unfinishedJobs(pool: string): ReturnType<ClusterContext['jobs']['list']> {
    return this.ctx.jobs.list().filter((j) => j.pool === pool && UNFINISHED_JOB.has(j.state));
  }

  /** Hands the pool's unfinished jobs over (see JobManager.handOver); false when that failed. */
  private async handJobsOver(pool: string): Promise<boolean> {
    if (this.unfinishedJobs(pool).length === 0) return true;
    try {
      const moved = await this.ctx.jobs.handOver(pool);
      this.ctx.log.info({ pool, jobs: moved.map((j) => ({ id: j.id, volume: j.volume, doneBytes: j.doneBytes, totalBytes: j.totalBytes })) }, 'jobs handed over with the pool');
      return true;
    } catch (err) {
      this.ctx.log.warn({ pool, err }, "could not hand the pool's jobs over; looking again later");
      return false;
    }
  }

  private async tryHandover(pool: string): Promise<void> {
    const { ctx } = this;
    if (!this.contended.has(pool) || ctx.stopping()) return;
    await ctx.serial(pool, async () => {
      const held = ctx.ownership.state(pool);
      if (held.kind !== 'held') return;
      const busy = this.busyNow(pool);
      if (busy !== null) {
        ctx.log.debug({ pool, busy }, 'contended pool is busy; looking again later');
        this.schedule(pool, ctx.retryMs);
        return;
      }
      // From here no new call is admitted.
      const releasing = ctx.ownership.set(pool, { kind: 'releasing', token: held.token });
      const keep = async (why: string, detail: Record<string, unknown>, jobsMoved: boolean): Promise<void> => {
        ctx.log.debug({ pool, ...detail }, `contended pool ${why}; looking again later`);
        if (!ctx.ownership.transition(pool, releasing, held)) return;
        // Jobs handed over already come back from their marks and run on here meanwhile.
        if (jobsMoved) await ctx.jobs.poolActivated(pool);
        this.schedule(pool, ctx.retryMs);
      };
      // A job's own volume is active while it discards; any other active volume keeps the pool.
      const jobVolumes = new Set(this.unfinishedJobs(pool).map((j) => j.volume));
      const active = await this.activeVolumes(pool).catch(() => ['(unknown)']);
      const inUse = active.filter((v) => !jobVolumes.has(v));
      if (inUse.length > 0) return keep('has active volumes', { active: inUse }, false);
      if (!(await this.handJobsOver(pool))) return keep('could not hand its jobs over', {}, false);
      const stillActive = await this.activeVolumes(pool).catch(() => ['(unknown)']);
      if (stillActive.length > 0) return keep('has active volumes', { active: stillActive }, jobVolumes.size > 0);
      try {
        await ctx.pools.deactivate(pool);
      } catch (err) {
        return keep('could not be deactivated', { err }, jobVolumes.size > 0);
      }
      await this.finishRelease(pool, releasing, 'another host waits for it');
    });
  }
}
