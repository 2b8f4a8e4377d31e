/**
 * The pool fence of pool-fence-plan.ts written over DmClient calls: what SimDmClient.fencePool
 * runs (the native client runs the same steps in C++ on a thread of its own, dm-native's
 * fence.cc). Both are held to the fencePool conformance test.
 *
 * Crash story: every step is a kernel state change that survives this process, and every step
 * is skipped when already done (a suspended volume, an `error` table), so a crash at any point
 * is finished by the next call.
 */
import type { DmClient, DmDeviceInfo } from '../dm-client.js';
import { DmError, isDmError } from '../dm-error.js';
import { DEFAULT_VOLUME_SUSPEND_WAIT_MS, type PoolFenceOptions, type PoolFencePlan, type PoolFenceReport } from './pool-fence-plan.js';

/** How often the swap of one device is tried when its live table is not `error` afterwards. */
export const FENCE_SWAP_ATTEMPTS = 3;

/** The device's state, or null when it does not exist (any more). */
async function infoOrNull(dm: DmClient, name: string): Promise<DmDeviceInfo | null> {
  try {
    return await dm.info(name);
  } catch (err) {
    if (isDmError(err, 'ENXIO')) return null;
    throw err;
  }
}

/** True when `name` has a live table and every target of it is `error`. */
export async function hasErrorTable(dm: DmClient, name: string): Promise<boolean> {
  const live = await dm.table(name);
  return live.length > 0 && live.every((t) => t.type === 'error');
}

/**
 * Replaces `name`'s table by an `error` table of the same length (at least one sector): load,
 * suspend (noflush, no filesystem freeze), resume, then check the live table, retrying if a
 * concurrent caller's table won. Returns false when the device was erroring already.
 */
async function swapToError(dm: DmClient, name: string): Promise<boolean> {
  const live = await dm.table(name);
  if (live.length > 0 && live.every((t) => t.type === 'error')) return false;
  const sectors = Math.max(
    1,
    live.reduce((sum, t) => sum + t.lengthSectors, 0),
  );
  for (let attempt = 1; ; attempt++) {
    await dm.load(name, [{ startSector: 0, lengthSectors: sectors, type: 'error', params: '' }]);
    await dm.suspend(name, { noFlush: true, skipLockfs: true });
    await dm.resume(name);
    if (await hasErrorTable(dm, name)) return true;
    if (attempt >= FENCE_SWAP_ATTEMPTS) throw new DmError('EIO', 'DM_TABLE_LOAD', name, `the error table did not stay live after ${FENCE_SWAP_ATTEMPTS} attempts`);
  }
}

/** A volume device whose suspend failed, as the report gives it. */
function volumeError(device: string, err: unknown): { device: string; code: string; message: string } {
  const code = isDmError(err) ? err.code : 'EIO';
  return { device, code, message: err instanceof Error ? err.message : String(err) };
}

/**
 * Fences the pool `plan` names through `dm`'s calls (the steps of pool-fence-plan.ts).
 * Idempotent; a pool with no devices is a no-op.
 * @throws the first error of the metadata or data swap (volume suspend errors are only
 *   reported): the caller must treat the pool as possibly still writable
 */
export async function fencePoolByCalls(dm: DmClient, plan: PoolFencePlan, options: PoolFenceOptions = {}): Promise<PoolFenceReport> {
  const own = new Set([plan.metaDevice, plan.dataDevice, plan.poolDevice]);
  const present = new Set<string>();
  const volumes: string[] = [];
  for (const d of await dm.list()) {
    if (!d.name.startsWith(plan.devicePrefix)) continue;
    if (own.has(d.name)) present.add(d.name);
    else volumes.push(d.name);
  }
  const suspendedVolumes: string[] = [];
  const failedVolumes: { device: string; code: string; message: string }[] = [];
  const pending = new Set(volumes);
  const suspends = volumes.map(async (name) => {
    try {
      const info = await infoOrNull(dm, name);
      if (info === null || info.suspended || (await hasErrorTable(dm, name))) return;
      await dm.suspend(name, { noFlush: true, skipLockfs: true });
      suspendedVolumes.push(name);
    } catch (err) {
      if (!isDmError(err, 'ENXIO')) failedVolumes.push(volumeError(name, err));
    } finally {
      pending.delete(name);
    }
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(suspends),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.volumeSuspendWaitMs ?? DEFAULT_VOLUME_SUSPEND_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  const slowVolumes = [...pending].sort();
  const erroredDevices: string[] = [];
  // Metadata first: it is what a stale commit would overwrite.
  for (const sub of [plan.metaDevice, plan.dataDevice]) {
    if (present.has(sub) && (await swapToError(dm, sub))) erroredDevices.push(sub);
  }
  const report = { suspendedVolumes: suspendedVolumes.sort(), erroredDevices, slowVolumes };
  return failedVolumes.length === 0 ? report : { ...report, failedVolumes: failedVolumes.sort((a, b) => (a.device < b.device ? -1 : 1)) };
}
