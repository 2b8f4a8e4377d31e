/**
 * The kernel side of a live move of an active, open volume from one pool of this host to another
 * (the pvmove model): the volume's top device, `tf-<source pool>-<name>`, the one its user holds
 * open, is reloaded onto a `mirror` of the source and the destination, the kernel copies what
 * differs, and once every region is in sync the top device is reloaded onto the destination's
 * thin target alone and renamed into the destination pool. The agent's move job
 * (services/agent/src/jobs/move-job.ts) drives these steps and owns the catalog side: the
 * destination volume (same name, same uuid, carrying the job's `move` mark until the switch)
 * and a small log volume in the destination pool are made before `startMoveMirror`, the source
 * is deleted after `finishMoveSwitch`.
 *
 * Devices (names.ts, moveHelperDeviceName): `tf-<src>-_move-<source thin id>` (the source's thin
 * id, no external origin: volumes with one are refused), `tf-<dst>-_move-<destination thin id>`
 * and `tf-<dst>-_mlog-<log thin id>` (the mirror's disk log, on the log volume's thin id). The
 * mirror table: `mirror disk 2 <log helper> <region sectors> 2 <source helper> 0 <destination helper> 0`.
 *
 * Sparse resync: a full resync would write every region of the destination, provisioning it
 * whole. Instead the disk log is written by us before the mirror is loaded (mirror-disk-log.ts in
 * @thinfleet/devmapper), with every region in sync that is unmapped in the source AND in the
 * destination: both read zeros there (a thin block never written reads zeros), so nothing needs
 * copying; only regions with a mapped block are copied. The mappings are read while the top
 * device is suspended (flushing: every write its user issued has completed, so it is mapped in
 * the metadata snapshot the read reserves; new writes are queued), and the mirror is loaded in
 * the same pause, so no write can land between the read and the load. The destination's own
 * mappings count too: a mirror that an undo or a crash took away may have written some regions
 * of the destination, and those must be copied again (the source may have discarded them since).
 * Region size: the largest power of two not above the destination pool's data block size, nor
 * above the volume.
 *
 * Each of the three pauses (load the mirror, switch to the destination, undo back onto the
 * source) is one suspend-resume of the top device, without waiting for any copy. The mirror's
 * table is loaded before its pause (as the inactive table), with the log cleared first (no region
 * in sync): a crash between the load and the pause's own bitset then resyncs every region (slow,
 * never wrong), and an undo drops an inactive table left loaded.
 *
 * What is on disk and in the kernel after each step, and what a crash there leaves (the job's
 * module comment has the catalog side and how start-up finishes or undoes the move):
 * - before the mirror is loaded: the top device on the source's thin alone; helpers may exist
 *   (start-up removes them when nothing holds them: removeLeftoverHelperDevices);
 * - mirror loaded: reads come from the source, writes go to both legs (to the source alone in a
 *   region not yet in sync, which the resync then copies). An agent crash leaves the kernel
 *   resyncing, and the job resumed finds the mirror (`readMoveStage`) and goes on. A host crash
 *   takes every device: the source has every write (it is the first leg), so the source is
 *   authoritative and the move starts again or is undone;
 * - switch (`finishMoveSwitch`): suspend; the catalog transaction the caller gives (the
 *   destination's mark cleared: from now on the destination is authoritative); the top device
 *   reloaded onto the destination's thin target; resume; rename into the destination pool. An
 *   agent crash between the commit and the load leaves the mirror (the kernel keeps both legs in
 *   sync, every write on both): the resumed job switches again without the transaction. Between
 *   the resume and the rename, the top device carries the destination's table under the source's
 *   name (`target-unrenamed`): the job renames it. Start-up never reloads the device of a volume
 *   that carries a `move` mark (adoptActiveVolumes), so it cannot undo a switch by mistake.
 */
import {
  formatDevNumber,
  mirrorLogBytes,
  mirrorLogImage,
  parseMirrorStatus,
  parseTable,
  readLiveThinMappings,
  SECTOR_BYTES,
  toTargetLines,
  type DmTableEntry,
  type MirrorStatus,
  type ThinMappingRun,
} from '@thinfleet/devmapper';
import type { BatchItem } from './batch-item.js';
import type { VolumeRecord } from './catalog-state.js';
import { ensureDevice, infoOrNull, removeDevice } from './device-tables.js';
import { EngineError } from './engine-error.js';
import { moveHelperDeviceName, volumeDeviceName } from './names.js';
import { resumeWithRetries } from './pool-flatten.js';
import type { BatchResult } from './pool-batch.js';
import { volumeByName, volumeTable, volumeUuid, type PoolCore } from './pool-core.js';
import type { Pool } from './pool.js';

