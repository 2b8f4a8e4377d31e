/**
 * The clock a cluster session counts its lease deadline on: monotonic milliseconds (never the
 * wall clock, which NTP or an operator may step) and timers. Tests pass a fake one.
 */
import { performance } from 'node:perf_hooks';

export interface SessionClock {
  /** Monotonic milliseconds since an arbitrary origin. */
  nowMs(): number;
  /** Runs `fn` once after `delayMs`; the returned function cancels it (idempotent). */
  after(delayMs: number, fn: () => void): () => void;
}

/** performance.now() and setTimeout. */
export const systemClock: SessionClock = {
  nowMs: () => performance.now(),
  after: (delayMs, fn) => {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
};
