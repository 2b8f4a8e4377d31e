/**
 * Counts the operations in progress, so shutdown can refuse new ones and wait for the rest:
 * an operation that started always finishes (or fails on its own), it is never cut off midway.
 */
import { AgentError } from './agent-error.js';

export class InFlight {
  private count = 0;
  private closing = false;
  private idle: Array<() => void> = [];

  /** Registers an operation; call the returned function when it settles. @throws AgentError SHUTTING_DOWN once closing */
  enter(): () => void {
    if (this.closing) throw new AgentError('SHUTTING_DOWN', 'the agent is shutting down and takes no new work');
    this.count++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.count--;
      if (this.count === 0) for (const wake of this.idle.splice(0)) wake();
    };
  }

  get size(): number {
    return this.count;
  }

  /** Refuses new operations; resolves true when the running ones have finished, false at the timeout. */
  async close(timeoutMs: number): Promise<boolean> {
    this.closing = true;
    if (this.count === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