/** The two pools of a move and the names of its volumes (the same volume name in both). */
export interface MoveSides {
  readonly source: Pool;
  readonly target: Pool;
  /** The volume's name, in the source pool and (held by the job until the switch) in the target pool. */
  readonly name: string;
  /** The mirror's log volume in the target pool (made and deleted by the job). */
  readonly logName: string;
}

/** Where the volume's top device stands (see the module comment). */
export type MoveStage = 'inactive' | 'source' | 'mirror' | 'target-unrenamed' | 'target';

/** What startMoveMirror did. */
export interface MoveMirrorStart {
  /** How long the top device was suspended, in milliseconds (0 when the mirror was already loaded). */
  readonly pauseMs: number;
  readonly regionCount: number;
  /** Regions the log started in sync (unmapped on both sides): never copied. */
  readonly cleanRegions: number;
}

interface Side {
  readonly core: PoolCore;
  readonly batch: (items: readonly BatchItem[]) => Promise<BatchResult>;
}

/** Runs `fn` under both pools' mutexes, taken in name order (two moves in opposite directions cannot deadlock). */
function withBoth<T>(s: MoveSides, fn: (src: Side, dst: Side) => Promise<T>): Promise<T> {
  if (s.source === s.target) throw new EngineError('INVALID_ARGUMENT', 'a move needs two different pools', { argument: 'targetPool' });
  const sourceFirst = s.source.name < s.target.name;
  const [first, second] = sourceFirst ? [s.source, s.target] : [s.target, s.source];
  return first.withCore((c1, b1) =>
    second.withCore((c2, b2) => {
      const a = { core: c1, batch: b1 };
      const b = { core: c2, batch: b2 };
      return sourceFirst ? fn(a, b) : fn(b, a);
    }),
  );
}

function requireVolume(core: PoolCore, name: string, what: string): VolumeRecord {
  const v = volumeByName(core, name);
  if (v === undefined) throw new EngineError('NO_SUCH_VOLUME', `the move's ${what} volume "${name}" is gone from pool ${core.catalog.state.pool.name}`);
  return v;
}

const topDevice = (core: PoolCore, name: string): string => volumeDeviceName(core.catalog.state.pool.name, name);

/** The stage of the volume's top device, and the mirror's status when it is on the mirror. Reads the kernel only. */
async function stageOf(src: PoolCore, dst: PoolCore, name: string): Promise<{ stage: MoveStage; status: MirrorStatus | null }> {
  if ((await infoOrNull(dst.dm, topDevice(dst, name))) !== null) return { stage: 'target', status: null };
  const dev = topDevice(src, name);
  const info = await infoOrNull(src.dm, dev);
  if (info === null) return { stage: 'inactive', status: null };
  if (!info.liveTable) return { stage: 'source', status: null };
  const target = parseTable(await src.dm.table(dev))[0]?.target;
  if (target?.type === 'mirror') return { stage: 'mirror', status: parseMirrorStatus((await src.dm.status(dev))[0]?.params ?? '') };
  if (target?.type === 'thin') {
    const dstPool = formatDevNumber(await dst.block.deviceNumber(dst.dm.devicePath(dst.names.pool)));
    const poolDev = /^\d+:\d+$/.test(target.poolDevice) ? target.poolDevice : formatDevNumber(await dst.block.deviceNumber(target.poolDevice));
    if (poolDev === dstPool) return { stage: 'target-unrenamed', status: null };
  }
  return { stage: 'source', status: null };
}

/** Where the move's top device stands, with the mirror's status when on the mirror. Reads only (under both mutexes). */
export function readMoveStage(s: MoveSides): Promise<{ stage: MoveStage; status: MirrorStatus | null }> {
  return withBoth(s, (src, dst) => stageOf(src.core, dst.core, s.name));
}

