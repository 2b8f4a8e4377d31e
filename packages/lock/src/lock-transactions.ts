/**
 * The etcd transactions of one pool lock (see pool-lock.ts for the protocol): queueing, the
 * grant, the release and the withdrawal of a queue entry, each one etcd transaction, and what a
 * grant means from the epoch it replaced. Holds no state of its own beyond the keys; PoolLock
 * keeps the state machine.
 */
import type { IKeyValue } from 'etcd3';
import { LockError } from './lock-error.js';
import { parseEpoch, type EpochValue, type LockKeys } from './lock-keys.js';
import type { LockSession } from './lock-session.js';
import type { QueuedSession } from './queue-view.js';

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

/** An epoch value as stored (JSON; `handedBy` only on a hand-over's grant). */
const epochValue = (epoch: EpochValue): Buffer => Buffer.from(JSON.stringify(epoch));

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
   * The release: deletes our queue key (created at `my`) and writes the epoch, if the key is still
   * ours. With a `successor` (the first session queued behind us, from the holder's QueueView) it
   * hands the lock over in the same transaction: if the successor's queue key still has its
   * create revision, the epoch written is the successor's grant `{successor, released: false,
   * handedBy: us}` (its token is this transaction's revision; the successor learns it from its
   * watch on the epoch); otherwise, and without a successor, the epoch says `released: true`.
   * One round trip either way (a nested transaction). Returns whether the key was ours, whether
   * the lock was handed over, and the transaction's revision.
   */
  async release(my: bigint, successor: QueuedSession | null): Promise<{ succeeded: boolean; handedOver: boolean; revision: bigint }> {
    const ours = [{ key: this.queueKey, target: 'Create' as const, result: 'Equal' as const, create_revision: my.toString() }];
    const deleteOurs = { request_delete_range: { key: this.queueKey } };
    const released = { request_put: { key: this.keys.epoch, value: epochValue({ holder: this.session.nodeId, lease: this.session.leaseHex, released: true }) } };
    if (successor === null) {
      const response = await this.session.etcd.kv.txn({ compare: ours, success: [deleteOurs, released] });
      return { succeeded: response.succeeded, handedOver: false, revision: BigInt(response.header.revision) };
    }
    const handed = {
      request_put: { key: this.keys.epoch, value: epochValue({ holder: successor.nodeId, lease: successor.leaseHex, released: false, handedBy: this.session.nodeId }) },
    };
    const response = await this.session.etcd.kv.txn({
      compare: ours,
      success: [
        {
          request_txn: {
            compare: [{ key: successor.key, target: 'Create', result: 'Equal', create_revision: successor.createRevision.toString() }],
            success: [deleteOurs, handed],
            failure: [deleteOurs, released],
          },
        },
      ],
    });
    const handedOver = response.succeeded && response.responses[0]!.response_txn.succeeded;
    return { succeeded: response.succeeded, handedOver, revision: BigInt(response.header.revision) };
  }

  /** The queue's keys and values as etcd had them at `revision` (for the holder's QueueView). */
  async queueAt(revision: bigint): Promise<IKeyValue[]> {
    return kv(await this.session.etcd.kv.range({ key: this.keys.queuePrefix, range_end: this.keys.queueEnd, revision: revision.toString() }));
  }

  /** The epoch key as etcd has it now (a linearizable read), or null when there is none. */
  async epochNow(): Promise<IKeyValue | null> {
    return kv(await this.session.etcd.kv.range({ key: this.keys.epoch }))[0] ?? null;
  }

  /**
   * The grant an epoch write at `revision` hands the take whose queue key was created at `my`,
   * or null when it is not one: a hand-over to this session's lease (`handedBy` set, not
   * released) written after that key was created. An older one was for an earlier take of this
   * session that gave up (aborted) while it was handed the lock: the lock has moved on or will,
   * and taking it as a grant would make two holders. Such a grant is dirty (another session held
   * the lock until this revision) and its previous holder released it.
   */
  handedGrant(value: Buffer, revision: bigint, my: bigint): LockGrant | null {
    const epoch = parseEpoch(value);
    if (epoch === null || epoch.released || epoch.handedBy === undefined || epoch.lease !== this.session.leaseHex || revision <= my) return null;
    return { name: this.name, token: revision, dirty: true, previousHolderDied: false, previousHolder: epoch.handedBy };
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
   * The queue key just before ours (created at `my`) and the revision the queue was read at
   * (`before` null when ours is first), read in one transaction with the epoch: `handed` is the
   * grant when the holder has already handed the lock to this session.
   * @throws LockError LOST (and loses the session) when our queue key is gone; etcd's errors as they are.
   */
  async predecessor(my: bigint): Promise<{ before: Buffer | null; readAt: bigint; handed: LockGrant | null }> {
    const response = await this.session.etcd.kv.txn({
      compare: [],
      success: [
        { request_range: { key: this.keys.queuePrefix, range_end: this.keys.queueEnd, sort_target: 'Create', sort_order: 'Ascend', keys_only: true } },
        { request_range: { key: this.keys.epoch } },
      ],
    });
    const keys = kv(response.responses[0]!.response_range);
    if (!keys.some((k) => BigInt(k.create_revision) === my)) this.loseQueueKey();
    const before = keys.filter((k) => BigInt(k.create_revision) < my).at(-1);
    const epoch = kv(response.responses[1]!.response_range)[0];
    return { before: before?.key ?? null, readAt: BigInt(response.header.revision), handed: epoch === undefined ? null : this.handedGrant(epoch.value, BigInt(epoch.mod_revision), my) };
  }

  /** The number of queue keys created after revision `my` (asks etcd). */
  async waitersAfter(my: bigint): Promise<number> {
    const range = await this.session.etcd.kv.range({ key: this.keys.queuePrefix, range_end: this.keys.queueEnd, keys_only: true });
    return kv(range).filter((k) => BigInt(k.create_revision) > my).length;
  }

  /** The grant's write: the epoch says this session holds the lock, and returns the one before. */
  private epochPut(): { request_put: { key: Buffer; value: Buffer; prev_kv: true } } {
    return { request_put: { key: this.keys.epoch, value: epochValue({ holder: this.session.nodeId, lease: this.session.leaseHex, released: false }), prev_kv: true } };
  }

  /** What a grant at `revision` means, from the epoch it replaced. */
  private grantOf(previous: IKeyValue | null | undefined, revision: bigint, lastRelease: bigint | null): LockGrant {
    const epoch = parseEpoch(previous?.value);
    const previousRevision = previous === undefined || previous === null ? null : BigInt(previous.mod_revision);
    // A hand-over to this lease that this take did not see (it read the queue after the hand-over):
    // the session that handed it held the lock until then, so the grant is dirty.
    const handedToThisLease = epoch !== null && !epoch.released && epoch.lease === this.session.leaseHex && epoch.handedBy !== undefined;
    if (handedToThisLease) return { name: this.name, token: revision, dirty: true, previousHolderDied: false, previousHolder: epoch.handedBy ?? null };
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
