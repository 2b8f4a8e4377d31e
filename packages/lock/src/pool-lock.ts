/**
 * One pool's lock, as seen by one session: take -> {token, dirty}, release, contention.
 *
 * take: the session's queue key `q/<lease>` is created (bound to the lease) and gets a create
 * revision; the key with the lowest create revision holds the lock. A waiter watches only the key
 * just before its own (FIFO, no herd) and tries the grant when it is gone. The grant is one etcd
 * transaction: if our queue key still has its create revision and no queue key is older, write
 * the epoch `{holder, lease, released: false}` and return its previous value. The grant's
 * revision is the token (strictly increasing across grants, so agents can refuse stale ones);
 * the lock is dirty unless the previous epoch write is this lock's own last release (a restart or
 * a lost lease starts with no last release, so dirty is never a false negative) or a grant to this
 * same lease that was never released (a resumed session taking its lock again). A previous
 * epoch with `released: false` from another lease means its holder died holding the lock: the
 * grant waits the session's lock delay before returning.
 *
 * release: one transaction deletes our queue key and writes the epoch `{released: true}`; its
 * revision is remembered as this lock's last release. Hand-over: when the holder knows who queued
 * first behind it (its QueueView, from the queue at the grant and its watch on the queue), the
 * same transaction writes that session's grant instead, `{holder: next, released: false,
 * handedBy: us}`, if the next session's queue key still has its create revision (else it falls
 * back to `released: true`). A waiter watches the epoch as well as its predecessor: a hand-over to
 * its lease is its grant (token = that revision, dirty), so a hand-over costs the release's round
 * trip and one watch event, not a second transaction. A waiter that leaves before the hand-over
 * fails the check; one that dies after it holds the lock like any holder that dies (its lease
 * expires, the next grant waits the lock delay). A lazy release with no waiter keeps the
 * lock in etcd (state `lazy`): the next local take is answered at once with the same token and
 * dirty = false (no one else can have held it), and the first waiter that queues makes the
 * release real, though not before `minHoldMs` after the grant, so two busy nodes do not
 * ping-pong the pool.
 *
 * Crash story: every state lives in etcd. A node that dies holding the lock leaves its queue key
 * until the lease expires (then the next waiter is granted, after the lock delay) and an epoch
 * saying it never released (so the next holder knows it died and its view is dirty).
 */
import { EventEmitter } from 'node:events';
import { ExponentialBackoff, handleAll, noJitterGenerator, retry } from 'cockatiel';
import type { Watcher } from 'etcd3';
import { LockError } from './lock-error.js';
import { lockKeys, type LockKeys } from './lock-keys.js';
import type { LockSession } from './lock-session.js';
import { LockTransactions, type LockGrant } from './lock-transactions.js';
import { QueueView } from './queue-view.js';

export type { LockGrant };

export type PoolLockState = 'idle' | 'queued' | 'held' | 'lazy' | 'releasing' | 'lost';

export interface PoolLockEvents {
  /** A waiter queued behind the holder; the argument is the number waiting. */
  contention: [number];
  /** The lock (the whole session) is lost: stop writing to the pool now. */
  lost: [LockError];
  /**
   * A take is queued behind another session and now watches the queue key just before its own:
   * from here the predecessor's release or expiry reaches it. Emitted once per watch set up (a
   * take may set up several as predecessors leave). For tests and diagnostics; nothing to do.
   */
  waiting: [];
  /**
   * The holder's watch on the queue is up (once per grant): from here waiters are reported as
   * `contention` and a release hands the lock to the first of them. For tests and diagnostics.
   */
  holding: [];
}

/** Retries of a queue entry's withdrawal while etcd does not answer: 50 ms, doubling to 1 s, without end. */
const withdrawRetry = retry(handleAll, { maxAttempts: Infinity, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000, generator: noJitterGenerator }) });

