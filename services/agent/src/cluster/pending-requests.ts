/**
 * The Take and Release requests an agent has sent its coordinator and not yet had answered,
 * by request id. In memory only: a broken stream or a stop fails them all (`failAll`), and a
 * restarted agent starts with none (an answer to an id it no longer knows is ignored, or, for a
 * grant, released by the session).
 */
import type { Grant } from './coordinator-session.js';

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

  /** Rejects every waiting request with `err` and empties the table. Idempotent. */
  failAll(err: Error): void {
    const all = [...this.byId.values()];
    this.byId.clear();
    for (const pending of all) pending.reject(err);
  }
}
