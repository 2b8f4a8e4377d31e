/**
 * Constructors of the simulated `snapshot-origin`, `snapshot` and `snapshot-merge` targets: they
 * check a table line as the kernel's origin_ctr and snapshot_ctr do (same errnos), open the
 * exception store (or wait to take one over), register with the origin's snapshot list, and give
 * the targets' I/O, table and status text and lifecycle hooks. The semantics are in
 * sim-snapshot.ts, sim-snapshot-origins.ts and sim-snapshot-merge.ts.
 */
import { DmError } from '../dm-error.js';
import type { SnapshotMergeTarget, SnapshotOriginTarget, SnapshotTarget } from '../targets/target.js';
import { SECTOR_BYTES } from '../units.js';
import { devNumberOf } from './sim-devices.js';
import type { SimKernel } from './sim-kernel.js';
import { SnapshotMerge } from './sim-snapshot-merge.js';
import { NO_SNAPSHOT_SPLIT_SECTORS, type SnapshotOrigins } from './sim-snapshot-origins.js';
import { PersistentStore } from './sim-snapshot-persistent.js';
import { TransientStore, type CowIo } from './sim-snapshot-store.js';
import { forChunkPieces, SimSnapshot, type SnapshotMemory } from './sim-snapshot.js';
import type { SimTarget } from './sim-targets.js';

/** What constructTarget hands over for one table line. */
export interface SnapshotLineContext {
  readonly k: SimKernel;
  readonly owner: string;
  readonly startSector: number;
  readonly lengthSectors: number;
  /** Resolves a device reference to `major:minor` (ENXIO if missing). */
  open(ref: string, what: string): string;
  /** Kernel memory of this target from kernel.json, when the kernel is rebuilt (SnapshotMemory, or OriginMemory for snapshot-origin). */
  readonly memory?: unknown;
}

/** What kernel memory holds of a snapshot-origin target: where it splits writes, in sectors. */
interface OriginMemory {
  readonly splitSectors: number;
}

function unsupportedDiscard(owner: string): Promise<never> {
  return Promise.reject(new DmError('EOPNOTSUPP', 'BLKDISCARD', owner, 'the snapshot targets do not take discards'));
}

