/**
 * The etcd transactions of one pool lock (see pool-lock.ts for the protocol): queueing, the
 * grant, the release and the withdrawal of a queue entry, each one etcd transaction, and what a
 * grant means from the epoch it replaced. Holds no state of its own beyond the keys; PoolLock
 * keeps the state machine.
 */
import type { IKeyValue } from 'etcd3';
import { LockError } from './lock-error.js';
import { parseEpoch, type LockKeys } from './lock-keys.js';
import type { LockSession } from './lock-session.js';

/** What a successful take tells the caller. */
export interface LockGrant {
  readonly name: string;
  /** The fencing token: the grant's etcd revision; every later grant of this lock has a larger one. */
  readonly token: bigint;
  /** Another node may have held the lock since this node last released it: flush and reload. */
  readonly dirty: boolean;
  /** The previous holder never released (it died); the grant waited the lock delay. */
  readonly previousHolderDied: boolean;
  /** The node id of the previous holder, if any. */
  readonly previousHolder: string | null;
}

const kv = (response: { kvs: IKeyValue[] }): IKeyValue[] => response.kvs;

/**
 * The transactions of lock `name` for one session's queue key. Each method is one etcd round
 * trip (`enqueue` and `tryGrant` may also lose the session, below); none retries. A crash
 * between any two leaves only what etcd committed, bound to the session's lease.
 */
export class LockTransactions {
  constructor(
    private readonly session: LockSession,
    private readonly name: string,
    private readonly keys: LockKeys,
    private readonly queueKey: Buffer,
  ) {}

  /**
   * Queues this session: one transaction that, when the queue is empty, also grants the lock
   * (the uncontended take is one round trip); otherwise it only puts our queue key (a put on a
   * key that exists keeps its create revision). Returns our create revision and the grant, if any.
   * @throws LockError LOST (and loses the session) when our queue key is gone; etcd's errors as they are.
   */
  async enqueue(lastRelease: bigint | null): Promise<{ myRevision: bigint; grant: LockGrant | null }> {
    const putQueueKey = { request_put: { key: this.queueKey, value: Buffer.from(this.session.nodeId), lease: this.session.leaseId } };
    const response = await this.session.etcd.kv.txn({
      compare: [{ key: this.keys.queuePrefix, range_end: this.keys.queueEnd, target: 'Version', result: 'Equal', version: 0 }],
      success: [putQueueKey, this.epochPut()],
      failure: [putQueueKey, { request_range: { key: this.queueKey } }],
    });
    if (response.succeeded) {
      const revision = BigInt(response.header.revision);
      return { myRevision: revision, grant: this.grantOf(response.responses[1]!.response_put.prev_kv, revision, lastRelease) };
    }
    const mine = kv(response.responses[1]!.response_range)[0];
    if (mine === undefined) this.loseQueueKey();
    return { myRevision: BigInt(mine.create_revision), grant: null };
  }

  /**
   * The grant transaction for our queue key created at revision `my`; null when an older queue key exists.
   * @throws LockError LOST (and loses the session) when our queue key is gone; etcd's errors as they are.
   */
  async tryGrant(my: bigint, lastRelease: bigint | null): Promise<LockGrant | null> {
    const response = await this.session.etcd.kv.txn({
      compare: [
        { key: this.queueKey, target: 'Create', result: 'Equal', create_revision: my.toString() },
        // Every queue key is at least as new as ours: none is ahead of us.
        { key: this.keys.queuePrefix, range_end: this.keys.queueEnd, target: 'Create', result: 'Greater', create_revision: (my - 1n).toString() },
      ],
      success: [this.epochPut()],
      failure: [{ request_range: { key: this.queueKey } }],
    });
    if (!response.succeeded) {
      if (kv(response.responses[0]!.response_range).length === 0) this.loseQueueKey();
      return null;
    }
    return this.grantOf(response.responses[0]!.response_put.prev_kv, BigInt(response.header.revision), lastRelease);
  }

