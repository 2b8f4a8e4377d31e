/**
 * One FIFO mutex per key (a pool name): calls for the same key run one after another, in arrival
 * order; calls for different keys run side by side. In memory only: a crash drops every queue,
 * and nothing on disk depends on it.
 */
import { Mutex } from '@thinfleet/engine';

/** Mutexes by key, made on first use and kept (one small object per pool name ever seen). */
export class KeyedMutex {
  private readonly mutexes = new Map<string, Mutex>();

  /** Runs `fn` once every earlier call for `key` has settled; the next one starts when it settles, even on error. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let mutex = this.mutexes.get(key);
    if (mutex === undefined) {
      mutex = new Mutex();
      this.mutexes.set(key, mutex);
    }
    return mutex.run(fn);
  }
}
