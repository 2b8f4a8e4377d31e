/**
 * Fencing tokens for pools on shared storage. A caller that holds a pool's cluster lock
 * (docs/lock.md) sends its grant's token with every mutating call, in the `tf-lock-token`
 * metadata. The agent remembers the newest token it has seen per pool and refuses an older one
 * (STALE_TOKEN): a node whose lock was taken over cannot change the pool through this agent,
 * even if it has not noticed yet. Once a pool has seen a token it is shared: mutating calls
 * without a token are refused (TOKEN_REQUIRED), so a local caller cannot bypass the lock.
 *
 * Crash story: the newest tokens live in `<stateDir>/fencing.json`, replaced whole and durably
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
  private readonly path: string;
  private readonly mutex = new Mutex();

  constructor(stateDir: string) {
    this.path = join(stateDir, 'fencing.json');
    const saved = readStateFileSync<{ version: number; pools: Record<string, string> }>(this.path);
    if (saved !== null) for (const [pool, token] of Object.entries(saved.pools)) this.newest.set(pool, BigInt(token));
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

  private raise(pool: string, token: bigint): Promise<void> {
    return this.mutex.run(async () => {
      const current = this.newest.get(pool) ?? null;
      if (current !== null && current >= token) {
        if (token < current) throw new AgentError('STALE_TOKEN', `pool ${pool}: lock token ${token} is older than ${current}; another node holds the pool's lock now`);
        return;
      }
      const next = new Map(this.newest).set(pool, token);
      const pools = Object.fromEntries([...next].sort(([a], [b]) => a.localeCompare(b)).map(([p, t]) => [p, t.toString()]));
      await writeFileDurably(this.path, `${JSON.stringify({ version: 1, pools }, null, 2)}\n`);
      this.newest = next;
    });
  }
}
