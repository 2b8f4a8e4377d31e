/**
 * What a cluster node does when its session is resumed on a new stream (after the stream broke,
 * or after an agent restart): the coordinator serving the new stream knows the session's locks
 * only once they are taken again, so every pool the session holds is re-taken (immediate, not
 * dirty, with a new token). A pool active here keeps serving and moves to the new token; a
 * fenced one (the agent restarted) is discarded and activated afresh; one being released is
 * released after the re-take. Takes the broken stream cut are settled too (cut-takes.ts).
 *
 * Crash story: nothing here is durable beyond what grant-activation.ts and the hand-over record;
 * a crash midway is a restart, after which start-up fencing and the next resume start over.
 */
import type { Pool } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';
import type { ClusterContext } from './cluster-context.js';
import { CutTakes, RELEASING_CUT_TAKE, RETAKEN_AFTER_RESUME, type TakeReason } from './cut-takes.js';
import { volumeCountOf, type GrantActivation } from './grant-activation.js';
import type { HandoverScheduler } from './handover-scheduler.js';

/** Takes a pool's lock (unless held) and brings the pool up under it (ClusterNode.acquire). */
export type AcquireFn = (pool: string, reason: TakeReason, bringUp: () => Promise<Pool>) => Promise<Pool>;

/** The cut takes of a cluster node and what it does on each Welcome (see the module comment). One per cluster node. */
export class SessionResume {
  private readonly cutTakes = new CutTakes();

  constructor(
    private readonly ctx: ClusterContext,
    private readonly grants: GrantActivation,
    private readonly handover: HandoverScheduler,
    private readonly acquire: AcquireFn,
  ) {}

  /** The take of `pool` made for `reason` in `session` was cut by a broken stream (CLUSTER_UNAVAILABLE); see CutTakes.record. */
  cut(pool: string, session: string, reason: TakeReason): void {
    this.cutTakes.record(pool, session, reason);
  }

  /**
   * A Welcome arrived. Cut takes not of this resumed session are forgotten. When `resumed` (and
   * not stopping): each cut take is made again (and then served if still wanted, released
   * otherwise), and every pool held, being released, or fenced with the session's token is
   * taken again in the background. Returns at once; failures are logged.
   */
  welcome(resumed: boolean, session: string): void {
    const { ctx } = this;
    const cut = this.cutTakes.settle(session, resumed);
    if (!resumed || ctx.stopping()) return;
    for (const { pool, stillWanted } of cut) {
      const bringUp = stillWanted
        ? () => ctx.pools.activate(pool, [])
        : async (): Promise<Pool> => {
            throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool}: a take cut by a broken stream, taken again only to release it`);
          };
      void this.acquire(pool, stillWanted ? RETAKEN_AFTER_RESUME : RELEASING_CUT_TAKE, bringUp).catch((err: unknown) =>
        ctx.log.info({ pool, err }, 'a take cut by a broken stream is settled'),
      );
    }
    for (const [pool, state] of ctx.ownership.entries()) {
      if (state.kind === 'held' || state.kind === 'releasing' || (state.kind === 'fenced' && state.heldToken !== null)) {
        void this.retake(pool).catch((err: unknown) => ctx.log.error({ pool, err }, 'could not take the pool again after the session was resumed'));
      }
    }
  }

  private async retake(pool: string): Promise<void> {
    const { ctx, grants } = this;
    await ctx.serial(pool, async () => {
      const state = ctx.ownership.state(pool);
      if (state.kind === 'fenced' && state.heldToken !== null) {
        const grant = await grants.take(pool, state, 'the resumed session held it');
        await grants.activate(pool, state, grant.token, grant.dirty, () => ctx.pools.activate(pool, []));
        return;
      }
      if (state.kind === 'releasing') {
        await grants.take(pool, state, 'to release it');
        await this.handover.finishRelease(pool, state, 'released after the session was resumed');
        return;
      }
      if (state.kind !== 'held') return;
      const grant = await grants.take(pool, state, 'the resumed session held it');
      if (ctx.ownership.state(pool) !== state) return; // lost meanwhile: the fence took it
      if (grant.dirty) {
        // Someone held the pool in between: what is active here is stale. A failed fence fails
        // the re-take (logged by `welcome`) rather than activating over live devices.
        const fenced = ctx.ownership.set(pool, { kind: 'fenced', heldToken: grant.token });
        await ctx.engine.fencePool(pool);
        await grants.activate(pool, fenced, grant.token, true, () => ctx.pools.activate(pool, []));
        return;
      }
      await ctx.fencing.admitGrant(pool, grant.token, ctx.session.clusterId);
      if (!ctx.ownership.transition(pool, state, { kind: 'held', token: grant.token })) return;
      ctx.log.info({ pool, token: grant.token.toString(), previousToken: state.token.toString() }, 'pool held again under the resumed session');
      ctx.session.poolReady(pool, grant.token, volumeCountOf(ctx.engine, pool));
    });
  }
}
