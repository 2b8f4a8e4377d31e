/**
 * A node's session with the lock service: one etcd lease, kept alive by this class, and the
 * client-side deadline that fencing relies on.
 *
 * The deadline is `send time of the last acknowledged keepalive + TTL - margin`, on a monotonic
 * clock. etcd renews the lease when it processes the keepalive, which is after we sent it, so the
 * server's expiry is never earlier than our deadline + margin: a holder that stops writing at its
 * deadline has stopped before anyone else can be granted its locks. When the deadline passes
 * without a renewal, or etcd says the lease is gone, the session is lost: every lock it holds
 * emits `lost`, pending takes fail with LOST, and the session cannot be used again (open a new
 * one: its locks will be dirty, as they must be).
 *
 * Two ways to keep the lease alive: `keepalive: 'auto'` (the default) renews every TTL/3 from a
 * timer; `'external'` leaves it to the caller's `renew()` — the coordinator renews an agent's
 * lease when the agent's keepalive arrives on its stream, so a silent agent loses its lease.
 * `resume` adopts a lease an earlier session granted (a coordinator taking over an agent's stream
 * after a reconnect): the lease keeps its queue keys, so the locks keep their place. Only the node
 * the lease was granted to (same node id and credential, session-owner.ts) may resume it.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { NAME_PATTERN, NAME_RULE, quoted } from '@thinfleet/units';
import type { Etcd3, Watcher } from 'etcd3';
import { LockError } from './lock-error.js';
import { PoolLock } from './pool-lock.js';
import { checkSessionOwner, putSessionOwner, sessionOwnerKey, type ResumeRefusal } from './session-owner.js';

export interface LockSessionOptions {
  /** The etcd client (the caller owns it and closes it after the session). */
  readonly etcd: Etcd3;
  /** This node's id, recorded as the holder in each lock's epoch. */
  readonly nodeId: string;
  /** Key prefix of every lock (default `thinfleet/locks/`). */
  readonly prefix?: string;
  /**
   * Lease TTL of a new lease (default 10 s); a dead holder's locks are free this long after its
   * last renewal. A resumed lease keeps the TTL it was granted with (see `LockSession.ttlSeconds`).
   */
  readonly ttlSeconds?: number;
  /** The session counts itself lost this long before etcd could expire its lease (default 2000 ms). */
  readonly marginMs?: number;
  /** A grant that finds the previous holder never released waits this long first (default 1000 ms). */
  readonly lockDelayMs?: number;
  /** Who renews the lease: a timer here (`auto`, default) or the caller's renew() (`external`). */
  readonly keepalive?: 'auto' | 'external';
  /** A live lease (id in hex) to adopt instead of granting a new one; see the module comment. */
  readonly resume?: string;
  /**
   * The node's credential (e.g. its client certificate's SHA-256 fingerprint; '' for none),
   * recorded with the lease beside `nodeId` (session-owner.ts). `resume` adopts only a lease
   * recorded with the same node id and credential. Default ''.
   */
  readonly credential?: string;
  /** Monotonic clock in ms (tests). */
  readonly now?: () => number;
}

/** A lease with the time it has left. */
interface LeaseAnswer {
  readonly ttlSeconds: number;
}

export interface LockSessionEvents {
  lost: [LockError];
}

export class LockSession extends EventEmitter<LockSessionEvents> {
  readonly nodeId: string;
  readonly prefix: string;
  /**
   * The TTL etcd renews this lease with: the one it was granted with, which for a resumed lease
   * may differ from `options.ttlSeconds` (another coordinator granted it). The deadline counts
   * with this one, and so must whoever the session's holder reports it to.
   */
  readonly ttlSeconds: number;
  readonly marginMs: number;
  readonly lockDelayMs: number;
  readonly now: () => number;
  /** The lease id in hex: this session's queue keys end with it. */
  readonly leaseHex: string;
  private deadline: number;
  private lostError: LockError | null = null;
  private closed = false;
  private readonly locks = new Map<string, PoolLock>();
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  /** The watch on this lease's owner record (see `watchOwnerRecord`); null until it is up. */
  private ownerWatch: Watcher | null = null;
  /** True when this session adopted an existing lease (`resume`). */
  readonly resumed: boolean;
  /** Why `resume` was not honoured (null when resumed or not asked). */
  readonly resumeRefused: ResumeRefusal | null;

  private constructor(
    readonly etcd: Etcd3,
    readonly leaseId: string,
    grantedAt: number,
    resumed: boolean,
    resumeRefused: ResumeRefusal | null,
    ttlSeconds: number,
    options: LockSessionOptions,
  ) {
    super();
    this.nodeId = options.nodeId;
    this.prefix = options.prefix ?? 'thinfleet/locks/';
    this.ttlSeconds = ttlSeconds;
    this.marginMs = options.marginMs ?? 2000;
    this.lockDelayMs = options.lockDelayMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
    this.leaseHex = BigInt(leaseId).toString(16);
    this.deadline = grantedAt + this.ttlSeconds * 1000 - this.marginMs;
    this.resumed = resumed;
    this.resumeRefused = resumeRefused;
  }

