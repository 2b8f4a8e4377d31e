/**
 * The retries a cluster node keeps waiting per pool, on the session clock: at most one of each
 * kind per pool. Keyed by pool name and a typed kind (never by a composed string), so that a
 * pool's name cannot collide with another pool's timer.
 */
import type { SessionClock } from './session-clock.js';

/** `handover`: look at a contended pool again; `release`: send a failed Release again. */
export type PoolTimerKind = 'handover' | 'release';

/** Per-pool timers on a SessionClock, at most one per pool and kind. Not durable. */
export class PoolTimers {
  private readonly byPool = new Map<string, Map<PoolTimerKind, () => void>>();

  constructor(private readonly clock: SessionClock) {}

  /** True while a timer of `kind` waits for `pool`. */
  has(pool: string, kind: PoolTimerKind): boolean {
    return this.byPool.get(pool)?.has(kind) ?? false;
  }

  /**
   * Runs `fn` after `delayMs`, unless a timer of `kind` already waits for `pool` (then nothing
   * changes: idempotent). The timer is forgotten before `fn` runs, so `fn` may schedule the next.
   * Nothing survives a crash (the owner's start-up decides anew).
   * @returns whether a timer was set
   */
  schedule(pool: string, kind: PoolTimerKind, delayMs: number, fn: () => void): boolean {
    if (this.has(pool, kind)) return false;
    let kinds = this.byPool.get(pool);
    if (kinds === undefined) {
      kinds = new Map();
      this.byPool.set(pool, kinds);
    }
    const cancel = this.clock.after(delayMs, () => {
      this.forget(pool, kind);
      fn();
    });
    kinds.set(kind, cancel);
    return true;
  }

  /** Cancels every timer of `pool` (idempotent). */
  cancel(pool: string): void {
    const kinds = this.byPool.get(pool);
    if (kinds === undefined) return;
    this.byPool.delete(pool);
    for (const cancel of kinds.values()) cancel();
  }

  /** Cancels every timer of every pool (idempotent). */
  cancelAll(): void {
    for (const pool of [...this.byPool.keys()]) this.cancel(pool);
  }

  private forget(pool: string, kind: PoolTimerKind): void {
    const kinds = this.byPool.get(pool);
    kinds?.delete(kind);
    if (kinds?.size === 0) this.byPool.delete(pool);
  }
}
