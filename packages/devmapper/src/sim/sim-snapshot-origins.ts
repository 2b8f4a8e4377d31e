/**
 * The simulated kernel's list of snapshots per origin device (the kernel's `_origins` hash), with
 * what it decides: which snapshots an origin write copies chunks into, which table takes over a
 * snapshot's exception store when a table is reloaded (handover), and one lock per origin under
 * which every snapshot I/O, copy-out and merge step runs (the kernel's pending exceptions and
 * chunk tracking, made simple). In memory; SimKernel rebuilds it from the tables.
 */
import { DmError } from '../dm-error.js';
import { SECTOR_BYTES } from '../units.js';
import type { SimSnapshot } from './sim-snapshot.js';

/** The split boundary of an origin without snapshots: rounddown_pow_of_two(UINT_MAX) sectors. */
export const NO_SNAPSHOT_SPLIT_SECTORS = 2 ** 31;

/** Snapshots registered by origin device. */
export class SnapshotOrigins {
  private readonly byOrigin = new Map<string, SimSnapshot[]>();
  private readonly locks = new Map<string, Promise<void>>();

  /** Runs `fn` alone among the I/O on origin `originDev` (a FIFO lock). */
  async locked<T>(originDev: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(originDev) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    this.locks.set(originDev, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(originDev) === tail) this.locks.delete(originDev);
    }
  }

  /** The snapshots of `originDev`. */
  of(originDev: string): readonly SimSnapshot[] {
    return this.byOrigin.get(originDev) ?? [];
  }

  /** The kernel's __find_snapshots_sharing_cow: the active (`src`) and inactive (`dest`) targets on `snap`'s COW device, and any merging target of its origin. */
  private sharing(snap: SimSnapshot): { count: number; src: SimSnapshot | null; dest: SimSnapshot | null; merge: SimSnapshot | null } {
    let count = 0;
    let src: SimSnapshot | null = null;
    let dest: SimSnapshot | null = null;
    let merge: SimSnapshot | null = null;
    for (const s of this.of(snap.originDev)) {
      if (s.isMerge) merge = s;
      if (s.cowDev !== snap.cowDev) continue;
      if (s.active) src = s;
      else dest = s;
      count++;
    }
    return { count, src, dest, merge };
  }

  /**
   * Registers a new target, checking the handover rules as the kernel's snapshot constructor does.
   * @returns true when `snap` takes over an active target's store at its resume (it reads no store of its own)
   * @throws DmError EINVAL for a second table waiting on one COW device, a second merge of one origin, or a merge of a transient store
   */
  register(snap: SimSnapshot): boolean {
    const { count, src, dest, merge } = this.sharing(snap);
    const invalid = (why: string): never => {
      throw new DmError('EINVAL', 'DM_TABLE_LOAD', snap.owner, why);
    };
    if (count === 2 || dest !== null) invalid('snapshot cow pairing for exception table handover failed');
    const handover = src !== null;
    if (handover && snap.isMerge) {
      if (merge !== null) invalid('a snapshot is already merging');
      if (src.store?.kind === 'N') invalid('snapshot exception store does not support snapshot-merge');
    }
    this.byOrigin.set(snap.originDev, [...this.of(snap.originDev), snap]);
    return handover;
  }

  /** Forgets a target whose table is gone; a handover it was the source of is cancelled (its destination becomes invalid). */
  unregister(snap: SimSnapshot): void {
    const { src, dest } = this.sharing(snap);
    if (src === snap && dest !== null) dest.valid = false;
    const rest = this.of(snap.originDev).filter((s) => s !== snap);
    if (rest.length === 0) this.byOrigin.delete(snap.originDev);
    else this.byOrigin.set(snap.originDev, rest);
  }

  /** Every registered target, for SimKernel.collect. */
  all(): SimSnapshot[] {
    return [...this.byOrigin.values()].flat();
  }

  /**
   * The kernel's snapshot_preresume: a target waiting for a handover may resume only once the
   * source's device is suspended, and the source may not resume before it.
   * @throws DmError EINVAL
   */
  checkResume(snap: SimSnapshot): void {
    const { src, dest } = this.sharing(snap);
    if (src === null || dest === null) return;
    if (snap === src) throw new DmError('EINVAL', 'DM_DEV_SUSPEND', snap.owner, 'unable to resume snapshot source until handover completes');
    if (!src.io.ownerSuspended()) throw new DmError('EINVAL', 'DM_DEV_SUSPEND', snap.owner, 'unable to perform snapshot handover until source is suspended');
  }

  /** The kernel's snapshot_resume: takes the store over from the source if one waits, then marks `snap` active. */
  resume(snap: SimSnapshot): void {
    const { src, dest } = this.sharing(snap);
    if (src !== null && dest === snap) {
      snap.store = src.store;
      snap.valid = src.valid;
      snap.overflowed = src.overflowed;
      src.store = null;
      src.valid = false;
    }
    snap.active = true;
  }

  /**
   * The kernel's get_origin_minimum_chunksize: the smallest chunk of the snapshots registered on
   * `originDev` (2^31 sectors when there are none). A snapshot-origin target takes it at its
   * resume and splits writes there.
   */
  minimumChunkSectors(originDev: string): number {
    const sizes = this.of(originDev)
      .map((s) => s.chunkSectors)
      .filter((c) => c > 0);
    return sizes.length === 0 ? NO_SNAPSHOT_SPLIT_SECTORS : Math.min(...sizes);
  }

  /**
   * What one write piece of a snapshot-origin target does first (the kernel's __origin_write):
   * each active, valid, non-merging snapshot copies out the chunk holding the piece's first
   * sector. The target splits writes at its split boundary, so a piece covers one chunk, unless
   * the boundary is stale (the origin was resumed before its snapshots existed): then only the
   * first chunk of the piece is copied, as the kernel does. Call under the origin's lock.
   */
  async copyOutAt(originDev: string, offsetBytes: number): Promise<void> {
    for (const snap of this.of(originDev)) {
      if (snap.chunkSectors > 0) await snap.copyOut(Math.floor(offsetBytes / (snap.chunkSectors * SECTOR_BYTES)));
    }
  }

  /**
   * What a write to the origin at a byte range does first: each active, valid, non-merging
   * snapshot of `originDev` copies out the chunks it covers. Call under the origin's lock.
   */
  async copyOut(originDev: string, offsetBytes: number, lengthBytes: number): Promise<void> {
    for (const snap of this.of(originDev)) {
      const chunkBytes = snap.chunkSectors * SECTOR_BYTES;
      if (chunkBytes === 0) continue;
      const first = Math.floor(offsetBytes / chunkBytes);
      const last = Math.floor((offsetBytes + lengthBytes - 1) / chunkBytes);
      for (let chunk = first; chunk <= last; chunk++) await snap.copyOut(chunk);
    }
  }
}