  /**
   * Grants a lease (or adopts `resume` while etcd still has it and it was recorded for this node
   * id and credential) and, unless `keepalive` is `external`, starts keeping it alive. A lease to
   * resume that etcd no longer has, or that belongs to another node or credential, is not an
   * error: a new one is granted, `resumed` is false (its locks are dirty, as they must be) and
   * `resumeRefused` says why. Another node's lease is not renewed by the attempt.
   * @throws LockError ETCD when etcd cannot grant one; RangeError for a margin that leaves no time
   */
  static async open(options: LockSessionOptions): Promise<LockSession> {
    const ttlSeconds = options.ttlSeconds ?? 10;
    const marginMs = options.marginMs ?? 2000;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 2) throw new RangeError(`ttlSeconds must be a whole number >= 2, got ${ttlSeconds}`);
    if (!(marginMs >= 0 && marginMs < (ttlSeconds * 1000) / 2)) throw new RangeError(`marginMs must be from 0 to half the TTL, got ${marginMs}`);
    const now = options.now ?? (() => performance.now());
    const sentAt = now();
    const leases = options.etcd.leaseClient;
    const prefix = options.prefix ?? 'thinfleet/locks/';
    const owner = { nodeId: options.nodeId, credential: options.credential ?? '' };
    let leaseId: string | null = null;
    let resumed = false;
    let refused: ResumeRefusal | null = null;
    let grantedTtlSeconds = ttlSeconds;
    try {
      if (options.resume !== undefined) {
        if (!/^[0-9a-f]{1,16}$/.test(options.resume)) throw new RangeError(`resume must be a lease id in hex, got ${quoted(options.resume)}`);
        const id = BigInt(`0x${options.resume}`).toString();
        // Whose lease it is, before anything touches it: another node's lease is not kept alive.
        refused = await checkSessionOwner(options.etcd, prefix, options.resume, owner);
        if (refused === null) {
          const answer = await leases.leaseKeepAlive().then((stream) => keepaliveOn(stream, id));
          if (answer.ttlSeconds > 0) {
            leaseId = id;
            resumed = true;
            // A renewal restores the TTL the lease was granted with: that, not ours, is what etcd keeps.
            grantedTtlSeconds = answer.ttlSeconds;
          } else {
            refused = 'gone';
          }
        }
      }
      if (leaseId === null) {
        leaseId = (await leases.leaseGrant({ TTL: ttlSeconds })).ID;
        const granted = leaseId;
        await putSessionOwner(options.etcd, prefix, granted, owner).catch(async (err: unknown) => {
          await leases.leaseRevoke({ ID: granted }).catch(() => {});
          throw err;
        });
      }
    } catch (err) {
      if (err instanceof RangeError) throw err;
      throw new LockError('ETCD', `cannot grant a lease: ${(err as Error).message}`, { cause: err });
    }
    const session = new LockSession(options.etcd, leaseId, sentAt, resumed, refused, grantedTtlSeconds, options);
    // The cadence counts from the grant's request, like the deadline: the time open() spent (the
    // owner record's write included) does not eat into the first renewal's margin.
    if ((options.keepalive ?? 'auto') === 'auto') session.scheduleKeepalive(session.keepaliveIntervalMs() - (now() - sentAt));
    session.armDeadline();
    void session.watchOwnerRecord();
    return session;
  }

  /**
   * Watches this lease's owner record for the session's life. Two reasons: its deletion means
   * etcd expired or revoked the lease (the session is lost at once, held lock or not), and it
   * keeps the etcd client's watch stream open. etcd3 closes that shared stream when its last
   * watcher ends and opens a new one for the next watch; every take starts the holder's queue
   * watch and every release ends it, so without a watch that outlives them an uncontended
   * take+release opened and closed a gRPC stream each time, and that churn (measured with
   * bench:lock) made take and release ~2x a bare put and slowed every other call on the client.
   * Not awaited by `open()`: a watch that cannot be made only costs speed (the queue watches
   * still notice a lost lease), so it is not retried.
   */
  private async watchOwnerRecord(): Promise<void> {
    let watcher: Watcher;
    try {
      watcher = await this.etcd.watch().key(sessionOwnerKey(this.prefix, this.leaseHex)).only('delete').create();
    } catch {
      return;
    }
    if (!this.alive) {
      await watcher.cancel().catch(() => {});
      return;
    }
    this.ownerWatch = watcher;
    watcher.on('delete', () => this.lose(new LockError('LOST', `lease ${this.leaseHex} is gone from etcd (its owner record was deleted)`)));
  }

  /** Monotonic ms after which this session must not write to any pool it holds. */
  get deadlineMs(): number {
    return this.deadline;
  }

  /** False once lost or closed. */
  get alive(): boolean {
    return this.lostError === null && !this.closed;
  }

  /** The lock called `name` (one object per name per session). */
  lock(name: string): PoolLock {
    if (!NAME_PATTERN.test(name)) throw new RangeError(`lock name ${quoted(name)} ${NAME_RULE}`);
    let lock = this.locks.get(name);
    if (lock === undefined) {
      lock = new PoolLock(this, name);
      this.locks.set(name, lock);
    }
    return lock;
  }

  /** @throws LockError LOST or CLOSED when the session cannot be used */
  requireAlive(): void {
    if (this.lostError !== null) throw this.lostError;
    if (this.closed) throw new LockError('CLOSED', 'the lock session is closed');
  }

  private keepaliveIntervalMs(): number {
    return Math.max(200, Math.floor((this.ttlSeconds * 1000) / 3));
  }

  private scheduleKeepalive(delayMs: number): void {
    this.keepaliveTimer = setTimeout(() => void this.keepalive(), delayMs);
    this.keepaliveTimer.unref();
  }

  private async keepalive(): Promise<void> {
    if (!this.alive) return;
    try {
      await this.renew();
      this.scheduleKeepalive(this.keepaliveIntervalMs());
    } catch (err) {
      if (!this.alive) return;
      // Unreachable or slow etcd: try again soon; the deadline decides when we give up.
      if ((err as LockError).code === 'ETCD') this.scheduleKeepalive(Math.min(500, this.keepaliveIntervalMs()));
    }
  }

  /**
   * Renews the lease once and moves the deadline to this call's start + TTL - margin. Resolves to
   * the seconds etcd says the lease has left.
   * @throws LockError LOST when etcd says the lease is gone (the session is lost), CLOSED, or ETCD
   *   when etcd did not answer in time (the deadline stays where it was)
   */
  async renew(): Promise<number> {
    this.requireAlive();
    const sentAt = this.now();
    let answer: LeaseAnswer;
    try {
      const stream = await this.etcd.leaseClient.leaseKeepAlive({ deadline: new Date(Date.now() + this.keepaliveIntervalMs()) });
      answer = await keepaliveOn(stream, this.leaseId);
    } catch (err) {
      throw new LockError('ETCD', `lease ${this.leaseHex}: keepalive failed: ${(err as Error).message}`, { cause: err });
    }
    this.requireAlive();
    if (answer.ttlSeconds <= 0) {
      const err = new LockError('LOST', `lease ${this.leaseHex} is gone from etcd`);
      this.lose(err);
      throw err;
    }
    this.deadline = Math.max(this.deadline, sentAt + this.ttlSeconds * 1000 - this.marginMs);
    this.armDeadline();
    return answer.ttlSeconds;
  }

  private armDeadline(): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    const wait = Math.max(0, this.deadline - this.now());
    this.deadlineTimer = setTimeout(() => {
      if (this.alive && this.now() >= this.deadline) {
        this.lose(new LockError('LOST', `lease ${this.leaseHex}: no renewal acknowledged before the deadline (TTL ${this.ttlSeconds} s - margin ${this.marginMs} ms)`));
      } else if (this.alive) {
        this.armDeadline();
      }
    }, wait);
    this.deadlineTimer.unref();
  }

  /** Marks the session lost: every lock learns it at once. Idempotent. */
  lose(err: LockError): void {
    if (this.lostError !== null || this.closed) return;
    this.lostError = err;
    this.stopTimers();
    for (const lock of this.locks.values()) lock.sessionLost(err);
    this.emit('lost', err);
  }

  private stopTimers(): void {
    if (this.keepaliveTimer !== null) clearTimeout(this.keepaliveTimer);
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    const watcher = this.ownerWatch;
    this.ownerWatch = null;
    void watcher?.cancel().catch(() => {});
  }

  /**
   * Releases every held lock (each marked released, so the next holder skips the lock delay),
   * then revokes the lease. Idempotent; errors from etcd are swallowed after the attempt (the
   * lease then expires on its own).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.alive) {
      for (const lock of this.locks.values()) await lock.release().catch(() => false);
    }
    this.closed = true;
    this.stopTimers();
    for (const lock of this.locks.values()) lock.sessionLost(new LockError('CLOSED', 'the lock session is closed'));
    await this.etcd.leaseClient.leaseRevoke({ ID: this.leaseId }).catch(() => {});
  }

  /**
   * Ends this object without releasing or revoking anything: the lease and its queue keys stay in
   * etcd until they expire or another session resumes the lease. For a coordinator whose agent's
   * stream broke: the agent may reconnect (here or elsewhere) and resume. Idempotent.
   */
  detach(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    for (const lock of this.locks.values()) lock.sessionLost(new LockError('CLOSED', 'the lock session was detached from its lease'));
  }
}

/** One keepalive round trip on a fresh LeaseKeepAlive stream. */
function keepaliveOn(
  stream: { on(event: 'data', fn: (r: { TTL: string }) => void): unknown; on(event: 'error', fn: (e: Error) => void): unknown; write(req: { ID: string }): unknown; end(): unknown },
  id: string,
): Promise<LeaseAnswer> {
  return new Promise<LeaseAnswer>((resolve, reject) => {
    stream.on('data', (response) => resolve({ ttlSeconds: Number(response.TTL) }));
    stream.on('error', reject);
    stream.write({ ID: id });
  }).finally(() => stream.end());
}
