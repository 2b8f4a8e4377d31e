/**
 * One simulated `snapshot` or `snapshot-merge` target: its exception store, its flags (valid,
 * overflowed, merge failed, active) and its I/O as the kernel's snapshot_map and
 * snapshot_merge_map do it. The origin side (copy-out on origin writes, handover between
 * tables, the lock per origin) is in sim-snapshot-origins.ts; the background merge in
 * sim-snapshot-merge.ts. I/O here runs under the origin's lock (the callers take it).
 */
import { DmError } from '../dm-error.js';
import { formatSnapshotStatus } from '../targets/snapshot-status.js';
import type { SnapshotStore } from '../targets/target.js';
import { SECTOR_BYTES } from '../units.js';
import type { CowIo, SimExceptionStore, TransientMemory } from './sim-snapshot-store.js';

/** What the snapshot reaches through the simulated kernel. */
export interface SnapshotIo {
  readonly cow: CowIo;
  readOrigin(offsetBytes: number, lengthBytes: number): Promise<Buffer>;
  writeOrigin(offsetBytes: number, data: Buffer): Promise<void>;
  originSizeBytes(): number;
  /** True while the device whose table holds this target is suspended. */
  ownerSuspended(): boolean;
  /** Raises a dm event on the owning device (the kernel's dm_table_event). */
  raiseEvent(): void;
  /** Saves kernel memory (kernel.json) after a change of flags or transient exceptions. */
  save(): void;
}

/** What kernel memory holds of a snapshot target beyond its table line (kept in kernel.json). */
export interface SnapshotMemory {
  readonly active: boolean;
  readonly valid: boolean;
  readonly overflowed: boolean;
  readonly mergeFailed: boolean;
  readonly transient: TransientMemory | null;
}

/** A snapshot or snapshot-merge target (see the module comment). */
export class SimSnapshot {
  /** Set at the first resume: only then do origin writes make exceptions in it. */
  active = false;
  valid = true;
  /** A `PO` snapshot whose own write found the COW device full: writes fail, reads work. */
  overflowed = false;
  mergeFailed = false;
  /** Called when the target's table is gone (stops its merge). */
  onDestroy: (() => void) | null = null;

  constructor(
    /** The dm device whose table holds the target. */
    readonly owner: string,
    readonly isMerge: boolean,
    /** The origin and COW devices as `major:minor`. */
    readonly originDev: string,
    readonly cowDev: string,
    readonly lengthSectors: number,
    /** The store word of the table (`PO`: this target reports Overflow). */
    readonly tableStore: SnapshotStore,
    readonly tableChunkSectors: number,
    /** Null while this target waits to take the store over from another (a table reload). */
    public store: SimExceptionStore | null,
    readonly io: SnapshotIo,
  ) {}

  /** The store's chunk size (0 while waiting for a handover, as the kernel shows it). */
  get chunkSectors(): number {
    return this.store?.chunkSectors ?? 0;
  }

  private get chunkBytes(): number {
    return this.chunkSectors * SECTOR_BYTES;
  }

  /** The table's parameters as the kernel prints them: the store's kind, and `PO` when this table asked for Overflow. */
  tableText(): string {
    const kind = this.store === null ? this.tableStore : this.store.kind === 'N' ? 'N' : this.tableStore === 'PO' ? 'PO' : 'P';
    return `${this.originDev} ${this.cowDev} ${kind} ${this.chunkSectors}`;
  }

  /** The status line as the kernel prints it. */
  statusText(): string {
    if (!this.valid) return formatSnapshotStatus({ state: 'invalid' });
    if (this.mergeFailed) return formatSnapshotStatus({ state: 'merge-failed' });
    if (this.overflowed) return formatSnapshotStatus({ state: 'overflow' });
    if (this.store === null) {
      return formatSnapshotStatus({ state: 'active', allocatedSectors: 0, totalSectors: Math.floor(this.io.cow.sizeBytes() / SECTOR_BYTES), metadataSectors: 0 });
    }
    return formatSnapshotStatus(this.store.usage());
  }

  /** Kernel memory beyond the table line (see SnapshotMemory). */
  memory(): SnapshotMemory {
    return { active: this.active, valid: this.valid, overflowed: this.overflowed, mergeFailed: this.mergeFailed, transient: this.store?.memory() ?? null };
  }

  /** Drops the snapshot: I/O fails from now on, a persistent header records it, and the owner gets an event. */
  async invalidate(): Promise<void> {
    if (!this.valid) return;
    this.valid = false;
    await this.store?.drop();
    this.io.save();
    this.io.raiseEvent();
  }