/** The region size for a volume of `sizeBytes` in a pool of `blockBytes` data blocks, in sectors. */
export function moveRegionSectors(blockBytes: number, sizeBytes: number): number {
  const limit = Math.min(blockBytes, sizeBytes) / SECTOR_BYTES;
  let r = 2;
  while (r * 2 <= limit) r *= 2;
  return r;
}

/** The size of the log volume a move of a `sizeBytes` volume into a pool of `blockBytes` data blocks needs (before rounding to blocks). */
export function moveLogBytes(blockBytes: number, sizeBytes: number): number {
  return mirrorLogBytes(Math.ceil(sizeBytes / (moveRegionSectors(blockBytes, sizeBytes) * SECTOR_BYTES)));
}

/**
 * Per region of `regionBytes`: true when it overlaps no mapped block of `runs` (blocks of
 * `blockBytes`) on either side. Pure.
 */
export function cleanRegions(regionCount: number, regionBytes: number, sides: ReadonlyArray<{ runs: readonly ThinMappingRun[]; blockBytes: number }>): boolean[] {
  const clean = new Array<boolean>(regionCount).fill(true);
  for (const { runs, blockBytes } of sides) {
    for (const r of runs) {
      const first = Math.floor((r.virtualBlock * blockBytes) / regionBytes);
      const end = Math.min(regionCount, Math.ceil(((r.virtualBlock + r.blocks) * blockBytes) / regionBytes));
      for (let i = first; i < end; i++) clean[i] = false;
    }
  }
  return clean;
}

async function ensureHelper(core: PoolCore, v: VolumeRecord, purpose: 'move' | 'mlog'): Promise<string> {
  const name = moveHelperDeviceName(core.catalog.state.pool.name, purpose, v.thinId);
  const uuid = `${volumeUuid(core, v)}-${purpose}`;
  const existing = await infoOrNull(core.dm, name);
  if (existing !== null && existing.uuid !== uuid) await removeDevice(core.dm, name, `move helper device ${name}`);
  await ensureDevice(core.dm, core.block, name, uuid, volumeTable(core, { ...v, externalOrigin: null }), { reloadIfDifferent: true });
  return name;
}

/** Suspends `device`, runs `fn`, resumes it always; returns fn's result and the pause. */
async function paused<T>(core: PoolCore, device: string, what: string, fn: () => Promise<T>): Promise<{ value: T; pauseMs: number }> {
  const started = core.now();
  await core.dm.suspend(device);
  let result: { value: T } | undefined;
  let failure: { error: unknown } | undefined;
  try {
    result = { value: await fn() };
  } catch (error) {
    failure = { error };
    // An inactive table loaded for this resume is dropped: the device resumes on the table it had.
    await core.dm.clear(device).catch(() => undefined);
  } finally {
    const resumeError = await resumeWithRetries(core, device);
    if (resumeError !== undefined) failure = { error: new EngineError('KERNEL_FAILED', `could not resume ${device} after ${what}`, { cause: resumeError }) };
  }
  if (failure !== undefined) throw failure.error;
  return { value: result!.value, pauseMs: core.now() - started };
}

/**
 * Loads the mirror onto the volume's top device (module comment: helpers made, the destination's
 * mappings read, the log cleared and the mirror table loaded inactive first, then one pause for
 * the source's mappings and the log's bitset, ended by the resume that makes the mirror live). Idempotent: a top device already on
 * the mirror is left as it is.
 * Preconditions: the source volume is active, without an external origin; the target pool holds
 * the destination volume (same size) and the log volume (at least mirrorLogBytes of the region count).
 * @throws EngineError NO_SUCH_VOLUME, VOLUME_INACTIVE, INVALID_ARGUMENT, DEVICE_MISMATCH (past the switch); the kernel's errors (the top device resumed on the source)
 */
