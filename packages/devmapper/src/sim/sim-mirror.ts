/**
 * The simulated `mirror` target (the kernel's dm-raid1 with dm-log's core and disk logs), as
 * thinfleet's live move uses it:
 * - regions of `regionSectors`; a region is in sync or not (the log's sync bits). A `core` log
 *   starts with none in sync (`nosync`: all); a `disk` log reads its bitset from the log device
 *   at every resume (mirror-disk-log.ts: a bad magic or a short header makes the missing regions
 *   out of sync) and writes it back after each resync step and at suspend;
 * - a write (or discard) is split at region boundaries; in a region in sync it goes to every leg,
 *   in one not in sync to the first leg alone (the resync brings the others up later); reads come
 *   from the first leg;
 * - after each resume, a background resync copies every region not in sync from the first leg
 *   to the others, region by region in order, marking each in sync when copied; it stops at
 *   suspend (after the region in progress) and goes on at the next resume;
 * - status: `<#legs> <legs> <in sync>/<regions> 1 <A per leg> <1 core | 3 disk <log dev> A>`.
 * Writes and resync steps of one target are serialized, so a region being copied is never
 * written meanwhile (the kernel delays such writes until the region's recovery ends). Sync bits
 * are kept in kernel memory (kernel.json), so a rebuilt kernel goes on where it was.
 */
import { DmError } from '../dm-error.js';
import { formatTargetParams, type MirrorTarget } from '../targets/target.js';
import { mirrorLogBit, mirrorLogBitsetBytes, MIRROR_LOG_BITSET_OFFSET_BYTES, mirrorLogImage, parseMirrorLog } from '../targets/mirror-disk-log.js';
import { formatMirrorStatus } from '../targets/mirror-status.js';
import { SECTOR_BYTES } from '../units.js';
import { devNumberOf } from './sim-devices.js';
import type { SimTarget } from './sim-targets.js';
import type { SnapshotLineContext } from './sim-snapshot-targets.js';

/** What kernel memory keeps of a mirror: its sync bits (base64, the disk log's bit order). */
interface MirrorMemory {
  readonly syncBits: string;
}