  /**
   * The release: deletes our queue key (created at `my`) and writes the epoch `released: true`,
   * if the key is still ours. Returns whether it was, and the transaction's revision.
   */
  async release(my: bigint): Promise<{ succeeded: boolean; revision: bigint }> {
    const response = await this.session.etcd.kv.txn({
      compare: [{ key: this.queueKey, target: 'Create', result: 'Equal', create_revision: my.toString() }],
      success: [
        { request_delete_range: { key: this.queueKey } },
        { request_put: { key: this.keys.epoch, value: Buffer.from(JSON.stringify({ holder: this.session.nodeId, lease: this.session.leaseHex, released: true })) } },
      ],
    });
    return { succeeded: response.succeeded, revision: BigInt(response.header.revision) };
  }

  /** Deletes our queue key if it is the one created at `my` (any, when `my` is null). Idempotent. */
  async withdraw(my: bigint | null): Promise<void> {
    await this.session.etcd.kv.txn({
      compare: [
        my === null
          ? { key: this.queueKey, target: 'Create', result: 'Greater', create_revision: 0 }
          : { key: this.queueKey, target: 'Create', result: 'Equal', create_revision: my.toString() },
      ],
      success: [{ request_delete_range: { key: this.queueKey } }],
    });
  }

  /**
   * The queue key just before ours (created at `my`), and the revision the queue was read at;
   * null when ours is first.
   * @throws LockError LOST (and loses the session) when our queue key is gone; etcd's errors as they are.
   */
  async predecessor(my: bigint): Promise<{ key: Buffer; readAt: bigint } | null> {
    const range = await this.session.etcd.kv.range({ key: this.keys.queuePrefix, range_end: this.keys.queueEnd, sort_target: 'Create', sort_order: 'Ascend', keys_only: true });
    const keys = kv(range);
    if (!keys.some((k) => BigInt(k.create_revision) === my)) this.loseQueueKey();
    const before = keys.filter((k) => BigInt(k.create_revision) < my).at(-1);
    return before === undefined ? null : { key: before.key, readAt: BigInt(range.header.revision) };
  }

  /** The number of queue keys created after revision `my` (asks etcd). */
  async waitersAfter(my: bigint): Promise<number> {
    const range = await this.session.etcd.kv.range({ key: this.keys.queuePrefix, range_end: this.keys.queueEnd, keys_only: true });
    return kv(range).filter((k) => BigInt(k.create_revision) > my).length;
  }

  /** The grant's write: the epoch says this session holds the lock, and returns the one before. */
  private epochPut(): { request_put: { key: Buffer; value: Buffer; prev_kv: true } } {
    return {
      request_put: {
        key: this.keys.epoch,
        value: Buffer.from(JSON.stringify({ holder: this.session.nodeId, lease: this.session.leaseHex, released: false })),
        prev_kv: true,
      },
    };
  }

  /** What a grant at `revision` means, from the epoch it replaced. */
  private grantOf(previous: IKeyValue | null | undefined, revision: bigint, lastRelease: bigint | null): LockGrant {
    const epoch = parseEpoch(previous?.value);
    const previousRevision = previous === undefined || previous === null ? null : BigInt(previous.mod_revision);
    // This lease held it until now (a resumed session taking its lock again): no one came between.
    const heldByThisLease = epoch !== null && !epoch.released && epoch.lease === this.session.leaseHex;
    return {
      name: this.name,
      token: revision,
      dirty: !heldByThisLease && (previousRevision === null || lastRelease === null || previousRevision !== lastRelease),
      previousHolderDied: epoch !== null && !epoch.released && epoch.lease !== this.session.leaseHex,
      previousHolder: epoch?.holder ?? null,
    };
  }

  private loseQueueKey(): never {
    const err = new LockError('LOST', `lock ${this.name}: this session's queue key is gone (its lease expired)`);
    this.session.lose(err);
    throw err;
  }
}