export function startMoveMirror(s: MoveSides): Promise<MoveMirrorStart> {
  return withBoth(s, async (src, dst) => {
    const sv = requireVolume(src.core, s.name, 'source');
    const dv = requireVolume(dst.core, s.name, 'destination');
    const lv = requireVolume(dst.core, s.logName, 'log');
    if (sv.externalOrigin !== null) throw new EngineError('INVALID_ARGUMENT', `volume "${sv.name}" has an external origin; flatten and detach it before a live move`, { argument: 'volume' });
    if (dv.sizeBytes !== sv.sizeBytes) throw new EngineError('INVALID_ARGUMENT', `the destination volume is ${dv.sizeBytes} bytes, the source ${sv.sizeBytes}`);
    const blockBytes = dst.core.catalog.state.pool.layout.dataBlockBytes;
    const regionSectors = moveRegionSectors(blockBytes, sv.sizeBytes);
    const regionBytes = regionSectors * SECTOR_BYTES;
    const regionCount = Math.ceil(sv.sizeBytes / regionBytes);
    const { stage, status } = await stageOf(src.core, dst.core, s.name);
    if (stage === 'mirror') return { pauseMs: 0, regionCount: status?.totalRegions ?? regionCount, cleanRegions: 0 };
    if (stage === 'inactive') throw new EngineError('VOLUME_INACTIVE', `volume "${s.name}" of pool ${s.source.name} is not active; a live move needs its device`);
    if (stage !== 'source') throw new EngineError('DEVICE_MISMATCH', `volume "${s.name}" is already switched to pool ${s.target.name}`);
    if (lv.sizeBytes < mirrorLogBytes(regionCount)) throw new EngineError('INVALID_ARGUMENT', `the move's log volume is smaller than the ${mirrorLogBytes(regionCount)} bytes its log needs`);
    const sourceLeg = await ensureHelper(src.core, sv, 'move');
    const targetLeg = await ensureHelper(dst.core, dv, 'move');
    const log = await ensureHelper(dst.core, lv, 'mlog');
    const device = topDevice(src.core, s.name);
    const table: DmTableEntry[] = [
      {
        startSector: 0,
        lengthSectors: sv.sizeBytes / SECTOR_BYTES,
        target: {
          type: 'mirror',
          log: { type: 'disk', device: src.core.dm.devicePath(log), regionSectors },
          legs: [
            { device: src.core.dm.devicePath(sourceLeg), offsetSectors: 0 },
            { device: dst.core.dm.devicePath(targetLeg), offsetSectors: 0 },
          ],
          handleErrors: false,
          keepLog: false,
        },
      },
    ];
    const read = (core: PoolCore, v: VolumeRecord): Promise<ThinMappingRun[]> =>
      readLiveThinMappings(core.dm, core.block, core.names.pool, core.dm.devicePath(core.names.meta), v.thinId, 0, Math.ceil(v.sizeBytes / core.catalog.state.pool.layout.dataBlockBytes));
    // Before the pause, to keep it short: the destination's mappings (nothing writes the
    // destination while no mirror is loaded); the log with no region in sync (provisioned now,
    // and a crash before the pause's own image is written costs a full resync, never a wrong
    // one); the mirror table loaded as the inactive table (the resume makes it live; the disk log
    // reads its bitset only then).
    const targetRuns = await read(dst.core, dv);
    await dst.core.block.write(
      dst.core.dm.devicePath(log),
      0,
      mirrorLogImage(regionCount, () => false),
    );
    await src.core.dm.load(device, toTargetLines(table));
    const { value: clean, pauseMs } = await paused(src.core, device, 'loading the move mirror', async () => {
      const sides = [
        { runs: await read(src.core, sv), blockBytes: src.core.catalog.state.pool.layout.dataBlockBytes },
        { runs: targetRuns, blockBytes },
      ];
      const inSync = cleanRegions(regionCount, regionBytes, sides);
      await dst.core.block.write(
        dst.core.dm.devicePath(log),
        0,
        mirrorLogImage(regionCount, (r) => inSync[r]!),
      );
      return inSync.filter(Boolean).length;
    });
    src.core.logger.info({ volume: s.name, target: s.target.name, regionCount, cleanRegions: clean, pauseMs }, 'move: mirror loaded');
    return { pauseMs, regionCount, cleanRegions: clean };
  });
}

/**
 * The switch (module comment): when the mirror is in sync, suspends the top device, clears the
 * destination's `move` mark of job `jobId` in one transaction of the target pool, reloads the top device onto the destination's thin target, resumes it and renames it
 * into the target pool. Idempotent: past the transaction (the mirror still loaded, or the
 * destination's table under the old name) only the rest is done; a renamed device is left alone.
 * @returns the pause in milliseconds, or null when the mirror is not in sync yet (nothing changed)
 * @throws EngineError DEVICE_MISMATCH when the top device is on neither (no mirror to switch from)
 */
