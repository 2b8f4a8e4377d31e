/**
 * Fencing a pool on shared storage: what a host does to its own device-mapper devices of a pool
 * the moment it may no longer hold the pool's cluster lock (its lease deadline passed, its
 * session was lost), and how it later gets rid of them.
 *
 * Why more than "stop calling the engine": the kernel's dm-thin pool keeps metadata changes in
 * memory (block allocations of in-flight writes, the space map) and commits them on its own:
 * every second, on a FLUSH from a volume, when the pool device is suspended, and when it is
 * destroyed. Once another host has been granted the pool and changed its metadata, any such
 * commit from this host would write a stale metadata tree over the new one and corrupt the
 * pool for everyone. So the fence never suspends or removes the pool device itself while it can
 * still reach the disks; it takes the disks away from under it:
 *
 * 1. every active volume of the pool is suspended with `noflush` (and without freezing a
 *    filesystem, which would write): its I/O is queued, not failed and not flushed (a flush
 *    would make the pool commit);
 * 2. the pool's metadata device (`_tmeta`) and data device (`_tdata`), the dm-linear devices the
 *    engine carves from the shared block devices, get `error` tables (load, suspend, resume):
 *    from then on nothing written through this host's kernel pool, not its periodic commit,
 *    not the commit when it is finally suspended or destroyed, reaches the shared devices. The
 *    kernel pool notices failed metadata I/O and drops to read-only or failed mode.
 *
 * The pool device (`_tpool`) is left alone: it is the one whose suspend or removal commits.
 *
 * Discarding the fenced devices later (when this host is granted the pool again, and must read
 * everything afresh from the devices): each volume device gets an `error` table and is resumed
 * (the I/O it queued fails, never reaching the disks), then removed (deferred if something
 * still holds it open); then the pool device is removed (its commit fails on the error table
 * underneath), then the metadata and data devices. Only then may the pool be activated again.
 *
 * Both steps find the devices by their names, so they work without a Pool object (after an
 * agent restart) and are idempotent: a crash in the middle is finished by the next call. Both
 * use only DmClient calls the conformance suite holds both implementations to (suspend with
 * noflush, load of an `error` table into a device in use, resume, deferred remove).
 */
import { hasErrorTable, isDmError, type DmClient, type PoolFenceReport } from '@thinfleet/devmapper';
import type { Logger } from 'pino';
import { infoOrNull } from './device-tables.js';
import { poolDeviceNames, poolDevicePrefix, poolFencePlan } from './names.js';

export type { PoolFenceReport } from '@thinfleet/devmapper';

/** Where a pool's devices stand in this host's kernel. */
export type PoolDeviceState =
  /** None of the pool's devices exist. */
  | 'absent'
  /** Some exist, and the metadata and data devices (where present) still reach the disks. */
  | 'live'
  /** The metadata or data device carries an error table: the pool was fenced and not yet discarded. */
  | 'fenced';

export interface PoolDiscardReport {
  /** Every device of the pool that was removed. */
  readonly removed: readonly string[];
  /** Volume devices still open: they keep their error table and go when their last opener closes. */
  readonly deferred: readonly string[];
}

export interface FenceOptions {
  readonly logger?: Logger;
  /**
   * How long the fence waits for the volume suspends before it swaps the metadata and data
   * devices anyway (default 500 ms). A volume's suspend waits for its in-flight I/O; the swap
   * must not wait for a stuck one.
   */
  readonly volumeSuspendWaitMs?: number;
}

/** The pool's devices in the kernel now: its own three (null when absent) and its volume devices. */
async function poolDevices(dm: DmClient, poolName: string): Promise<{ meta: string | null; data: string | null; pool: string | null; volumes: string[] }> {
  const prefix = poolDevicePrefix(poolName);
  const names = poolDeviceNames(poolName);
  const own = new Set<string>([names.meta, names.data, names.pool]);
  const present = new Set<string>();
  const volumes: string[] = [];
  for (const d of await dm.list()) {
    if (!d.name.startsWith(prefix)) continue;
    if (own.has(d.name)) present.add(d.name);
    else volumes.push(d.name);
  }
  const pick = (n: string): string | null => (present.has(n) ? n : null);
  return { meta: pick(names.meta), data: pick(names.data), pool: pick(names.pool), volumes };
}

