/** A SessionClock whose time moves only when a test says so; due timers run in time order. */
import type { SessionClock } from '../../src/cluster/session-clock.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class FakeClock implements SessionClock {
  private now = 1_000;
  private seq = 0;
  private timers: Timer[] = [];

  nowMs(): number {
    return this.now;
  }

  after(delayMs: number, fn: () => void): () => void {
    const timer: Timer = { at: this.now + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way (also those they set). */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.now = end;
  }

  /** In how many milliseconds each waiting timer falls due, soonest first, for assertions. */
  dueInMs(): number[] {
    return this.timers
      .filter((t) => !t.cancelled)
      .map((t) => t.at - this.now)
      .sort((a, b) => a - b);
  }

  /** Timers waiting, for assertions. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
