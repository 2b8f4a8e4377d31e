/**
 * The agent side of fencing, reduced to what the lock tests need: a resource per pool that
 * remembers the newest token it has seen and refuses a write carrying an older one, the way
 * an agent refuses a mutating call with a stale lock token (docs/architecture.md, "A pool moving
 * between two hosts"; docs/lock.md).
 */

/** One write offered to a {@link FencedResource}. */
export interface FencedWrite {
  readonly pool: string;
  /** Who wrote (a node or session id). */
  readonly writer: string;
  readonly token: bigint;
  /** When the writer made it (wall-clock ms). */
  readonly at: number;
}

/**
 * Accepts a write when its token is at least the newest the pool has seen, and remembers it.
 *
 * @example
 * const agent = new FencedResource();
 * agent.write('pool1', 'a', 7n, at); // true
 * agent.write('pool1', 'b', 9n, at); // true
 * agent.write('pool1', 'a', 7n, at); // false: a stale token
 */
export class FencedResource {
  /** Every accepted write, in the order accepted. */
  readonly accepted: FencedWrite[] = [];
  /** Every refused write, in the order offered. */
  readonly refused: FencedWrite[] = [];
  private readonly newest = new Map<string, bigint>();

  /** Offers a write; true when accepted. */
  write(pool: string, writer: string, token: bigint, at: number): boolean {
    const write: FencedWrite = { pool, writer, token, at };
    const newest = this.newest.get(pool);
    if (newest !== undefined && token < newest) {
      this.refused.push(write);
      return false;
    }
    this.newest.set(pool, token);
    this.accepted.push(write);
    return true;
  }

  /** The newest token `pool` has seen, or undefined before its first write. */
  newestToken(pool: string): bigint | undefined {
    return this.newest.get(pool);
  }

  /** The accepted writes to `pool`, in the order accepted. */
  acceptedOn(pool: string): FencedWrite[] {
    return this.accepted.filter((w) => w.pool === pool);
  }
}
