/**
 * Fencing tokens for pools on shared storage. A caller that holds a pool's cluster lock
 * (docs/lock.md) sends its grant's token with every mutating call, in the `tf-lock-token`
 * metadata. The agent remembers the newest token it has seen per pool and refuses an older one
 * (STALE_TOKEN): a node whose lock was taken over cannot change the pool through this agent,
 * even if it has not noticed yet. Once a pool has seen a token it is shared: mutating calls
 * without a token are refused (TOKEN_REQUIRED), so a local caller cannot bypass the lock.
 *
 * Tokens are etcd revisions and compare only within one lock space: a grant of another cluster id
 * than the one a pool's newest token came from (the cluster's etcd was replaced, revisions restart
 * near 1) starts the pool's tokens afresh ({@link PoolFencing.admitGrant}).
 *
 * Crash story: the newest tokens (and their cluster ids) live in `<stateDir>/fencing.json`, replaced whole and durably
 * before the call that raised a token proceeds; a crash leaves the old or the new file, and a
 * token the agent admitted is never forgotten across a restart.
 */
import { join } from 'node:path';
import { AgentError } from './agent-error.js';
import { readStateFileSync, writeFileDurably } from './durable-file.js';
import { Mutex } from '@thinfleet/engine';
import { LOCK_TOKEN_METADATA } from '@thinfleet/proto';

/** The metadata key a call's lock token travels in (decimal). */
export { LOCK_TOKEN_METADATA };

export class PoolFencing {
  private newest = new Map<string, bigint>();
  /** The cluster id each pool's newest token was granted in ('' when unknown: a call's token, or a file from before cluster ids). */
  private clusters = new Map<string, string>();
  private readonly path: string;
  private readonly mutex = new Mutex();

  constructor(stateDir: string) {
    this.path = join(stateDir, 'fencing.json');
    const saved = readStateFileSync<{ version: number; pools: Record<string, string>; clusters?: Record<string, string> }>(this.path);
    if (saved !== null) for (const [pool, token] of Object.entries(saved.pools)) this.newest.set(pool, BigInt(token));
    for (const [pool, clusterId] of Object.entries(saved?.clusters ?? {})) if (typeof clusterId === 'string' && this.newest.has(pool)) this.clusters.set(pool, clusterId);
  }

  /** The newest token seen for `pool`, or null when the pool is not shared. */
  newestToken(pool: string): bigint | null {
    return this.newest.get(pool) ?? null;
  }

  /**
   * Admits a mutating call on `pool` carrying `token` (null when the call has none).
   * @throws AgentError BAD_REQUEST (a malformed token), STALE_TOKEN (older than the newest seen),
   *   TOKEN_REQUIRED (the pool is shared and the call has no token)
   */
  async admit(pool: string, token: string | null): Promise<void> {
    const newest = this.newest.get(pool) ?? null;
    if (token === null) {
      if (newest !== null) {
        throw new AgentError('TOKEN_REQUIRED', `pool ${pool} is shared: changes need the pool's lock token (${LOCK_TOKEN_METADATA}); go through the coordinator`);
      }
      return;
    }
    if (!/^[0-9]{1,20}$/.test(token)) throw new AgentError('BAD_REQUEST', `${LOCK_TOKEN_METADATA}: must be a decimal lock token, got "${token}"`, { field: LOCK_TOKEN_METADATA });
    const value = BigInt(token);
    if (newest !== null && value < newest) {
      throw new AgentError('STALE_TOKEN', `pool ${pool}: lock token ${value} is older than ${newest}; another node holds the pool's lock now`);
    }
    if (newest === null || value > newest) await this.raise(pool, value);
  }

  /**
   * Admits the grant `token` of `pool`'s lock from the lock space `clusterId` (the session's; ''
   * when the coordinator sends none): as {@link admit}, except that when the pool's newest token
   * was recorded with another cluster id, the grant's token replaces it (a new lock space's
   * revisions are not comparable with the old one's). Durable before it returns. Idempotent.
   * @throws AgentError STALE_TOKEN (older than the newest of the same cluster id); the file's write errors
   */
  async admitGrant(pool: string, token: bigint, clusterId: string): Promise<void> {
    await this.raise(pool, token, clusterId);
  }

  /**
   * Makes `token` the pool's newest, durably. With `clusterId` (a grant) of another lock space
   * than the newest token's, unconditionally (a new epoch); otherwise only when newer.
   * @throws AgentError STALE_TOKEN when older than the newest of the same lock space
   */
  private raise(pool: string, token: bigint, clusterId?: string): Promise<void> {
    return this.mutex.run(async () => {
      const current = this.newest.get(pool) ?? null;
      const sameEpoch = current !== null && (clusterId === undefined || (this.clusters.get(pool) ?? '') === clusterId);
      if (sameEpoch && current !== null && token <= current) {
        if (token < current) throw new AgentError('STALE_TOKEN', `pool ${pool}: lock token ${token} is older than ${current}; another node holds the pool's lock now`);
        return;
      }
      const next = new Map(this.newest).set(pool, token);
      const clusters = new Map(this.clusters);
      if (clusterId !== undefined) clusters.set(pool, clusterId);
      const sorted = [...next].sort(([a], [b]) => a.localeCompare(b));
      const pools = Object.fromEntries(sorted.map(([p, t]) => [p, t.toString()]));
      const ids = Object.fromEntries(sorted.flatMap(([p]): Array<[string, string]> => (clusters.get(p) ? [[p, clusters.get(p)!]] : [])));
      await writeFileDurably(this.path, `${JSON.stringify({ version: 1, pools, ...(Object.keys(ids).length > 0 ? { clusters: ids } : {}) }, null, 2)}\n`);
      this.newest = next;
      this.clusters = clusters;
    });
  }
}
