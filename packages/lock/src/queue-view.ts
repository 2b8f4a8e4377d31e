/**
 * The holder's view of the sessions queued behind it, kept so that its release can hand the lock
 * straight to the next one (pool-lock.ts, "hand-over"). Built from the queue as etcd had it at the
 * grant's revision, then from the holder's watch on the queue, whose events etcd delivers in
 * revision order without gaps: after the events up to revision V are applied, the view is the
 * queue at V.
 *
 * Why the first waiter in the view is safe to hand to, even when the view lags: it was created at
 * a revision S <= V, and every queue key created before S was seen created (its create revision
 * is below V) and, being absent from the view, seen deleted; a deleted key never comes back with
 * the same create revision. So the only way it can be wrong is that this waiter itself left
 * since V, which the release transaction checks (its create revision must still be S). Keys
 * created after V are younger than S and do not matter.
 *
 * Holds nothing in etcd; one per hold (a new grant starts a new view).
 */

/** A lease id in hex, as queue keys end with. */
const LEASE_HEX = /^[0-9a-f]{1,16}$/;

/** A session queued behind the holder. */
export interface QueuedSession {
  /** Its queue key `…/q/<leaseHex>`. */
  readonly key: Buffer;
  /** The key's create revision: its place in the queue. */
  readonly createRevision: bigint;
  /** Its lease, hex (the queue key's last part). */
  readonly leaseHex: string;
  /** Its node id (the queue key's value). */
  readonly nodeId: string;
}

export class QueueView {
  private readonly queued = new Map<string, QueuedSession>();
  /** False until the queue at the grant is known (then `next()` answers). */
  private complete = false;
  /** A queue key that is not `q/<leaseHex>` was seen: hand to no one this hold. */
  private foreign = false;

  /** @param holderRevision the holder's own queue key's create revision */
  constructor(private readonly holderRevision: bigint) {}

  /**
   * Records the queue as etcd had it at the grant (keys and values). Call once, before the
   * watch's events; marks the view complete.
   */
  start(kvs: ReadonlyArray<{ key: Buffer; value: Buffer; create_revision: string }>): void {
    for (const kv of kvs) this.put(kv);
    this.complete = true;
  }

  /** A queue key was created or rewritten (a watch `put` event). */
  put(kv: { key: Buffer; value: Buffer; create_revision: string }): void {
    const createRevision = BigInt(kv.create_revision);
    if (createRevision <= this.holderRevision) return;
    const key = Buffer.from(kv.key);
    const name = key.toString('latin1');
    const leaseHex = name.slice(name.lastIndexOf('/') + 1);
    if (!LEASE_HEX.test(leaseHex)) this.foreign = true;
    this.queued.set(name, { key, createRevision, leaseHex, nodeId: kv.value.toString('utf8') });
  }

  /** A queue key was deleted (a watch `delete` event). */
  delete(key: Buffer): void {
    this.queued.delete(Buffer.from(key).toString('latin1'));
  }

  /** The first session queued behind the holder, or null when none is known or the view is not complete. */
  next(): QueuedSession | null {
    if (!this.complete || this.foreign) return null;
    let first: QueuedSession | null = null;
    for (const q of this.queued.values()) if (first === null || q.createRevision < first.createRevision) first = q;
    return first;
  }
}
