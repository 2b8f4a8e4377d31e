/**
 * Waiting for etcd keys to change instead of polling them: a set of etcd watches (one per key or
 * prefix) that wakes a waiter at the first put or delete. The router opens one while it waits
 * for a pool's owner or for a job's next host, and reads etcd again at each wake-up.
 *
 * Open the watches BEFORE reading what they guard: a change between the read and the wait then
 * still wakes the wait, so nothing is missed. Crash story: nothing is written; a coordinator that
 * dies leaves watches etcd drops with its connection.
 */
import type { Etcd3, Watcher } from 'etcd3';

/** What to watch: one key exactly, or every key under a prefix. */
export type WatchedKeys = { readonly key: string } | { readonly prefix: string };

/** The watches could not be set up in time: etcd does not answer. */
export class EtcdWatchTimeoutError extends Error {
  override readonly name = 'EtcdWatchTimeoutError';
}

/** A set of watches and the changes they saw since the last {@link KeyChanges.next}. */
export class KeyChanges {
  private changed = false;
  private wake: (() => void) | null = null;

  private constructor(private readonly watchers: readonly Watcher[]) {
    for (const watcher of watchers) {
      watcher.on('put', this.note);
      watcher.on('delete', this.note);
      // A watch that reconnected may have missed nothing (etcd resumes it), but reading again is cheap;
      // one that failed makes the next read fail with etcd's own error instead of waiting in vain.
      watcher.on('connected', this.note);
      watcher.on('error', this.note);
    }
  }

  /**
   * Opens one watch per entry of `keys` (full etcd keys, prefix included), from now on.
   * @throws EtcdWatchTimeoutError when they are not all set up by `untilMs` (the ones that were are cancelled);
   *   etcd's error when it refuses a watch
   */
  static async open(etcd: Etcd3, keys: readonly WatchedKeys[], untilMs: number): Promise<KeyChanges> {
    const watchers: Watcher[] = [];
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => {
          timedOut = true;
          reject(new EtcdWatchTimeoutError('etcd did not set up a watch in time'));
        },
        Math.max(0, untilMs - Date.now()),
      );
    });
    try {
      for (const watched of keys) {
        const builder = 'key' in watched ? etcd.watch().key(watched.key) : etcd.watch().prefix(watched.prefix);
        const creating = builder.create();
        // A watch set up only after the time ran out is cancelled when it comes.
        creating.then(
          (w) => (timedOut ? void w.cancel().catch(() => {}) : undefined),
          () => {},
        );
        watchers.push(await Promise.race([creating, timeout]));
      }
    } catch (err) {
      await Promise.all(watchers.map((w) => w.cancel().catch(() => {})));
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return new KeyChanges(watchers);
  }

  private readonly note = (): void => {
    this.changed = true;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  };

  /**
   * Resolves true at the first change since the previous call (at once when one came already),
   * false when `untilMs` (a Date.now() time) passes or `signal` aborts first. Not reentrant: one
   * waiter at a time.
   */
  next(untilMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.changed) {
      this.changed = false;
      return Promise.resolve(true);
    }
    if (signal?.aborted === true || Date.now() >= untilMs) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (changed: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.wake = null;
        if (changed) this.changed = false;
        resolve(changed);
      };
      const onAbort = (): void => done(false);
      const timer = setTimeout(() => done(false), untilMs - Date.now());
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = () => done(true);
    });
  }

  /** Cancels the watches. Idempotent; never rejects. */
  async close(): Promise<void> {
    this.wake?.();
    await Promise.all(this.watchers.map((w) => w.cancel().catch(() => {})));
  }
}