/** Builds a mirror target (see the module comment). */
export function constructMirrorTarget(ctx: SnapshotLineContext, parsed: MirrorTarget): SimTarget {
  const { k, owner } = ctx;
  const invalid = (why: string): never => {
    throw new DmError('EINVAL', 'DM_TABLE_LOAD', owner, why);
  };
  const regionSectors = parsed.log.regionSectors;
  if (regionSectors > ctx.lengthSectors) invalid(`region size ${regionSectors} is larger than the target`);
  const regionBytes = regionSectors * SECTOR_BYTES;
  const lengthBytes = ctx.lengthSectors * SECTOR_BYTES;
  const regionCount = Math.ceil(ctx.lengthSectors / regionSectors);
  const legs = parsed.legs.map((l, i) => {
    const dev = ctx.open(l.device, `mirror leg ${i}`);
    if (l.offsetSectors * SECTOR_BYTES + lengthBytes > k.sizeBytes(devNumberOf(dev))) invalid(`mirror leg ${i} is too small for the target`);
    return { dev, base: l.offsetSectors * SECTOR_BYTES };
  });
  const logDev = parsed.log.type === 'disk' ? ctx.open(parsed.log.device ?? '', 'log device') : null;
  const bitsetBytes = mirrorLogBitsetBytes(regionCount);
  if (logDev !== null && Math.ceil((MIRROR_LOG_BITSET_OFFSET_BYTES + bitsetBytes) / SECTOR_BYTES) * SECTOR_BYTES > k.sizeBytes(devNumberOf(logDev))) {
    invalid('log device too small');
  }
  const memory = ctx.memory as MirrorMemory | undefined;
  let sync = memory === undefined ? Buffer.alloc(bitsetBytes, parsed.log.sync === 'nosync' ? 0xff : 0) : Buffer.from(memory.syncBits, 'base64');
  const inSync = (r: number): boolean => mirrorLogBit(sync, r);
  const countInSync = (): number => {
    let n = 0;
    for (let r = 0; r < regionCount; r++) if (inSync(r)) n++;
    return n;
  };

  // Writes and resync steps one at a time.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const writeLog = async (): Promise<void> => {
    if (logDev === null) return;
    const image = mirrorLogImage(regionCount, inSync);
    await k.write(devNumberOf(logDev), 0, image.subarray(0, Math.min(image.length, k.sizeBytes(devNumberOf(logDev)))));
  };
  const readLog = async (): Promise<void> => {
    if (logDev === null || parsed.log.sync !== undefined) return;
    const size = Math.min(k.sizeBytes(devNumberOf(logDev)), MIRROR_LOG_BITSET_OFFSET_BYTES + bitsetBytes);
    const content = parseMirrorLog(await k.read(devNumberOf(logDev), 0, size));
    const next = Buffer.alloc(bitsetBytes);
    const known = content === null ? 0 : Math.min(content.regionCount, regionCount);
    for (let r = 0; r < known; r++) if (mirrorLogBit(content!.bits, r)) next[r >> 3]! |= 1 << (r & 7);
    sync = next;
  };

  /** `fn` per region-bounded piece of [offset, offset + length). */
  const pieces = async (offsetBytes: number, lengthBytes: number, fn: (region: number, at: number, n: number) => Promise<void>): Promise<void> => {
    let at = 0;
    while (at < lengthBytes) {
      const o = offsetBytes + at;
      const region = Math.floor(o / regionBytes);
      const n = Math.min(lengthBytes - at, (region + 1) * regionBytes - o);
      await fn(region, at, n);
      at += n;
    }
  };

  let running: Promise<void> | null = null;
  let stopRequested = false;
  let ready: Promise<void> = Promise.resolve();
  const step = async (): Promise<boolean> => {
    let r = 0;
    while (r < regionCount && inSync(r)) r++;
    if (r >= regionCount) return false;
    const start = r * regionBytes;
    const n = Math.min(regionBytes, lengthBytes - start);
    const data = await k.read(devNumberOf(legs[0]!.dev), legs[0]!.base + start, n);
    for (const leg of legs.slice(1)) await k.write(devNumberOf(leg.dev), leg.base + start, data);
    sync[r >> 3]! |= 1 << (r & 7);
    await writeLog();
    k.save();
    return true;
  };
  const loop = async (): Promise<void> => {
    await ready;
    for (;;) {
      await k.mergeGate();
      if (stopRequested) return;
      if (!(await serial(step))) return;
    }
  };

  return {
    type: 'mirror',
    startSector: ctx.startSector,
    lengthSectors: ctx.lengthSectors,
    deps: [...legs.map((l) => l.dev), ...(logDev === null ? [] : [logDev])],
    read: async (kk, o, len) => {
      await ready;
      return kk.read(devNumberOf(legs[0]!.dev), legs[0]!.base + o, len);
    },
    write: async (kk, o, data) => {
      await ready;
      await pieces(o, data.length, (region, at, n) =>
        serial(async () => {
          const part = data.subarray(at, at + n);
          for (const leg of inSync(region) ? legs : legs.slice(0, 1)) await kk.write(devNumberOf(leg.dev), leg.base + o + at, part);
        }),
      );
    },
    discard: async (kk, o, len) => {
      await ready;
      await pieces(o, len, (region, at, n) =>
        serial(async () => {
          for (const leg of inSync(region) ? legs : legs.slice(0, 1)) await kk.discard(devNumberOf(leg.dev), leg.base + o + at, n);
        }),
      );
    },
    tableText: () =>
      formatTargetParams({
        ...parsed,
        log: { ...parsed.log, ...(logDev === null ? {} : { device: logDev }) },
        legs: parsed.legs.map((l, i) => ({ device: legs[i]!.dev, offsetSectors: l.offsetSectors })),
      }),
    statusText: () =>
      formatMirrorStatus({
        legs: legs.map((l) => l.dev),
        health: legs.map(() => 'A' as const),
        inSyncRegions: countInSync(),
        totalRegions: regionCount,
        log: logDev === null ? { type: 'core' } : { type: 'disk', device: logDev, health: 'A' },
      }),
    resume: () => {
      stopRequested = false;
      if (running !== null) return;
      ready = serial(readLog);
      running = loop().finally(() => {
        running = null;
      });
    },
    presuspend: async () => {
      stopRequested = true;
      await serial(async () => {
        await writeLog();
      });
    },
    memory: (): MirrorMemory => ({ syncBits: sync.toString('base64') }),
  };
}
