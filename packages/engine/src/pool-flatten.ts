/**
 * Flatten: copying an external origin's content into a volume chunk by chunk, while a VM may
 * be writing the volume, so that the origin can then be detached (Pool.detachExternalOrigin).
 *
 * The critical section of one chunk (Pool.flattenChunk):
 * 1. outside the pool's mutex and with the volume live: read the origin's bytes of the chunk
 *    (the origin is read-only; nothing the VM does changes it). A chunk whose origin bytes are
 *    all zero, or that lies past the origin's end, needs nothing more: no pause.
 * 2. under the pool's mutex: make the helper device, a second thin device of the volume's thin
 *    id with no external origin (`tf-<pool>-_flat-<thin id>`; the kernel allows several devices
 *    on one thin id). It is made before the pause and kept for the next chunks.
 * 3. suspend the volume's device (a flushing suspend: every write the VM has in flight
 *    completes, and any write it issues from now on is queued in the kernel);
 * 4. reserve the pool's metadata snapshot (this commits the pool's metadata, so every completed
 *    write is mapped in it), read the chunk's mappings of the thin id (readThinMappings),
 *    release the snapshot;
 * 5. write, through the helper device, the origin's content of every block of the chunk that
 *    is unmapped and inside the origin and not all zero: whole data blocks, consecutive ones in
 *    one write, up to four writes at once, each durable when it completes (O_DSYNC: the pool
 *    commits its mapping);
 * 6. resume the volume, in a finally path (three attempts), always.
 *
 * Why a VM write is never overwritten: the mappings are read while the volume is suspended,
 * after every write the VM issued before the suspend completed, so every block the VM has ever
 * written is mapped in them and skipped by the copy. The VM cannot write while suspended; the
 * writes it issues meanwhile are queued by the kernel and run after the resume, which happens
 * only once every copy write has completed, so they land after (over) the copied block. The
 * copy writes only blocks that read the origin's content at that instant, with that same
 * content: before the detach, nobody can tell a copied block from an uncopied one. A block the
 * VM discards later is unmapped again: it reads the origin's content until the detach, and
 * zeros after it (as a discarded block of any volume without an origin does).
 *
 * The pause (3..6) is bounded by the chunk's size: one metadata commit and at most the chunk's
 * bytes written. It is also bounded by the pool's snapshot deadline (EngineOptions.
 * snapshotDeadlineMs): past it no further copy write starts, the volume is resumed and the call
 * fails DEADLINE_EXCEEDED (blocks already copied stay: they equal the origin). A copy write
 * already issued is waited for before the resume, never abandoned: resuming with it in flight
 * could let a queued VM write to the same block land first and be overwritten.
 *
 * Crash story: a crash inside the pause leaves the volume suspended (start-up resumes every
 * suspended device of the pool, then releases a metadata snapshot left held: recovery.ts,
 * Pool.recover) and the helper device behind (start-up removes it: removeLeftoverHelperDevices).
 * Copied blocks are mapped durably or not at all; either way the volume reads the same while its
 * origin is attached, so the chunk is simply copied again. Nothing here writes the catalog.
 */
import { isDmError, readLiveThinMappings, type ThinMappingRun } from '@thinfleet/devmapper';
import { formatBytes } from '@thinfleet/units';
import type { VolumeRecord } from './catalog-state.js';
import { ensureDevice, infoOrNull, removeDevice } from './device-tables.js';
import { EngineError } from './engine-error.js';
import { flattenHelperDeviceName, isHelperDeviceName } from './names.js';
import { volumeTable, volumeUuid, type PoolCore } from './pool-core.js';
import { activeVolumeDevices } from './pool-volume-devices.js';
import { MAX_VOLUME_IO_BYTES } from './volume-data.js';

/** The largest chunk flattenChunk takes (its origin bytes are held in memory). */
export const MAX_FLATTEN_CHUNK_BYTES = 64 * 1024 * 1024;

/** What one chunk did. */
export interface FlattenChunkResult {
  /** Bytes written into the volume (whole data blocks; 0 when every block was mapped, zero or past the origin). */
  readonly copiedBytes: number;
  /** How long the volume was suspended, in milliseconds (0 when it was not: inactive, or nothing to copy). */
  readonly pauseMs: number;
}

/** The origin's content of one chunk, read before the pause, and what it was read for. */
export interface FlattenChunkPlan {
  readonly volume: VolumeRecord;
  /** First data block the chunk overlaps. */
  readonly firstBlock: number;
  /** Data blocks the chunk overlaps. */
  readonly blockCount: number;
  /** Per overlapped block inside the origin and not all zero: its bytes (a whole data block, zero-padded past the origin). */
  readonly blocks: ReadonlyMap<number, Buffer>;
}

const RESUME_ATTEMPTS = 3;
/** Copy writes in flight at once inside the pause. */
const COPY_WRITES_AT_ONCE = 4;

