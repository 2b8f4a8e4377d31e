/**
 * Taking a pool's lock and bringing the pool up under the grant, in cluster mode: the pool is recorded as held
 * (cluster-session.json), nothing is written to its devices before the lease deadline lies ahead,
 * the host watchdog is armed (lease-watchdog.ts; a watchdog that cannot be armed, or whose
 * timeout is too long, gives the grant back), devices a fence left of it are discarded (engine.discardFencedPool), the grant's token becomes
 * the newest this host admits (PoolFencing), the pool is activated (a new Pool object:
 * everything is read from the devices, recovery runs) and PoolReady{pool, token} goes to the
 * coordinator. A grant that cannot be used is given back: whatever came up is taken down (or
 * fenced) and the lock released. If the lock is lost meanwhile, whatever the activation made
 * after the loss's fence is fenced too.
 *
 * Crash story: the pool is recorded `activating` with its token before any device changes, so a
 * restarted agent fences what is live and, if its session is resumed, takes the lock again.
 */
import type { Engine, Pool } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';
import type { ClusterContext } from './cluster-context.js';
import type { Grant } from './coordinator-session.js';
import { fenceOrLog } from './fence-or-log.js';
import type { HandoverScheduler } from './handover-scheduler.js';
import type { OwnershipState } from './pool-ownership.js';

/** The number of volumes of `pool` if it is active here, else 0. */
export function volumeCountOf(engine: Pick<Engine, 'pools'>, pool: string): number {
  const p = engine.pools().find((x) => x.name === pool);
  return p === undefined ? 0 : p.volumeCount;
}

/**
 * Takes locks and brings pools up under their grants (see the module comment); keeps the
 * activations that wait for the lease deadline. One per cluster node.
 */
export class GrantActivation {
  /** Waiting for the lease deadline to lie ahead (a resumed session's first acknowledged keepalive). */
  private renewWaiters: Array<{ resolve(): void; reject(err: Error): void }> = [];

  constructor(
    private readonly ctx: ClusterContext,
    private readonly handover: HandoverScheduler,
  ) {}

  /** An acknowledged keepalive moved the deadline: activations waiting for it go on. */
  renewed(): void {
    if (!this.ctx.session.holdsNow()) return;
    for (const w of this.renewWaiters.splice(0)) w.resolve();
  }

  /** The session is lost: activations waiting for the deadline fail with CLUSTER_UNAVAILABLE. */
  lost(reason: string): void {
    for (const w of this.renewWaiters.splice(0)) w.reject(new AgentError('CLUSTER_UNAVAILABLE', `the session with the coordinator was lost (${reason}); retry`));
  }

  /**
   * Takes `pool`'s lock (CoordinatorSession.take), logging the grant with `why` and the state it
   * was taken from. The pool's state is left as it is.
   * @throws like CoordinatorSession.take
   */
  async take(pool: string, state: OwnershipState, why: string): Promise<Grant> {
    const grant = await this.ctx.session.take(pool);
    this.ctx.log.info(
      { pool, token: grant.token.toString(), dirty: grant.dirty, previousHolderDied: grant.previousHolderDied, previousHolder: grant.previousHolder, why, was: state.kind },
      'pool lock granted',
    );
    return grant;
  }