  /**
   * Makes the exception for origin chunk `chunk` if it has none: allocates a COW chunk, copies
   * the origin's chunk there, commits. A full COW device or a failed copy invalidates the
   * snapshot. No-op for an invalid, inactive or merging target, or past its end.
   */
  async copyOut(chunk: number): Promise<void> {
    const store = this.store;
    if (this.isMerge || !this.valid || !this.active || store === null) return;
    if (chunk * this.chunkSectors >= this.lengthSectors || store.exceptions.has(chunk)) return;
    const fresh = store.prepare();
    if (fresh === null) return this.invalidate();
    try {
      await this.io.cow.write(fresh * this.chunkBytes, await this.readOriginChunk(chunk));
      if (!(await store.commit(chunk, fresh))) return this.invalidate();
    } catch {
      return this.invalidate();
    }
    if (store.kind === 'N') this.io.save();
  }

  private async readOriginChunk(chunk: number): Promise<Buffer> {
    const start = chunk * this.chunkBytes;
    const out = Buffer.alloc(this.chunkBytes);
    const size = this.io.originSizeBytes();
    if (start < size) (await this.io.readOrigin(start, Math.min(this.chunkBytes, size - start))).copy(out);
    return out;
  }

  /** Calls `each` for every chunk piece of a byte range: chunk number, offset in chunk, offset in the range, length. */
  forChunks(offsetBytes: number, lengthBytes: number, each: (chunk: number, inner: number, at: number, n: number) => Promise<void>): Promise<void> {
    return forChunkPieces(this.chunkBytes, offsetBytes, lengthBytes, each);
  }

  /** A read of the snapshot device: from the exception if there is one, else the origin. EIO once invalid. */
  async read(offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    const store = this.store;
    if (store === null || (!this.valid && !this.isMerge)) throw new DmError('EIO', 'io', this.owner, 'snapshot is invalid');
    // An invalid merging snapshot sends everything to the origin.
    if (!this.valid) return this.io.readOrigin(offsetBytes, lengthBytes);
    const out = Buffer.alloc(lengthBytes);
    await this.forChunks(offsetBytes, lengthBytes, async (chunk, inner, at, n) => {
      const cowChunk = store.exceptions.get(chunk);
      const piece = cowChunk === undefined ? await this.io.readOrigin(offsetBytes + at, n) : await this.io.cow.read(cowChunk * this.chunkBytes + inner, n);
      piece.copy(out, at);
    });
    return out;
  }

  /**
   * A write to the snapshot device: into the chunk's exception, made first (with the rest of the
   * chunk copied from the origin) when there is none. A full COW device overflows a `PO`
   * snapshot and invalidates any other; either way the write fails EIO.
   */
  async write(offsetBytes: number, data: Buffer): Promise<void> {
    const store = this.store;
    if (store === null || !this.valid || this.overflowed) throw new DmError('EIO', 'io', this.owner, 'snapshot is invalid or overflowed');
    await this.forChunks(offsetBytes, data.length, async (chunk, inner, at, n) => {
      const piece = data.subarray(at, at + n);
      const existing = store.exceptions.get(chunk);
      if (existing !== undefined) return this.io.cow.write(existing * this.chunkBytes + inner, piece);
      const fresh = store.prepare();
      if (fresh === null) {
        if (this.tableStore === 'PO') {
          this.overflowed = true;
          this.io.save();
        } else await this.invalidate();
        throw new DmError('EIO', 'io', this.owner, 'snapshot exception store is full');
      }
      const whole = n === this.chunkBytes ? Buffer.from(piece) : await this.readOriginChunk(chunk);
      piece.copy(whole, inner);
      await this.io.cow.write(fresh * this.chunkBytes, whole);
      if (!(await store.commit(chunk, fresh))) {
        await this.invalidate();
        throw new DmError('EIO', 'io', this.owner, 'snapshot metadata write failed');
      }
      if (store.kind === 'N') this.io.save();
    });
  }
}

/** Splits a byte range at chunk boundaries (see SimSnapshot.forChunks). */
export async function forChunkPieces(
  chunkBytes: number,
  offsetBytes: number,
  lengthBytes: number,
  each: (chunk: number, inner: number, at: number, n: number) => Promise<void>,
): Promise<void> {
  for (let pos = offsetBytes; pos < offsetBytes + lengthBytes;) {
    const chunk = Math.floor(pos / chunkBytes);
    const inner = pos - chunk * chunkBytes;
    const n = Math.min(chunkBytes - inner, offsetBytes + lengthBytes - pos);
    await each(chunk, inner, pos - offsetBytes, n);
    pos += n;
  }
}