/**
 * Checks a flatten request against the committed catalog and reads the origin's bytes of the
 * chunk: every data block overlapping `[offsetBytes, offsetBytes + lengthBytes)`. Changes nothing.
 * @throws EngineError NO_SUCH_VOLUME; INVALID_ARGUMENT naming `volume` (no external origin),
 *   `offsetBytes` or `lengthBytes`; the origin's read errors
 */
export async function planFlattenChunk(core: PoolCore, v: VolumeRecord, offsetBytes: number, lengthBytes: number): Promise<FlattenChunkPlan> {
  if (v.externalOrigin === null) {
    throw new EngineError('INVALID_ARGUMENT', `volume "${v.name}" has no external origin: there is nothing to flatten`, { argument: 'volume' });
  }
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0 || offsetBytes % 512 !== 0 || offsetBytes >= v.sizeBytes) {
    throw new EngineError('INVALID_ARGUMENT', `offset must be a multiple of 512 bytes inside volume "${v.name}" (${formatBytes(v.sizeBytes)})`, { argument: 'offsetBytes' });
  }
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes <= 0 || lengthBytes % 512 !== 0 || lengthBytes > MAX_FLATTEN_CHUNK_BYTES) {
    throw new EngineError('INVALID_ARGUMENT', `length must be a positive multiple of 512 bytes, at most ${formatBytes(MAX_FLATTEN_CHUNK_BYTES)}`, { argument: 'lengthBytes' });
  }
  const blockBytes = core.catalog.state.pool.layout.dataBlockBytes;
  const endBytes = Math.min(offsetBytes + lengthBytes, v.sizeBytes);
  const firstBlock = Math.floor(offsetBytes / blockBytes);
  const blockCount = Math.ceil(endBytes / blockBytes) - firstBlock;
  const originPath = core.resolveOrigin(v.externalOrigin);
  const originBytes = await core.block.sizeBytes(originPath);
  // One read per MAX_VOLUME_IO_BYTES of the range (not one per block): under a slow host each
  // read's open and O_DIRECT setup is what costs. Past the origin's end zeros show through.
  const rangeStart = firstBlock * blockBytes;
  const rangeStop = Math.min((firstBlock + blockCount) * blockBytes, originBytes, v.sizeBytes);
  const range = Buffer.alloc(Math.max(0, rangeStop - rangeStart));
  for (let at = rangeStart; at < rangeStop; at += MAX_VOLUME_IO_BYTES) {
    const part = await core.block.read(originPath, at, Math.min(MAX_VOLUME_IO_BYTES, rangeStop - at));
    part.copy(range, at - rangeStart);
  }
  const blocks = new Map<number, Buffer>();
  for (let b = firstBlock; b < firstBlock + blockCount; b++) {
    const start = b * blockBytes;
    // Past the volume's end the helper device has no sectors; past the origin's, zeros show through.
    const stop = Math.min(start + blockBytes, rangeStop);
    if (stop <= start) break;
    const data = Buffer.alloc(Math.min(blockBytes, v.sizeBytes - start));
    range.copy(data, 0, start - rangeStart, stop - rangeStart);
    if (!isAllZero(data)) blocks.set(b, data);
  }
  return { volume: v, firstBlock, blockCount, blocks };
}

/**
 * Steps 2-6 of the module comment for `plan`, which must have been planned against the volume
 * as the catalog has it now. The caller holds the pool's mutex.
 * @throws EngineError DEADLINE_EXCEEDED (the volume was resumed); KERNEL_FAILED when the volume
 *   could not be resumed; the kernel's and the block device's errors (the volume resumed)
 */
export async function copyFlattenChunk(core: PoolCore, plan: FlattenChunkPlan): Promise<FlattenChunkResult> {
  if (plan.blocks.size === 0) return { copiedBytes: 0, pauseMs: 0 };
  const v = plan.volume;
  const helper = await ensureFlattenHelper(core, v);
  const device = (await activeVolumeDevices(core)).get(v.uuid)?.name;
  const blockBytes = core.catalog.state.pool.layout.dataBlockBytes;
  const started = core.now();
  let copiedBytes = 0;
  let failure: { error: unknown } | undefined;
  if (device !== undefined) await core.dm.suspend(device);
  try {
    const runs = await readLiveThinMappings(core.dm, core.block, core.names.pool, core.dm.devicePath(core.names.meta), v.thinId, plan.firstBlock, plan.blockCount);
    const writes = copyRuns(plan, runs);
    let next = 0;
    let stop: { error: unknown } | undefined;
    // A few writes at once (the pool batches their FUA commits); each worker stops at the first
    // failure or at the deadline, and every write issued is waited for before the resume.
    const worker = async (): Promise<void> => {
      while (stop === undefined && next < writes.length) {
        if (core.now() - started > core.snapshotDeadlineMs) {
          stop = {
            error: new EngineError(
              'DEADLINE_EXCEEDED',
              `flatten of volume "${v.name}" passed the ${core.snapshotDeadlineMs} ms pause deadline; the volume was resumed, the chunk is copied again next time`,
            ),
          };
          return;
        }
        const run = writes[next++]!;
        try {
          await core.block.write(core.dm.devicePath(helper), run.firstBlock * blockBytes, run.data);
          copiedBytes += run.data.length;
        } catch (error) {
          stop ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(COPY_WRITES_AT_ONCE, writes.length) }, worker));
    if (stop !== undefined) throw stop.error;
  } catch (error) {
    failure = { error };
  } finally {
    if (device !== undefined) {
      const resumeError = await resumeWithRetries(core, device);
      if (resumeError !== undefined) {
        failure = { error: new EngineError('KERNEL_FAILED', `could not resume volume "${v.name}" after a flatten chunk`, { cause: resumeError }) };
      }
    }
  }
  const pauseMs = device === undefined ? 0 : core.now() - started;
  if (failure !== undefined) throw failure.error;
  core.logger.debug({ volume: v.name, copiedBytes, pauseMs }, 'flatten chunk copied');
  return { copiedBytes, pauseMs };
}

