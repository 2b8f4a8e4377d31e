/**
 * The background merge of a simulated `snapshot-merge` target (the kernel's
 * snapshot_merge_next_chunks and merge_callback): step by step, the newest run of consecutive
 * exceptions is copied from the COW device back to the origin (other snapshots of the origin copy
 * out first), then cleared from the store durably, so the status' allocated count shrinks to
 * the metadata sectors. Started at resume, stopped (after the step in progress) at suspend, at
 * the target's removal and when the kernel closes; a new target on the same COW device goes on
 * from what the store holds. A read or write error stops it with `Merge failed`.
 */
import { SECTOR_BYTES } from '../units.js';
import type { SnapshotOrigins } from './sim-snapshot-origins.js';
import type { SimSnapshot } from './sim-snapshot.js';

/** Waits before each merge step: a turn of the event loop by default; tests may hold steps back (SimKernel.mergeGate). */
export type MergeGate = () => Promise<void>;

/** The merge of one snapshot-merge target (see the module comment). */
export class SnapshotMerge {
  private running: Promise<void> | null = null;
  private current: Promise<boolean> | null = null;
  private stopRequested = false;

  constructor(
    private readonly snap: SimSnapshot,
    private readonly origins: SnapshotOrigins,
    private readonly gate: () => MergeGate,
  ) {}

  /** True while the merge runs. */
  get isRunning(): boolean {
    return this.running !== null;
  }

  /** Starts merging in the background (or lets a loop still waiting at the gate go on). Idempotent. */
  start(): void {
    this.stopRequested = false;
    if (this.running !== null) return;
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Stops after the step in progress, without waiting (the target is gone). */
  cancel(): void {
    this.stopRequested = true;
  }

  /** Stops after the step in progress and waits for that step (not for the gate). Idempotent. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.current;
  }

  private async loop(): Promise<void> {
    for (;;) {
      await this.gate()();
      if (this.stopRequested) return;
      this.current = this.origins.locked(this.snap.originDev, () => this.step());
      const more = await this.current;
      this.current = null;
      if (!more) return;
    }
  }

  /** One step; false when there is nothing (more) to do. Never throws: errors end in `Merge failed`. */
  private async step(): Promise<boolean> {
    const snap = this.snap;
    const store = snap.store;
    if (!snap.valid || store === null || snap.mergeFailed) return false;
    const failed = (): false => {
      snap.mergeFailed = true;
      snap.io.save();
      return false;
    };
    try {
      const run = await store.prepareMerge();
      if (run === null) return false;
      const chunkBytes = store.chunkSectors * SECTOR_BYTES;
      const dest = run.oldChunk * chunkBytes;
      const bytes = run.count * chunkBytes;
      await this.origins.copyOut(snap.originDev, dest, bytes);
      const n = Math.min(bytes, snap.io.originSizeBytes() - dest);
      if (n > 0) await snap.io.writeOrigin(dest, await snap.io.cow.read(run.newChunk * chunkBytes, n));
      await store.commitMerge(run.count);
      for (let i = 0; i < run.count; i++) store.exceptions.delete(run.oldChunk + i);
      return true;
    } catch {
      return failed();
    }
  }
}