/** Builds a snapshot-origin, snapshot or snapshot-merge target (see the module comment). */
export async function constructSnapshotTarget(ctx: SnapshotLineContext, parsed: SnapshotOriginTarget | SnapshotTarget | SnapshotMergeTarget): Promise<SimTarget> {
  const { k, owner } = ctx;
  const invalid = (why: string): never => {
    throw new DmError('EINVAL', 'DM_TABLE_LOAD', owner, why);
  };
  const range = { startSector: ctx.startSector, lengthSectors: ctx.lengthSectors };
  const tooSmall = (dev: string, what: string): void => {
    if (ctx.lengthSectors * SECTOR_BYTES > k.sizeBytes(devNumberOf(dev))) invalid(`${what} too small for target`);
  };
  const origins = k.snapshots;

  if (parsed.type === 'snapshot-origin') {
    const dev = ctx.open(parsed.device, 'origin device');
    tooSmall(dev, 'origin device');
    // Set at each resume from the snapshots registered then (the kernel's origin_resume), kept in kernel memory.
    let splitSectors = (ctx.memory as OriginMemory | undefined)?.splitSectors ?? NO_SNAPSHOT_SPLIT_SECTORS;
    return {
      type: 'snapshot-origin',
      ...range,
      deps: [dev],
      snapshot: null,
      read: (kk, o, len) => kk.read(devNumberOf(dev), o, len),
      write: (kk, o, data) =>
        origins.locked(dev, () =>
          forChunkPieces(splitSectors * SECTOR_BYTES, o, data.length, async (_chunk, _inner, at, n) => {
            await origins.copyOutAt(dev, o + at);
            await kk.write(devNumberOf(dev), o + at, data.subarray(at, at + n));
          }),
        ),
      discard: () => unsupportedDiscard(owner),
      tableText: () => dev,
      statusText: () => '',
      resume: () => {
        splitSectors = origins.minimumChunkSectors(dev);
      },
      memory: (): OriginMemory => ({ splitSectors }),
    };
  }

  const originDev = ctx.open(parsed.originDevice, 'origin device');
  const cowDev = ctx.open(parsed.cowDevice, 'COW device');
  if (originDev === cowDev) invalid('COW device cannot be the same as origin device');
  tooSmall(originDev, 'origin device');
  const cow: CowIo = {
    sizeBytes: () => k.sizeBytes(devNumberOf(cowDev)),
    read: (o, len) => k.read(devNumberOf(cowDev), o, len),
    write: (o, data) => k.write(devNumberOf(cowDev), o, data),
  };
  const isMerge = parsed.type === 'snapshot-merge';
  const memory = ctx.memory as SnapshotMemory | undefined;
  const snap = new SimSnapshot(owner, isMerge, originDev, cowDev, ctx.lengthSectors, parsed.store, parsed.chunkSectors, null, {
    cow,
    readOrigin: (o, len) => k.read(devNumberOf(originDev), o, len),
    writeOrigin: (o, data) => k.write(devNumberOf(originDev), o, data),
    originSizeBytes: () => k.sizeBytes(devNumberOf(originDev)),
    ownerSuspended: () => k.devices.get(owner)?.suspended ?? false,
    raiseEvent: () => k.raiseEvent(owner),
    save: () => k.save(),
  });
  const handover = origins.register(snap);
  if (!handover) {
    try {
      if (parsed.store === 'N') {
        if (parsed.chunkSectors === 0) invalid('chunk size not set');
        snap.store = new TransientStore(cow, parsed.chunkSectors, memory?.transient ?? undefined);
      } else {
        const store = await PersistentStore.open(cow, parsed.chunkSectors);
        snap.store = store;
        snap.valid = store.valid;
      }
    } catch (err) {
      origins.unregister(snap);
      throw err instanceof DmError ? new DmError(err.code, 'DM_TABLE_LOAD', owner, err.message, { cause: err }) : err;
    }
  }
  if (memory !== undefined) {
    snap.active = memory.active;
    snap.valid = snap.valid && memory.valid;
    snap.overflowed = memory.overflowed;
    snap.mergeFailed = memory.mergeFailed;
  }
  const merge = isMerge ? new SnapshotMerge(snap, origins, () => k.mergeGate) : null;
  snap.onDestroy = () => merge?.cancel();

  return {
    type: parsed.type,
    ...range,
    deps: [originDev, cowDev],
    snapshot: snap,
    read: (_kk, o, len) => origins.locked(originDev, () => snap.read(o, len)),
    write: (_kk, o, data) => origins.locked(originDev, () => (isMerge ? mergingWrite(origins, snap, o, data) : snap.write(o, data))),
    discard: () => unsupportedDiscard(owner),
    tableText: () => snap.tableText(),
    statusText: () => snap.statusText(),
    preresume: () => origins.checkResume(snap),
    resume: () => {
      origins.resume(snap);
      merge?.start();
    },
    presuspend: async () => merge?.stop(),
    memory: () => snap.memory(),
  };
}

/**
 * A write to a merging origin (the kernel's snapshot_merge_map): a chunk that still has an
 * exception is written there (the merge carries it back later); any other goes to the origin, which
 * other snapshots copy out first. An invalid merging snapshot sends every write to the origin.
 */
async function mergingWrite(origins: SnapshotOrigins, snap: SimSnapshot, offsetBytes: number, data: Buffer): Promise<void> {
  const store = snap.store;
  const toOrigin = async (at: number, n: number): Promise<void> => {
    await origins.copyOut(snap.originDev, offsetBytes + at, n);
    await snap.io.writeOrigin(offsetBytes + at, data.subarray(at, at + n));
  };
  if (!snap.valid || store === null) return toOrigin(0, data.length);
  const chunkBytes = store.chunkSectors * SECTOR_BYTES;
  await forChunkPieces(chunkBytes, offsetBytes, data.length, async (chunk, inner, at, n) => {
    const cowChunk = store.exceptions.get(chunk);
    if (cowChunk === undefined) return toOrigin(at, n);
    await snap.io.cow.write(cowChunk * chunkBytes + inner, data.subarray(at, at + n));
  });
}