/** The unmapped, non-zero blocks of `plan` as writes of consecutive blocks. Pure. */
export function copyRuns(plan: FlattenChunkPlan, mapped: readonly ThinMappingRun[]): Array<{ firstBlock: number; data: Buffer }> {
  const isMapped = (b: number): boolean => mapped.some((r) => b >= r.virtualBlock && b < r.virtualBlock + r.blocks);
  const out: Array<{ firstBlock: number; parts: Buffer[]; next: number }> = [];
  for (const [b, data] of [...plan.blocks].sort((x, y) => x[0] - y[0])) {
    if (isMapped(b)) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.next === b) {
      last.parts.push(data);
      last.next = b + 1;
    } else out.push({ firstBlock: b, parts: [data], next: b + 1 });
  }
  return out.map((r) => ({ firstBlock: r.firstBlock, data: Buffer.concat(r.parts) }));
}

/**
 * Makes (or keeps) the helper device of volume `v`: its thin id, its size, no external origin.
 * A device of that name left by an earlier volume with the same thin id is replaced.
 * @returns the helper's device-mapper name
 */
async function ensureFlattenHelper(core: PoolCore, v: VolumeRecord): Promise<string> {
  const name = flattenHelperDeviceName(core.catalog.state.pool.name, v.thinId);
  const uuid = `${volumeUuid(core, v)}-flat`;
  const existing = await infoOrNull(core.dm, name);
  if (existing !== null && existing.uuid !== uuid) await removeDevice(core.dm, name, `flatten helper device ${name}`);
  await ensureDevice(core.dm, core.block, name, uuid, volumeTable(core, { ...v, externalOrigin: null }), { reloadIfDifferent: true });
  return name;
}

/**
 * Removes the flatten helper device of volume `v` if there is one. Idempotent. Call when a flatten job
 * ends (done, cancelled, failed, handed over).
 * @throws EngineError VOLUME_BUSY when something holds the helper open
 */
export async function removeFlattenHelper(core: PoolCore, v: VolumeRecord): Promise<void> {
  const name = flattenHelperDeviceName(core.catalog.state.pool.name, v.thinId);
  await removeDevice(core.dm, name, `flatten helper device ${name}`);
}

/**
 * Removes every helper device of this pool that a crash left behind (start-up, Pool.recover):
 * a flatten's (`_flat-`), a live move's (`_move-`, `_mlog-`: volume-move.ts) and a copy's
 * reader (`_copy-`: pool-copy-reader.ts). One held open
 * (a live move's legs and log under the mirror table of a move that is still running: the agent
 * crashed, the kernel kept the devices) is logged and left. Returns the names removed.
 */
export async function removeLeftoverHelperDevices(core: PoolCore): Promise<string[]> {
  const pool = core.catalog.state.pool.name;
  const removed: string[] = [];
  for (const d of await core.dm.list()) {
    if (!isHelperDeviceName(pool, d.name)) continue;
    try {
      await removeDevice(core.dm, d.name, `helper device ${d.name}`);
      removed.push(d.name);
      core.logger.warn({ device: d.name }, 'removed a helper device a crash left behind');
    } catch (err) {
      core.logger.warn({ device: d.name, err }, 'helper device left behind could not be removed (in use)');
    }
  }
  return removed;
}

/** Resumes `device`, up to three attempts; returns the last error, or undefined once resumed (or gone). Shared with volume-move.ts. */
export async function resumeWithRetries(core: PoolCore, device: string): Promise<unknown> {
  let lastError: unknown;
  for (let attempt = 0; attempt < RESUME_ATTEMPTS; attempt++) {
    try {
      await core.dm.resume(device);
      return undefined;
    } catch (err) {
      if (isDmError(err, 'ENXIO')) return undefined;
      lastError = err;
    }
  }
  return lastError;
}

let zeros = Buffer.alloc(0);

function isAllZero(data: Buffer): boolean {
  if (zeros.length < data.length) zeros = Buffer.alloc(data.length);
  return data.equals(zeros.subarray(0, data.length));
}