export class PoolLock extends EventEmitter<PoolLockEvents> {
  private state: PoolLockState = 'idle';
  private readonly keys: LockKeys;
  private readonly queueKey: Buffer;
  private readonly txns: LockTransactions;
  /** Our queue key's create revision while queued or held. */
  private myRevision: bigint | null = null;
  /** The revision of this lock's last release by this session (null: none yet). */
  private lastRelease: bigint | null = null;
  private grant: LockGrant | null = null;
  private watchers: Watcher[] = [];
  /** While held: who queued behind us, for the release's hand-over (null before the grant). */
  private queueView: QueueView | null = null;
  private waiting: ((err: LockError) => void) | null = null;
  private contendedBy = 0;
  private grantedAtMs = 0;
  private minHoldMs = 0;
  private lazyTimer: NodeJS.Timeout | null = null;
  /** The release transaction in progress: a take waits for it, then queues afresh. */
  private releasing: Promise<boolean> | null = null;
  /** A failed take's queue entry still being withdrawn in the background: the next take waits. */
  private withdrawing: Promise<void> | null = null;

  constructor(
    private readonly session: LockSession,
    readonly name: string,
  ) {
    super();
    this.keys = lockKeys(session.prefix, name);
    this.queueKey = this.keys.queueKey(session.leaseHex);
    this.txns = new LockTransactions(session, name, this.keys, this.queueKey);
  }

  get current(): PoolLockState {
    return this.state;
  }

  /** The grant while held and the session's deadline has not passed, else null. */
  get held(): LockGrant | null {
    return this.state === 'held' && this.session.now() < this.session.deadlineMs ? this.grant : null;
  }

  /** The number of waiters seen behind the holder since the grant (0 when none or not held). */
  get contended(): number {
    return this.state === 'held' ? this.contendedBy : 0;
  }