  /**
   * Brings `pool` up under the grant `token`, from the state `from` (which it must still be in):
   * recorded as held first, stale devices discarded, the token made the newest admitted, the pool
   * activated by `bringUp`, PoolReady sent; a pool already contended is then handed over when
   * idle. On failure the pool is taken down again and the lock released. Call under the pool's mutex.
   * @throws AgentError CLUSTER_UNAVAILABLE when the lock is lost meanwhile; what `bringUp` throws
   */
  async activate(pool: string, from: OwnershipState, token: bigint, dirty: boolean, bringUp: () => Promise<Pool>): Promise<Pool> {
    const { ctx } = this;
    const activating: OwnershipState = { kind: 'activating', token };
    if (!ctx.ownership.transition(pool, from, activating)) {
      throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool}: the lock was lost before the pool could be brought up; retry`);
    }
    try {
      await ctx.persist();
      // Nothing is written to the pool's devices unless the deadline lies ahead (after an agent
      // restart a resumed session has none until its first acknowledged keepalive).
      await this.untilHolding();
      this.still(pool, activating);
      // The host watchdog is armed before any device of the pool comes up (lease-watchdog.ts).
      await ctx.watchdog.beforeBringUp(pool, ctx.session.deadlineMs);
      this.still(pool, activating);
      if ((await ctx.engine.poolDeviceState(pool)) !== 'absent') {
        const report = await ctx.engine.discardFencedPool(pool);
        ctx.log.warn({ pool, token: token.toString(), ...report }, 'stale devices of the pool discarded before activating it under the grant');
      }
      this.still(pool, activating);
      await ctx.fencing.admit(pool, token.toString());
      const activated = await bringUp();
      this.still(pool, activating);
      ctx.ownership.set(pool, { kind: 'held', token });
      ctx.log.info({ pool, token: token.toString(), dirty, volumes: activated.volumeCount }, 'pool ready under its lock');
      ctx.session.poolReady(pool, token, activated.volumeCount);
      void ctx.session.reportPools();
      this.handover.activated(pool);
      return activated;
    } catch (err) {
      if (ctx.ownership.state(pool) === activating) await this.abandon(pool, activating, err);
      else await this.fenceLeftovers(pool);
      throw err;
    }
  }

  /** Resolves once the lease deadline lies ahead. @throws AgentError CLUSTER_UNAVAILABLE when the session is lost first or after a TTL */
  private untilHolding(): Promise<void> {
    const { session, clock } = this.ctx;
    if (session.holdsNow()) return Promise.resolve();
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
      const cancel = clock.after(Math.max(session.leaseTtlMs, 1000), () => {
        this.renewWaiters = this.renewWaiters.filter((w) => w !== waiter);
        reject(new AgentError('CLUSTER_UNAVAILABLE', 'the coordinator did not renew the session in time; retry'));
      });
      this.renewWaiters.push(waiter);
    });
  }

  /** @throws AgentError CLUSTER_UNAVAILABLE when `pool` left `expected` (the lock was lost meanwhile) */
  private still(pool: string, expected: OwnershipState): void {
    if (this.ctx.ownership.state(pool) !== expected) {
      throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool}: the lock was lost while the pool was being brought up; retry`);
    }
  }

  /**
   * The lock was lost while the pool was being brought up: the loss fenced what was live then,
   * but whatever the activation made afterwards must not stay live either.
   */
  private async fenceLeftovers(pool: string): Promise<void> {
    const { engine, ownership, log } = this.ctx;
    const live = engine.pools().some((p) => p.name === pool) || (await engine.poolDeviceState(pool).catch(() => 'live')) === 'live';
    if (!live) return;
    ownership.set(pool, { kind: 'fenced', heldToken: null });
    await fenceOrLog(engine, log, pool, { fenced: 'fenced what an activation brought up after the lock was lost', watchdog: this.ctx.watchdog });
  }

  /** A grant that could not be used: whatever came up is taken down, and the lock released. */
  private async abandon(pool: string, activating: OwnershipState, cause: unknown): Promise<void> {
    const { ctx } = this;
    ctx.log.warn({ pool, err: cause }, 'could not bring the pool up under its grant; releasing the lock');
    if (ctx.engine.pools().some((p) => p.name === pool)) {
      try {
        await ctx.pools.deactivate(pool);
      } catch (err) {
        ctx.log.error({ pool, err }, 'could not deactivate the pool; fencing it');
        await fenceOrLog(ctx.engine, ctx.log, pool, { watchdog: ctx.watchdog });
        ctx.ownership.transition(pool, activating, { kind: 'fenced', heldToken: null });
      }
    }
    const releasing = 'token' in activating ? { kind: 'releasing' as const, token: activating.token } : null;
    if (releasing !== null && ctx.ownership.transition(pool, activating, releasing)) await this.handover.finishRelease(pool, releasing, 'unusable grant');
  }
}
