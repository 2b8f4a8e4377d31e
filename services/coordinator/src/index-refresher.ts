/**
 * Index refreshes after PoolReady, at most a few at a time. Each refresh is two calls to the
 * pool's holder and several etcd writes (router.ts `refreshIndex`); a burst of grants (every
 * agent of a cluster taking its pools at once) started one per pool at once, and bench:cluster
 * measured what followed with 100 hosts and 2,000 pools: thousands of etcd requests queued on the
 * coordinator's one etcd connection ahead of the agents' lease renewals, renewals acknowledged
 * later than the lease deadline, and sessions lost. The index is a cache that the next change
 * rewrites anyway, so it can wait; leases cannot.
 *
 * A pool already waiting for its refresh is not queued twice: the refresh uses the newest owner
 * asked for. Crash story: nothing is kept; a refresh lost with the process is made by the pool's
 * next change or grant.
 */
import { bulkhead, type BulkheadPolicy } from 'cockatiel';
import type { OwnerRecord } from './registry.js';

/** Refreshes at once by default: enough to keep up with 1,000 pool moves a minute. */
export const DEFAULT_INDEX_REFRESHES = 4;

export class IndexRefresher {
  private readonly waiting = new Map<string, OwnerRecord>();
  private readonly limit: BulkheadPolicy;

  /**
   * @param refresh rewrites one pool's index (must not throw: failures are its own to log)
   * @param concurrency refreshes running at once (default {@link DEFAULT_INDEX_REFRESHES})
   */
  constructor(
    private readonly refresh: (pool: string, owner: OwnerRecord) => Promise<void>,
    concurrency = DEFAULT_INDEX_REFRESHES,
  ) {
    this.limit = bulkhead(concurrency, Infinity);
  }

  /** Queues a refresh of `pool` for `owner` (or updates the owner of one already waiting). Idempotent per pool. */
  request(pool: string, owner: OwnerRecord): void {
    const queued = this.waiting.has(pool);
    this.waiting.set(pool, owner);
    if (queued) return;
    void this.limit
      .execute(async () => {
        const newest = this.waiting.get(pool)!;
        this.waiting.delete(pool);
        await this.refresh(pool, newest);
      })
      .catch(() => {});
  }

  /** Refreshes waiting to start (for tests and diagnostics). */
  get queued(): number {
    return this.waiting.size;
  }
}