/** The device's length in sectors from its live table (0 when it has none). */
async function lengthSectors(dm: DmClient, name: string): Promise<number> {
  return (await dm.table(name)).reduce((sum, t) => sum + t.lengthSectors, 0);
}

/** Where the pool's devices stand (see PoolDeviceState). Changes nothing. */
export async function poolDeviceState(dm: DmClient, poolName: string): Promise<PoolDeviceState> {
  const d = await poolDevices(dm, poolName);
  if (d.meta === null && d.data === null && d.pool === null && d.volumes.length === 0) return 'absent';
  for (const sub of [d.meta, d.data]) {
    if (sub !== null && (await hasErrorTable(dm, sub))) return 'fenced';
  }
  return 'live';
}

/**
 * Fences the pool's devices in this host's kernel (steps 1 and 2 of the module comment).
 * Call it at once when the host may have lost the pool's lock; it does not wait for anything
 * the engine is doing. Idempotent; a pool with no devices here is a no-op.
 * @throws the first error of the metadata or data swap (volume suspend errors are logged only):
 *   the caller must treat the pool as possibly still writable and say so loudly
 */
export async function fencePoolDevices(dm: DmClient, poolName: string, options: FenceOptions = {}): Promise<PoolFenceReport> {
  const log = options.logger;
  const report = await dm.fencePool(poolFencePlan(poolName), { volumeSuspendWaitMs: options.volumeSuspendWaitMs });
  for (const f of report.failedVolumes ?? []) log?.error({ device: f.device, code: f.code, err: f.message }, 'fence: volume device did not suspend');
  if (report.slowVolumes.length > 0) log?.error({ devices: report.slowVolumes }, 'fence: volume suspends still running; swapping the pool devices anyway');
  return report;
}

/** Removes `name`; when it is open, marks it for removal on last close. Returns false then. */
async function removeOrDefer(dm: DmClient, name: string): Promise<boolean> {
  try {
    await dm.remove(name);
    return true;
  } catch (err) {
    if (isDmError(err, 'ENXIO')) return true;
    if (!isDmError(err, 'EBUSY')) throw err;
  }
  await dm.remove(name, { deferred: true });
  return false;
}

/**
 * Removes every device of a fenced pool from this host's kernel without letting anything reach
 * the shared devices (see the module comment); a pool that is still live is fenced first.
 * Precondition: no Pool object of the engine uses these devices any more (Engine.fencePool
 * dropped it). Idempotent.
 * @throws DmError when a device cannot be removed; the devices that were are gone, and the call
 *   may be repeated
 */
export async function discardPoolDevices(dm: DmClient, poolName: string, options: FenceOptions = {}): Promise<PoolDiscardReport> {
  if ((await poolDeviceState(dm, poolName)) === 'live') await fencePoolDevices(dm, poolName, options);
  const d = await poolDevices(dm, poolName);
  const removed: string[] = [];
  const deferred: string[] = [];
  for (const name of d.volumes.sort()) {
    const info = await infoOrNull(dm, name);
    if (info === null) continue;
    if (info.deferredRemove) {
      deferred.push(name);
      continue;
    }
    if (!(await hasErrorTable(dm, name))) {
      const sectors = Math.max(1, await lengthSectors(dm, name));
      await dm.load(name, [{ startSector: 0, lengthSectors: sectors, type: 'error', params: '' }]);
    }
    // Resuming makes the error table live; I/O the fence queued fails now.
    await dm.resume(name);
    if (await removeOrDefer(dm, name)) removed.push(name);
    else {
      deferred.push(name);
      options.logger?.warn({ device: name }, 'a fenced volume device is still open: it fails every I/O and goes when its last opener closes');
    }
  }
  for (const name of [d.pool, d.data, d.meta]) {
    if (name === null) continue;
    const info = await infoOrNull(dm, name);
    if (info === null) continue;
    if (info.suspended) await dm.resume(name);
    await dm.remove(name);
    removed.push(name);
  }
  return { removed, deferred };
}
