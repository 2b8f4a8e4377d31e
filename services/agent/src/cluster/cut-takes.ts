/**
 * Why a cluster node takes a pool's lock, and the takes a broken stream cut.
 *
 * A Take in flight when the stream breaks fails here with CLUSTER_UNAVAILABLE, but the
 * coordinator keeps it queued for the session. After the session is resumed each such take is
 * made again, and then the pool is served if it is still wanted (the coordinator asked for it)
 * or released at once otherwise, so that the session never blocks the pool's queue for nothing.
 * Whether it is still wanted is a flag of the take's reason, set where the take is made.
 */

/** Why a pool's lock is taken. */
export interface TakeReason {
  /** For the log ('pool lock granted'). */
  readonly why: string;
  /** The coordinator asked for the pool: a take cut by a broken stream is served after a resume, not released. */
  readonly stillWanted: boolean;
}

/** The coordinator's Acquire. */
export const COORDINATOR_ASKED: TakeReason = { why: 'the coordinator asked for it', stillWanted: true };

/** A cut take of a pool the coordinator asked for, made again after a resume. */
export const RETAKEN_AFTER_RESUME: TakeReason = { why: 'the coordinator asked for it (taken again after a resume)', stillWanted: true };

/** A cut take nobody waits for, made again after a resume only to release it. */
export const RELEASING_CUT_TAKE: TakeReason = { why: 'releasing a take cut by a broken stream', stillWanted: false };

/** A local pool call (CreatePool, ActivatePool, DestroyPool): its caller got the error, nobody waits for the pool. */
export function localCall(operation: string): TakeReason {
  return { why: operation, stillWanted: false };
}

/** A take to settle after a resume. */
export interface CutTake {
  readonly pool: string;
  readonly stillWanted: boolean;
}

/** The takes a broken stream cut, by pool (in memory only: a restarted agent has none). */
export class CutTakes {
  private readonly takes = new Map<string, { readonly session: string; readonly stillWanted: boolean }>();

  /**
   * Records that the take of `pool` made for `reason` in `session` was cut by a broken stream
   * (replacing an earlier record of the pool). A take made with no session ('') is not recorded:
   * the coordinator queued nothing for it.
   */
  record(pool: string, session: string, reason: TakeReason): void {
    if (session === '') return;
    this.takes.set(pool, { session, stillWanted: reason.stillWanted });
  }

  /**
   * On a Welcome: the cut takes to make again, those of `session` if it was `resumed` (none
   * otherwise: the coordinator dropped the session's queue entries). Forgets every record.
   */
  settle(session: string, resumed: boolean): CutTake[] {
    const cut = [...this.takes].filter(([, c]) => resumed && c.session === session).map(([pool, c]) => ({ pool, stillWanted: c.stillWanted }));
    this.takes.clear();
    return cut;
  }
}
