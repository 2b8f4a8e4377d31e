/**
 * An active pool's volume devices in the kernel: which volumes are active, whether one is open,
 * adopting the devices a previous process left at activation, and how a volume is reported. Device names map back to
 * volumes through the catalog's name index (names.ts: `tf-<pool>-<volume>`, `-` doubled).
 * Everything here reads the kernel, except adoption and the resume of suspended devices.
 */
import type { DmDeviceInfo, ThinDeviceUsage, ThinMetadataSummary } from '@thinfleet/devmapper';
import type { ActiveDevice } from './batch-planner.js';
import { catalogIndex, type VolumeRecord } from './catalog-state.js';
import { ensureDevice, infoOrNull } from './device-tables.js';
import { EngineError } from './engine-error.js';
import { isHelperDeviceName, poolDevicePrefix, volumeDeviceName } from './names.js';
import { liveVolumeUuid, volumeDevice, volumeTable, type PoolCore } from './pool-core.js';
import { volumeInfo, type VolumeInfo } from './volume-info.js';

/**
 * This pool's volume devices from one DM_LIST_DEVICES: `active` by volume uuid, and `strays`,
 * devices with the pool's prefix whose name no volume has (helper devices of a flatten or a live
 * move are neither: pool-flatten.ts, volume-move.ts). Reads only.
 */
export async function listVolumeDevices(core: PoolCore): Promise<{ active: Map<string, ActiveDevice>; strays: string[] }> {
  const prefix = poolDevicePrefix(core.catalog.state.pool.name);
  const own = new Set(Object.values(core.names));
  const index = catalogIndex(core.catalog.state);
  const active = new Map<string, ActiveDevice>();
  const strays: string[] = [];
  for (const d of await core.dm.list()) {
    if (!d.name.startsWith(prefix) || own.has(d.name)) continue;
    const uuid = index.byName.get(d.name.slice(prefix.length).replaceAll('--', '-'));
    if (uuid !== undefined) active.set(uuid, { name: d.name });
    else if (!isHelperDeviceName(core.catalog.state.pool.name, d.name)) strays.push(d.name);
  }
  return { active, strays };
}

/** Active volume devices of this pool, by volume uuid. Reads only. */
export async function activeVolumeDevices(core: PoolCore): Promise<Map<string, ActiveDevice>> {
  return (await listVolumeDevices(core)).active;
}

/**
 * The state of every device with the pool's volume prefix (volumes' and strays', not the
 * pool's own), from one list. Reads only.
 */
export async function volumeDeviceInfos(core: PoolCore): Promise<DmDeviceInfo[]> {
  const prefix = poolDevicePrefix(core.catalog.state.pool.name);
  const own = new Set(Object.values(core.names));
  const infos: DmDeviceInfo[] = [];
  for (const d of await core.dm.list()) {
    if (!d.name.startsWith(prefix) || own.has(d.name)) continue;
    const info = await infoOrNull(core.dm, d.name);
    if (info) infos.push(info);
  }
  return infos;
}

/** The error for a volume that is open when it must not be (it is about to be deactivated and deleted). */
export function volumeBusy(volumeName: string, openCount: number, item?: string): EngineError {
  return new EngineError('VOLUME_BUSY', `volume "${volumeName}" is open (${openCount} opener(s)); close it before deleting`, item === undefined ? {} : { item });
}

/**
 * How many openers hold the device of volume `volumeName` (mounts, VMs, other devices'
 * tables): 0 when it has no device. Reads only; does not look the volume up in the catalog.
 */
export async function volumeOpenCount(core: PoolCore, volumeName: string): Promise<number> {
  const info = await infoOrNull(core.dm, volumeDeviceName(core.catalog.state.pool.name, volumeName));
  return info?.openCount ?? 0;
}

/**
 * Refuses, naming the item, when a volume about to be deactivated is open. Changes nothing.
 * @throws EngineError VOLUME_BUSY
 */
export async function requireNotOpen(core: PoolCore, volumes: ReadonlyArray<{ readonly uuid: string; readonly item: string }>): Promise<void> {
  for (const { uuid, item } of volumes) {
    const v = core.catalog.state.volumes[uuid];
    if (!v) continue;
    const info = await infoOrNull(core.dm, volumeDevice(core, v));
    if (info !== null && info.openCount > 0) throw volumeBusy(v.name, info.openCount, item);
  }
}

/**
 * Resumes the pool's devices (its own and its volumes') that a crash left suspended.
 * Idempotent.
 */
export async function resumeSuspendedDevices(core: PoolCore): Promise<void> {
  const prefix = poolDevicePrefix(core.catalog.state.pool.name);
  for (const d of await core.dm.list()) {
    if (!d.name.startsWith(prefix)) continue;
    const info = await core.dm.info(d.name);
    if (info.suspended) {
      core.logger.warn({ device: d.name }, 'resuming a device a crash left suspended');
      await core.dm.resume(d.name);
    }
  }
}

/**
 * Adopts active volume devices (node, table, suspension: each made to match its volume; a
 * volume a live move works on is left to its job) and logs strays, which are left alone. Idempotent. A device marked for deferred removal (a
 * fenced leftover still held open) keeps its error table until its opener lets go.
 */
export async function adoptActiveVolumes(core: PoolCore): Promise<void> {
  const { active, strays } = await listVolumeDevices(core);
  for (const [uuid, dev] of active) {
    if ((await infoOrNull(core.dm, dev.name))?.deferredRemove) continue;
    const v: VolumeRecord | undefined = core.catalog.state.volumes[uuid];
    if (v === undefined) continue; // Cannot happen: `active` maps names of catalog volumes.
    // A live move owns the table of its volume's device (a mirror, or the destination's thin
    // target before the rename): its job puts the device right (volume-move.ts).
    if (v.job?.kind === 'move') continue;
    await ensureDevice(core.dm, core.block, dev.name, await liveVolumeUuid(core, v, dev.name), volumeTable(core, v), { reloadIfDifferent: true });
  }
  for (const name of strays) {
    core.logger.warn({ device: name }, 'active device belongs to no volume of the catalog; left alone');
  }
}

/**
 * What list and show report of volume `v`: active when `active` has a device for it, with its
 * usage when `usage` was read (null: not read).
 */
export function describeVolume(core: PoolCore, v: VolumeRecord, active: ReadonlyMap<string, ActiveDevice>, usage: ThinMetadataSummary | null): VolumeInfo {
  const dev = active.get(v.uuid);
  const path = dev === undefined ? null : core.dm.devicePath(dev.name);
  const u: ThinDeviceUsage | undefined | null = usage === null ? null : usage.devices.get(v.thinId);
  return volumeInfo(core.catalog.state, v, { active: dev !== undefined, path }, u);
}