  /**
   * Takes the lock, waiting in FIFO order behind earlier takers.
   *
   * `whileDelayed` is called when the grant finds that the previous holder died, as the lock
   * delay starts, and runs during it: take resolves once the delay has passed AND it settled
   * (a rejection is ignored). For work that must precede the grant's use but needs no lock (the
   * coordinator's was-active record): it overlaps the delay instead of following it. It must not
   * touch the pool: the grant is not the caller's until take resolves.
   * @throws LockError ALREADY_HELD (this session is taking or holds it), LOST, CLOSED, ABORTED
   *   (the signal fired: the queue entry is withdrawn), ETCD
   */
  async take(options: { signal?: AbortSignal; whileDelayed?: (grant: LockGrant) => Promise<unknown> } = {}): Promise<LockGrant> {
    while (this.releasing !== null) await this.releasing.catch(() => false);
    if (this.withdrawing !== null) await this.withdrawing;
    this.session.requireAlive();
    if (this.state === 'queued' || this.state === 'held') throw new LockError('ALREADY_HELD', `lock ${this.name} is already ${this.state} by this session`);
    if (this.state === 'lost') throw new LockError('LOST', `lock ${this.name} was lost with its session`);
    options.signal?.throwIfAborted();
    if (this.state === 'lazy') {
      this.cancelLazyRelease();
      this.state = 'held';
      this.grant = { ...this.grant!, dirty: false, previousHolderDied: false, previousHolder: this.session.nodeId };
      return this.grant;
    }
    this.state = 'queued';
    this.contendedBy = 0;
    this.queueView = null;
    try {
      const first = await this.txns.enqueue(this.lastRelease);
      this.myRevision = first.myRevision;
      let grant = first.grant;
      // The fast path found the queue empty at the grant: nothing to read for the queue view.
      const queueWasEmpty = grant !== null;
      while (grant === null) {
        const handed = await this.waitForPredecessor(options.signal);
        options.signal?.throwIfAborted();
        grant = handed ?? (await this.txns.tryGrant(this.myRevision, this.lastRelease));
      }
      if (grant.previousHolderDied) {
        const alongside = options.whileDelayed?.(grant).catch(() => {});
        await this.sleep(this.session.lockDelayMs, options.signal);
        await alongside;
      }
      this.session.requireAlive();
      this.grant = grant;
      this.grantedAtMs = this.session.now();
      this.state = 'held';
      // The watch starts at the grant's revision + 1, so nothing is missed while it is set up.
      void this.watchWhileHeld(this.myRevision, queueWasEmpty);
      return grant;
    } catch (err) {
      await this.abandon();
      if (err instanceof LockError) throw err;
      if (options.signal?.aborted) throw new LockError('ABORTED', `take of lock ${this.name} aborted`, { cause: err });
      throw new LockError('ETCD', `take of lock ${this.name}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Waits until the queue key just before ours is deleted (or none is left): resolves null, and
   * the caller tries the grant. Resolves the grant itself when the holder hands the lock to this
   * session (an epoch write naming our lease, seen by a watch on the epoch from the same revision).
   */
  private async waitForPredecessor(signal: AbortSignal | undefined): Promise<LockGrant | null> {
    const my = this.myRevision!;
    const { before, readAt, handed } = await this.txns.predecessor(my);
    if (handed !== null) return handed;
    if (before === null) return null;
    const from = (readAt + 1n).toString();
    const watchers: Watcher[] = [];
    let onAbort: (() => void) | null = null;
    try {
      watchers.push(await this.session.etcd.watch().key(before).startRevision(from).create());
      watchers.push(await this.session.etcd.watch().key(this.keys.epoch).startRevision(from).only('put').create());
      const [predecessor, epoch] = watchers as [Watcher, Watcher];
      const ended = new Promise<LockGrant | null>((resolve, reject) => {
        this.waiting = reject;
        onAbort = () => reject(new LockError('ABORTED', `take of lock ${this.name} aborted`));
        signal?.addEventListener('abort', onAbort, { once: true });
        if (signal?.aborted) onAbort(); // aborted while the watches were being set up
        // A release that hands over deletes the predecessor and writes our grant at one revision,
        // and the two watches' events come in either order. So on the delete, read the epoch
        // (a read, not the grant's write) unless its event came first: a hand-over to us is the
        // grant; anything else sends the caller to the grant transaction.
        predecessor.on('delete', () => {
          this.txns.epochNow().then((kv) => resolve(kv === null ? null : this.txns.handedGrant(kv.value, BigInt(kv.mod_revision), my)), reject);
        });
        epoch.on('put', (kv) => {
          const grant = this.txns.handedGrant(kv.value, BigInt(kv.mod_revision), my);
          if (grant !== null) resolve(grant);
        });
        for (const w of watchers) w.on('error', (err) => reject(new LockError('ETCD', `watch of lock ${this.name}: ${err.message}`, { cause: err })));
      });
      this.emit('waiting');
      return await ended;
    } finally {
      this.waiting = null;
      if (onAbort !== null) signal?.removeEventListener('abort', onAbort);
      // Not awaited: each cancel is one more round trip, and the grant (or the grant transaction
      // that follows) does not depend on it; a late event only settles a settled promise.
      for (const w of watchers) void w.cancel().catch(() => {});
    }
  }

  /**
   * While held: count waiters that queue behind us, and notice our own key disappearing. The
   * watch replays everything from the grant on; a watch that comes up after the lock was
   * released again is cancelled at once. A watch that cannot be made is retried.
   */
  private async watchWhileHeld(my: bigint, queueWasEmpty: boolean): Promise<void> {
    const token = this.grant!.token;
    const current = (): boolean => (this.state === 'held' || this.state === 'lazy') && this.myRevision === my;
    const view = new QueueView(my);
    let queue: Watcher;
    try {
      // The queue at the grant (read only when it may hold waiters), then its changes from there.
      view.start(queueWasEmpty ? [] : await this.txns.queueAt(token));
      queue = await this.session.etcd
        .watch()
        .prefix(this.keys.queuePrefix)
        .startRevision((token + 1n).toString())
        .create();
    } catch {
      if (current() && this.session.alive) setTimeout(() => void this.watchWhileHeld(my, queueWasEmpty), 200).unref();
      return;
    }
    if (!current()) {
      await queue.cancel().catch(() => {});
      return;
    }
    this.queueView = view;
    this.watchers.push(queue);
    queue.on('put', (entry) => {
      view.put(entry);
      if (!current() || BigInt(entry.create_revision) <= my || entry.version !== '1') return;
      this.contendedBy += 1;
      if (this.state === 'lazy') this.scheduleLazyRelease();
      else this.emit('contention', this.contendedBy);
    });
    queue.on('delete', (entry) => {
      view.delete(entry.key);
      if (current() && Buffer.compare(entry.key, this.queueKey) === 0) this.queueKeyDeleted();
    });
    this.emit('holding');
  }

  private queueKeyDeleted(): void {
    this.session.lose(new LockError('LOST', `lock ${this.name}: this session's queue key was deleted (lease expired or revoked)`));
  }

  /** The number of sessions queued behind this one (asks etcd). */
  async waiters(): Promise<number> {
    const my = this.myRevision;
    if (my === null) return 0;
    return this.txns.waitersAfter(my);
  }

  /**
   * Releases the lock: the next waiter is granted it, with dirty = true. Resolves true when it
   * released a held lock, false when there was nothing to release (idempotent). With `lazy`, and
   * no one waiting, the lock stays held in etcd until a waiter appears (see the module comment).
   * @throws LockError ETCD when etcd fails (the lock may still be held: retry or let the lease go)
   */
  async release(options: { lazy?: boolean; minHoldMs?: number } = {}): Promise<boolean> {
    if (this.state !== 'held') return false;
    if (options.lazy && (await this.waiters()) === 0 && this.state === 'held') {
      this.state = 'lazy';
      this.minHoldMs = options.minHoldMs ?? 0;
      return true;
    }
    return this.releaseNow();
  }

  private scheduleLazyRelease(): void {
    if (this.lazyTimer !== null) return;
    const waitMs = Math.max(0, this.grantedAtMs + this.minHoldMs - this.session.now());
    this.lazyTimer = setTimeout(() => {
      this.lazyTimer = null;
      if (this.state === 'lazy') void this.releaseNow().catch(() => this.scheduleLazyRelease());
    }, waitMs);
  }

  private cancelLazyRelease(): void {
    if (this.lazyTimer !== null) clearTimeout(this.lazyTimer);
    this.lazyTimer = null;
  }

  /** Releases for real; a take meanwhile waits for it (state `releasing`). */
  private async releaseNow(): Promise<boolean> {
    const before = this.state;
    this.cancelLazyRelease();
    this.state = 'releasing';
    this.releasing = this.releaseTransaction(before);
    try {
      return await this.releasing;
    } finally {
      this.releasing = null;
    }
  }

  private async releaseTransaction(before: PoolLockState): Promise<boolean> {
    const my = this.myRevision!;
    // The watches ignore our own delete: the state is `releasing` until the answer is in.
    let response;
    try {
      response = await this.txns.release(my, this.queueView?.next() ?? null);
    } catch (err) {
      // Still held, as far as we know; the watches go on.
      if (this.state === 'releasing') this.state = before;
      throw new LockError('ETCD', `release of lock ${this.name}: ${(err as Error).message}`, { cause: err });
    }
    void this.stopWatching();
    this.queueView = null;
    if (this.state === 'lost') return false;
    if (!response.succeeded) {
      this.state = 'lost';
      return false;
    }
    // A hand-over's revision is also the next holder's grant: another session held the lock from
    // it on, so no later epoch may look like our own last release (the next take is dirty).
    this.lastRelease = response.handedOver ? null : response.revision;
    this.state = 'idle';
    this.myRevision = null;
    this.grant = null;
    return true;
  }

  /**
   * Withdraws our queue entry after a failed or aborted take: a left-over entry, bound to a live
   * lease, would block every later waiter. The entry is deleted even when the take never learned
   * its revision (the enqueue's answer was lost, though etcd may have applied it). One attempt is
   * awaited; if it fails, it is retried in the background until it succeeds or the session ends,
   * and the next take waits for it first.
   */
  private async abandon(): Promise<void> {
    const my = this.myRevision;
    await this.stopWatching();
    if (this.state !== 'lost') this.state = 'idle';
    this.myRevision = null;
    if (!this.session.alive) return;
    const withdraw = (): Promise<void> => this.txns.withdraw(my);
    try {
      await withdraw();
    } catch {
      // etcd unreachable: again after 50 ms, doubling to 1 s, until it succeeds or the session ends.
      this.withdrawing = withdrawRetry
        .execute(async () => {
          if (this.session.alive) await withdraw();
        })
        .catch(() => {})
        .finally(() => {
          this.withdrawing = null;
        });
    }
  }

  private async stopWatching(): Promise<void> {
    const watchers = this.watchers.splice(0);
    await Promise.all(watchers.map((w) => w.cancel().catch(() => {})));
  }

  private sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        resolve();
      }, ms);
      this.waiting = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new LockError('ABORTED', `take of lock ${this.name} aborted`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
    });
  }

  /** Called by the session when it is lost or closed. */
  sessionLost(err: LockError): void {
    const wasActive = this.state === 'held' || this.state === 'queued' || this.state === 'releasing';
    this.cancelLazyRelease();
    this.state = 'lost';
    this.waiting?.(err);
    void this.stopWatching();
    if (wasActive) this.emit('lost', err);
  }
}
