/**
 * Which pools this host owns now, in cluster mode, and the admission of calls that follows from
 * it. One state per pool:
 *
 * - `standby`: not held; no devices of it live here (the default for every pool);
 * - `acquiring`: a Take is on its way to the coordinator;
 * - `activating{token}`: granted; stale devices are being discarded and the pool activated;
 * - `held{token}`: active here under the grant with `token`: mutating calls carrying exactly
 *   that token are admitted while the session's lease deadline lies ahead;
 * - `releasing{token}`: being handed over (deactivated, then released);
 * - `fenced{heldToken}`: its devices were fenced (the lock may be lost); they are discarded
 *   before the pool is activated again. `heldToken` is the grant the session may still hold
 *   (after an agent restart, until the coordinator says whether the session was resumed).
 *
 * A mutating call on a pool (a volume or job change) is admitted only if the pool is `held`, the
 * deadline lies ahead now, and the call's `tf-lock-token` is the grant's token: an older token
 * is STALE_TOKEN, a missing one TOKEN_REQUIRED, and not holding the pool (or a token newer than
 * this host's grant) NOT_OWNER. Pool lifecycle calls need no token: the cluster node takes and
 * releases the lock around them. Admitted calls are counted per pool, so that a hand-over waits
 * for them.
 */
import { AgentError } from '../agent-error.js';
import { LOCK_TOKEN_METADATA, type PoolFencing } from '../pool-fencing.js';

export type OwnershipState =
  | { readonly kind: 'standby' }
  | { readonly kind: 'acquiring' }
  | { readonly kind: 'activating'; readonly token: bigint }
  | { readonly kind: 'held'; readonly token: bigint }
  | { readonly kind: 'releasing'; readonly token: bigint }
  | { readonly kind: 'fenced'; readonly heldToken: bigint | null };

/** The state of every pool this host neither holds nor has devices of (shared: `set(pool, STANDBY)` forgets the pool). */
export const STANDBY: OwnershipState = Object.freeze({ kind: 'standby' });

/** Operations that take and release the lock themselves (cluster-node.ts), or need none (JoinPool writes no device). */
const LIFECYCLE = new Set(['CreatePool', 'ActivatePool', 'DeactivatePool', 'DestroyPool', 'JoinPool']);

/** The token of a state whose grant this session holds, or null. */
export function heldTokenOf(state: OwnershipState): bigint | null {
  switch (state.kind) {
    case 'activating':
    case 'held':
    case 'releasing':
      return state.token;
    case 'fenced':
      return state.heldToken;
    default:
      return null;
  }
}

export class PoolOwnership {
  private readonly states = new Map<string, OwnershipState>();
  private readonly calls = new Map<string, number>();
  private readonly listeners: Array<() => void> = [];

  /**
   * @param fencing the newest tokens seen, durably (a grant raises it, so older tokens stay refused after a restart)
   * @param holdsNow true while the session's lease deadline lies ahead
   */
  constructor(
    private readonly fencing: PoolFencing,
    private readonly holdsNow: () => boolean,
  ) {}

  state(pool: string): OwnershipState {
    return this.states.get(pool) ?? STANDBY;
  }

  /** Every pool not in standby, with its state. */
  entries(): Array<[string, OwnershipState]> {
    return [...this.states];
  }

  /** Pools whose lock the session holds, with the token (for cluster-session.json). */
  heldTokens(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [pool, state] of this.states) {
      const token = heldTokenOf(state);
      if (token !== null) out[pool] = token.toString();
    }
    return out;
  }

  /** Sets `pool`'s state (standby forgets it). */
  set(pool: string, state: OwnershipState): OwnershipState {
    if (state.kind === 'standby') this.states.delete(pool);
    else this.states.set(pool, state);
    for (const listener of this.listeners) listener();
    return state;
  }

  /** Sets `next` only if `pool` is still in `expected` (the same object); returns whether it did. */
  transition(pool: string, expected: OwnershipState, next: OwnershipState): boolean {
    if (this.state(pool) !== expected) return false;
    this.set(pool, next);
    return true;
  }

  /** Calls `listener` after every state change. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Admitted mutating calls on `pool` running now. */
  callsInFlight(pool: string): number {
    return this.calls.get(pool) ?? 0;
  }

  /**
   * Admits a call (see the module comment); the returned function ends it.
   * @throws AgentError BAD_REQUEST, STALE_TOKEN, TOKEN_REQUIRED, NOT_OWNER
   */
  async admit(pool: string, token: string | null, operation: string): Promise<() => void> {
    if (LIFECYCLE.has(operation)) return () => {};
    if (token !== null && !/^[0-9]{1,20}$/.test(token)) {
      throw new AgentError('BAD_REQUEST', `${LOCK_TOKEN_METADATA}: must be a decimal lock token, got "${token}"`, { field: LOCK_TOKEN_METADATA });
    }
    const value = token === null ? null : BigInt(token);
    const newest = this.fencing.newestToken(pool);
    if (value !== null && newest !== null && value < newest) {
      throw new AgentError('STALE_TOKEN', `pool ${pool}: lock token ${value} is older than ${newest}; another grant of the pool's lock came since`);
    }
    const state = this.state(pool);
    if (state.kind !== 'held' || !this.holdsNow()) {
      const why = state.kind === 'held' ? 'its lease deadline has passed' : `it is ${state.kind}`;
      throw new AgentError('NOT_OWNER', `this host does not hold pool ${pool} now (${why}); go through the coordinator`);
    }
    if (value === null) {
      throw new AgentError('TOKEN_REQUIRED', `pool ${pool} is shared: changes need the pool's lock token (${LOCK_TOKEN_METADATA}); go through the coordinator`);
    }
    if (value < state.token) {
      throw new AgentError('STALE_TOKEN', `pool ${pool}: lock token ${value} is older than ${state.token}; another grant of the pool's lock came since`);
    }
    if (value > state.token) {
      throw new AgentError('NOT_OWNER', `pool ${pool}: lock token ${value} is newer than this host's grant (${state.token}); another host holds the pool now; go through the coordinator`);
    }
    this.calls.set(pool, this.callsInFlight(pool) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = this.callsInFlight(pool) - 1;
      if (left > 0) this.calls.set(pool, left);
      else this.calls.delete(pool);
    };
  }
}
