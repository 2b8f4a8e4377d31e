/**
 * Whether a block device may be an external origin of a pool's volume: never a device of the
 * pool itself, since a volume over its own pool stacks the pool on itself (its writes would
 * change what it reads from). Refused: the pool's own devices (by device index), any loop
 * device over a file that is one of them, the pool's dm devices (_tmeta, _tdata, _tpool), its
 * thin volumes (they sit on _tpool), and anything stacked on any of these (dm tables, walked
 * through DmClient.deps). Read-only; works on the kernel and the simulated kernel alike.
 */
import { formatDevNumber, readDmStack, type DevNumber } from '@thinfleet/devmapper';
import type { BatchItem } from './batch-item.js';
import type { PoolCore } from './pool-core.js';

/** Loop devices' block major on Linux (and in the simulated kernel). */
const LOOP_MAJOR = 7;

async function devOf(core: PoolCore, path: string): Promise<DevNumber | null> {
  try {
    return await core.block.deviceNumber(path);
  } catch {
    return null;
  }
}

async function backingOf(core: PoolCore, path: string): Promise<string | null> {
  try {
    return await core.block.loopBackingFile(path);
  } catch {
    return null;
  }
}

/**
 * Why `blockPath` (the block device an external origin names, `shownAs` in messages) cannot be
 * an origin of `core`'s pool, or null when it can (or is no block device: the planner reports
 * that).
 */
export async function externalOriginProblem(core: PoolCore, blockPath: string, shownAs: string): Promise<string | null> {
  const dev = await devOf(core, blockPath);
  if (dev === null) return null;
  const pool = core.catalog.state.pool.name;
  const own = new Map<string, string>();
  const ownFiles = new Map<string, string>();
  for (const [i, path] of core.devicePaths.entries()) {
    const d = await devOf(core, path);
    if (d !== null) own.set(formatDevNumber(d), i === 0 ? `its device 0 (${path}), which holds its metadata` : `its device ${i} (${path})`);
    const file = await backingOf(core, path);
    if (file !== null) ownFiles.set(file, `its device ${i} (a loop device over ${file})`);
  }
  const stack = await readDmStack(core.dm);
  // The pool's own dm devices; its thin volumes (and anything over them) sit on _tpool.
  for (const name of [core.names.pool, core.names.meta, core.names.data]) {
    const info = await core.dm.info(name).catch(() => null);
    if (info !== null) own.set(formatDevNumber(info.dev), `its device-mapper device ${name}`);
  }
  for (const key of stack.below(dev)) {
    const why = own.get(key);
    const [major, minor] = key.split(':').map(Number) as [number, number];
    const direct = key === formatDevNumber(dev);
    if (why !== undefined) return `external origin ${shownAs} ${direct ? 'is' : 'is stacked on'} ${why} of pool ${pool}: a pool cannot be the origin of its own volumes`;
    if (major === LOOP_MAJOR) {
      const file = await backingOf(core, `/dev/loop${minor}`);
      const whyFile = file === null ? undefined : ownFiles.get(file);
      if (whyFile !== undefined)
        return `external origin ${shownAs} ${direct ? 'is a loop device over the same file as' : 'is stacked on a loop device over the same file as'} ${whyFile} of pool ${pool}: a pool cannot be the origin of its own volumes`;
    }
  }
  return null;
}

/**
 * What a batch's planner needs to know of the external origins its create-external items name
 * (each path once): the size of each that is a block device, and why one of those cannot be
 * an origin of this pool. A path that is no block device is in neither map; the planner
 * rejects its item by name. Reads only.
 */
export async function resolveExternalOrigins(core: PoolCore, items: readonly BatchItem[]): Promise<{ sizes: Map<string, number>; problems: Map<string, string> }> {
  const sizes = new Map<string, number>();
  const problems = new Map<string, string>();
  for (const item of items) {
    if (item?.op !== 'create-external' || typeof item.externalOrigin !== 'string' || sizes.has(item.externalOrigin) || problems.has(item.externalOrigin)) continue;
    const path = item.externalOrigin;
    const device = core.resolveOrigin(path);
    try {
      await core.block.deviceNumber(device);
      sizes.set(path, await core.block.sizeBytes(device));
    } catch {
      continue; // Not a block device: the planner rejects the item by name.
    }
    const problem = await externalOriginProblem(core, device, path);
    if (problem !== null) problems.set(path, problem);
  }
  return { sizes, problems };
}
