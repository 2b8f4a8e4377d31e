/**
 * Sessions that ended, from one etcd watch instead of a timer: when a session's lease expires
 * (or is revoked), etcd deletes every key bound to it in one revision — the session's owner
 * record `<lockPrefix>_sessions/<lease>` (packages/lock session-owner.ts) and its queue keys
 * `<lockPrefix><pool>/q/<lease>` among them — and a watch delivers the events of one revision in
 * one response. So a response that deletes a session's owner record names the session that
 * ended and every pool it was queued for or held; the failover supervisor looks at those pools
 * at once (failover.ts).
 *
 * The watch asks etcd for deletes only (a release deletes a queue key too, but not the owner
 * record: it is not a session that ended). A session without an owner record (opened by a
 * coordinator older than those records) is seen by the supervisor's sweep instead.
 *
 * Crash story: nothing is written. A watch that reconnects resumes from its last revision (etcd3
 * does this), and the caller is told to look at everything once (`resync`) in case etcd
 * compacted past it; a watch that fails is the caller's to open again.
 */
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';

/** The sessions one etcd revision ended, and the pools their queue keys were in. */
export interface SessionsEnded {
  /** Lease ids (hex) whose owner record was deleted. */
  readonly leases: ReadonlySet<string>;
  /** Pools with a queue key of one of those leases (held or waited for). */
  readonly pools: ReadonlySet<string>;
}

const SESSIONS = '_sessions/';
const QUEUE = '/q/';

/**
 * The sessions that the deleted keys `deleted` (full keys, from one watch response) ended, or
 * null when they end none. Pure.
 */
export function sessionsEndedIn(lockPrefix: string, deleted: readonly Buffer[]): SessionsEnded | null {
  const keys = deleted.map((k) => k.toString('utf8')).filter((k) => k.startsWith(lockPrefix));
  const leases = new Set(keys.filter((k) => k.startsWith(lockPrefix + SESSIONS)).map((k) => k.slice(lockPrefix.length + SESSIONS.length)));
  if (leases.size === 0) return null;
  const pools = new Set<string>();
  for (const key of keys) {
    const rest = key.slice(lockPrefix.length);
    const at = rest.indexOf(QUEUE);
    if (at > 0 && leases.has(rest.slice(at + QUEUE.length))) pools.add(rest.slice(0, at));
  }
  return { leases, pools };
}

export interface SessionEndHandlers {
  /** A revision ended sessions (called in revision order, synchronously from the watch). */
  readonly ended: (ended: SessionsEnded) => void;
  /** The watch reconnected or failed: events may have been missed; look at everything. */
  readonly resync: (why: 'reconnected' | 'failed') => void;
}

/**
 * Opens the watch on every delete under `lockPrefix`, from now on. Cancel the watcher to stop.
 * After a `resync('failed')` the watcher is dead: open another.
 * @throws etcd's error when the watch cannot be set up
 */
export async function watchSessionEnds(etcd: Etcd3, lockPrefix: string, handlers: SessionEndHandlers): Promise<Watcher> {
  const watcher = await etcd.watch().prefix(lockPrefix).only('delete').create();
  watcher.on('data', (response: { events: Array<{ type: string; kv: IKeyValue }> }) => {
    const ended = sessionsEndedIn(
      lockPrefix,
      response.events.filter((e) => e.type.toLowerCase() === 'delete').map((e) => e.kv.key),
    );
    if (ended !== null) handlers.ended(ended);
  });
  watcher.on('connected', () => handlers.resync('reconnected'));
  watcher.on('error', () => handlers.resync('failed'));
  return watcher;
}
