/**
 * The Take and Release requests an agent has sent its coordinator and not yet had answered,
 * by request id. In memory only: a broken stream or a stop fails them all (`failAll`), and a
 * restarted agent starts with none (an answer to an id it no longer knows is ignored, or, for a
 * grant, released by the session).
 */
import type { CoordinatorMessage__Output } from '@thinfleet/proto';
import { AgentError } from '../agent-error.js';
import type { Grant } from './coordinator-session.js';

/** A grant token as the coordinator sends it (decimal, at most 20 digits). */
const TOKEN = /^[0-9]{1,20}$/;

/** One request waiting for its Granted, Released or Failed. */
export interface PendingRequest {
  readonly kind: 'take' | 'release';
  readonly pool: string;
  resolve(grant: Grant | null): void;
  reject(err: Error): void;
}

/** The table of waiting requests; ids start at 1 and are never reused within one table. */
export class PendingRequests {
  private readonly byId = new Map<number, PendingRequest>();
  private nextId = 1;

  /**
   * Registers a `kind` request for `pool` under a new id; `send` is called at once with that id.
   * Resolves or rejects when its answer is settled here or every request fails.
   */
  open(kind: 'take' | 'release', pool: string, send: (requestId: number) => void): Promise<Grant | null> {
    const requestId = this.nextId++;
    return new Promise<Grant | null>((resolve, reject) => {
      this.byId.set(requestId, { kind, pool, resolve, reject });
      send(requestId);
    });
  }

  /**
   * Removes and returns the request `requestId` when one waits (and, with `kind`, is of that
   * kind; one of another kind is left waiting). The caller settles it. Idempotent: a second call
   * returns undefined.
   */
  settle(requestId: number, kind?: 'take' | 'release'): PendingRequest | undefined {
    const pending = this.byId.get(requestId);
    if (pending === undefined || (kind !== undefined && pending.kind !== kind)) return undefined;
    this.byId.delete(requestId);
    return pending;
  }

  /**
   * Settles the request a Granted, Released or Failed answers: a grant resolves its take (a
   * malformed token rejects it with LOCK_FAILED), a release resolves with null, a failure
   * rejects with LOCK_FAILED and the coordinator's code. A grant no request waits for is passed
   * to `unwanted` (the caller releases it); other answers to unknown ids are ignored.
   */
  answer(m: Pick<CoordinatorMessage__Output, 'granted' | 'released' | 'failed'>, unwanted: (pool: string, token: string, requestId: string) => void): void {
    if (m.granted) {
      const g = m.granted;
      const p = this.settle(Number(g.requestId), 'take');
      if (p === undefined) return unwanted(g.pool, g.token, String(g.requestId));
      if (!TOKEN.test(g.token)) return p.reject(new AgentError('LOCK_FAILED', `pool ${g.pool}: the coordinator granted a malformed token "${g.token}"`));
      return p.resolve({ pool: g.pool, token: BigInt(g.token), dirty: g.dirty, previousHolderDied: g.previousHolderDied, previousHolder: g.previousHolder });
    }
    if (m.released) return this.settle(Number(m.released.requestId))?.resolve(null);
    if (m.failed) {
      const f = m.failed;
      const p = this.settle(Number(f.requestId));
      p?.reject(new AgentError('LOCK_FAILED', `pool ${f.pool}: the coordinator refused the ${p.kind} (${f.code}): ${f.message}`));
    }
  }

  /** Rejects every waiting request with `err` and empties the table. Idempotent. */
  failAll(err: Error): void {
    const all = [...this.byId.values()];
    this.byId.clear();
    for (const pending of all) pending.reject(err);
  }
}
