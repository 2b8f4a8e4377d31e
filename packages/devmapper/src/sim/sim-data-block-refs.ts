/**
 * The simulated thin pool's data block reference counts: how many thin devices map each data
 * block (a snapshot shares its origin's blocks), and where the search for a free block starts.
 * In memory only; rebuilt from the committed mappings whenever the pool (re)reads its state.
 */
import type { Mapping } from './sim-pool-state.js';

/** Reference counts of data blocks; a block with no count is free. */
export class DataBlockRefs {
  private readonly counts = new Map<number, number>();
  private nextFreeHint = 0;

  /** Forgets every count and counts the blocks of `devices` afresh. The free-search hint stays. */
  rebuild(devices: Iterable<Mapping>): void {
    this.counts.clear();
    for (const map of devices) this.share(map);
  }

  /** Adds one reference to every data block `map` maps (a snapshot of it now shares them). */
  share(map: Mapping): void {
    for (const db of map.values()) this.counts.set(db, (this.counts.get(db) ?? 0) + 1);
  }

  /** Drops one reference to `db`; at none the block is free, and the next search starts no later than it. */
  release(db: number): void {
    const n = (this.counts.get(db) ?? 0) - 1;
    if (n > 0) this.counts.set(db, n);
    else {
      this.counts.delete(db);
      if (db < this.nextFreeHint) this.nextFreeHint = db;
    }
  }

  /** How many data blocks are in use. */
  get used(): number {
    return this.counts.size;
  }

  /** True when exactly one thin device maps `db` (a write may change it in place). */
  isExclusive(db: number): boolean {
    return this.counts.get(db) === 1;
  }

  /**
   * The first free block from the hint up to `dataBlocks`, or null when there is none there (the
   * hint then goes back to block 0, so the next search covers the whole pool).
   */
  findFree(dataBlocks: number): number | null {
    for (let db = this.nextFreeHint; db < dataBlocks; db++) {
      if (!this.counts.has(db)) return db;
    }
    this.nextFreeHint = 0;
    return null;
  }

  /** Takes free block `db` (from findFree) with one reference; the next search starts after it. */
  take(db: number): void {
    this.counts.set(db, 1);
    this.nextFreeHint = db + 1;
  }
}