export function finishMoveSwitch(s: MoveSides, jobId: string): Promise<{ pauseMs: number } | null> {
  return withBoth(s, async (src, dst) => {
    const { stage, status } = await stageOf(src.core, dst.core, s.name);
    const device = topDevice(src.core, s.name);
    const targetName = topDevice(dst.core, s.name);
    if (stage === 'target') return { pauseMs: 0 };
    if (stage === 'target-unrenamed') {
      await src.core.dm.rename(device, targetName);
      return { pauseMs: 0 };
    }
    if (stage !== 'mirror')
      throw new EngineError('DEVICE_MISMATCH', `volume "${s.name}" is not on the move's mirror (its device is ${stage === 'inactive' ? 'gone' : 'on the source alone'})`);
    if (!status?.inSync) return null;
    const dv = requireVolume(dst.core, s.name, 'destination');
    let inSync = true;
    const { pauseMs } = await paused(src.core, device, 'switching to the destination', async () => {
      const now = parseMirrorStatus((await src.core.dm.status(device))[0]?.params ?? '');
      if (!now.inSync) {
        inSync = false;
        return;
      }
      // The switch transaction: the destination's mark cleared (done already when a crash came
      // after it: the mirror was still loaded).
      if (dv.job?.kind === 'move' && dv.job.jobId === jobId) await dst.batch([{ item: s.name, op: 'mark-job', volume: s.name, mark: null }]);
      await src.core.dm.load(device, toTargetLines(volumeTable(dst.core, dv)));
    });
    if (!inSync) return null;
    await src.core.dm.rename(device, targetName);
    src.core.logger.info({ volume: s.name, target: s.target.name, pauseMs }, 'move: switched to the destination');
    return { pauseMs };
  });
}

/**
 * Undoes the mirror: the top device back onto the source's thin target alone (one pause), then
 * the helper devices removed. Idempotent; a volume already on the source (or inactive) only
 * loses its helpers.
 * @throws EngineError DEVICE_MISMATCH past the switch (the destination is authoritative)
 */
export function undoMoveMirror(s: MoveSides): Promise<{ pauseMs: number }> {
  return withBoth(s, async (src, dst) => {
    const { stage } = await stageOf(src.core, dst.core, s.name);
    if (stage === 'target' || stage === 'target-unrenamed')
      throw new EngineError('DEVICE_MISMATCH', `volume "${s.name}" is already switched to pool ${s.target.name}; the move can no longer be undone`);
    let pauseMs = 0;
    const device = topDevice(src.core, s.name);
    // A mirror table loaded but never resumed (a crash or an error before the pause) holds the helpers.
    if (stage === 'source' && (await infoOrNull(src.core.dm, device))?.inactiveTable === true) await src.core.dm.clear(device);
    if (stage === 'mirror') {
      const sv = requireVolume(src.core, s.name, 'source');
      pauseMs = (await paused(src.core, device, 'undoing the move mirror', () => src.core.dm.load(device, toTargetLines(volumeTable(src.core, sv))))).pauseMs;
      src.core.logger.info({ volume: s.name, pauseMs }, 'move: back on the source');
    }
    await removeHelpers(src.core, dst.core, s);
    return { pauseMs };
  });
}

async function removeHelpers(src: PoolCore, dst: PoolCore, s: MoveSides): Promise<void> {
  const sv = volumeByName(src, s.name);
  const dv = volumeByName(dst, s.name);
  const lv = volumeByName(dst, s.logName);
  if (sv !== undefined) await removeDevice(src.dm, moveHelperDeviceName(src.catalog.state.pool.name, 'move', sv.thinId), 'move helper device');
  if (dv !== undefined) await removeDevice(dst.dm, moveHelperDeviceName(dst.catalog.state.pool.name, 'move', dv.thinId), 'move helper device');
  if (lv !== undefined) await removeDevice(dst.dm, moveHelperDeviceName(dst.catalog.state.pool.name, 'mlog', lv.thinId), 'move log helper device');
}

/**
 * Removes the move's helper devices (after the switch, or after an undo). Idempotent.
 * @throws EngineError VOLUME_BUSY when the top device still stacks on them (the mirror is loaded)
 */
export function removeMoveHelpers(s: MoveSides): Promise<void> {
  return withBoth(s, (src, dst) => removeHelpers(src.core, dst.core, s));
}
