/**
 * Promises waiting for something to happen to a named device (its next dm event, its resume),
 * woken all at once. In memory only: a restarted process has no waiters.
 */

/** Waiters by device name. */
export class NamedWaiters {
  private readonly waiters = new Map<string, Array<() => void>>();

  /** A promise that settles at the next `wakeAll(name)`. */
  wait(name: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.waiters.get(name) ?? [];
      list.push(resolve);
      this.waiters.set(name, list);
    });
  }

  /** Settles every promise waiting on `name` now. Idempotent when there are none. */
  wakeAll(name: string): void {
    const list = this.waiters.get(name) ?? [];
    this.waiters.delete(name);
    for (const wake of list) wake();
  }

  /** How many promises wait on `name`. Reads only. */
  count(name: string): number {
    return this.waiters.get(name)?.length ?? 0;
  }
}
