/**
 * The agent's own view of its session's lease: the moment up to which no other host can be
 * granted a pool this host holds, counted on this host's monotonic clock.
 *
 * The coordinator renews the agent's etcd lease when a KeepAlive reaches it, which is after the
 * agent sent it; so `send time + TTL` is never later than the lease's real expiry. The margin
 * (from Welcome) covers what that bound does not: clock rate differences and the time the
 * agent needs to fence. Hence, for each acknowledged keepalive:
 *
 *     deadline = max(deadline, sentAt[seq] + ttl - margin)
 *
 * A new session starts with `helloSentAt + ttl - margin` (the coordinator grants the lease after
 * the Hello); a resumed one keeps its previous deadline until an acknowledgement moves it. This
 * class is pure arithmetic: no timers, no I/O.
 */
export class LeaseDeadline {
  private deadline = 0;
  private ttlMs = 0;
  private marginMs = 0;
  private helloAtMs: number | null = null;
  private readonly sentAt = new Map<number, number>();

  /** The deadline in monotonic ms; 0 when there is none (no session, or a resumed one never acknowledged). */
  get deadlineMs(): number {
    return this.deadline;
  }

  /** The lease's TTL from the last Welcome, in ms (0 before any). */
  get leaseTtlMs(): number {
    return this.ttlMs;
  }

  /** How often to send keepalives: a third of the TTL. */
  get keepAliveIntervalMs(): number {
    return Math.max(1, Math.floor(this.ttlMs / 3));
  }

  /**
   * How long a coordinator may take to answer (a Hello, a keepalive) before another is tried:
   * TTL/6, half the keepalive interval, so that a keepalive unanswered that long still leaves
   * time to resume elsewhere before the deadline the previous one set.
   */
  get answerWaitMs(): number {
    return Math.max(1, Math.floor(this.keepAliveIntervalMs / 2));
  }

  /** True while the deadline lies ahead of `nowMs`. */
  holds(nowMs: number): boolean {
    return nowMs < this.deadline;
  }

  /** A Hello went out on a new stream at `atMs`; keepalives sent on earlier streams will never be answered. */
  helloSent(atMs: number): void {
    this.helloAtMs = atMs;
    this.sentAt.clear();
  }

  /**
   * The Welcome arrived. A new session's deadline counts from the Hello; a resumed session keeps
   * the deadline it had (0 after a restart of the agent) until its first acknowledgement.
   * Returns the deadline.
   */
  welcome(ttlSeconds: number, marginMs: number, resumed: boolean): number {
    this.ttlMs = ttlSeconds * 1000;
    this.marginMs = marginMs;
    if (!resumed) this.deadline = this.helloAtMs === null ? 0 : Math.max(0, this.helloAtMs + this.ttlMs - this.marginMs);
    return this.deadline;
  }

  keepAliveSent(seq: number, atMs: number): void {
    this.sentAt.set(seq, atMs);
  }

  /**
   * KeepAliveAck{seq}: moves the deadline (never back). Keepalives older than `seq` are
   * forgotten. Returns false for a seq this stream never sent (ignored).
   */
  acked(seq: number): boolean {
    const at = this.sentAt.get(seq);
    if (at === undefined) return false;
    for (const s of this.sentAt.keys()) if (s <= seq) this.sentAt.delete(s);
    this.deadline = Math.max(this.deadline, at + this.ttlMs - this.marginMs);
    return true;
  }

  /**
   * The session is gone: nothing is held any more. The Hello's send time is kept: when the
   * Welcome of that very Hello says the old session was not resumed, the new session's deadline
   * still counts from it.
   */
  reset(): void {
    this.deadline = 0;
    this.sentAt.clear();
  }
}
