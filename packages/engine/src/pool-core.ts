/**
 * What every part of an active pool shares: the clients, the catalog, the pool's devices and
 * their names. Pool, recovery and reconcile work on it.
 */
import type { CatalogStore } from '@thinfleet/catalog';
import { SECTOR_BYTES, ThinPoolControl, thinId, type BlockClient, type DmClient, type DmTableEntry } from '@thinfleet/devmapper';
import type { Logger } from 'pino';
import { catalogIndex, type CatalogRecord, type CatalogState, type VolumeRecord } from './catalog-state.js';
import { infoOrNull } from './device-tables.js';
import { isVolumeDeviceUuidOfAnyPool, poolDeviceNames, volumeDeviceName, volumeDeviceUuid } from './names.js';

export type PoolCatalog = CatalogStore<CatalogState, CatalogRecord>;

export interface PoolCore {
  readonly dm: DmClient;
  readonly block: BlockClient;
  readonly logger: Logger;
  readonly catalog: PoolCatalog;
  /** The pool's block devices, by device index. */
  readonly devicePaths: readonly string[];
  readonly names: { readonly pool: string; readonly meta: string; readonly data: string };
  readonly control: ThinPoolControl;
  readonly snapshotDeadlineMs: number;
  readonly now: () => number;
  readonly newUuid: () => string;
  /**
   * The block device for an external origin as the catalog records it (a regular file's loop
   * device, EngineOptions.resolveExternalOrigin); the path itself by default.
   */
  readonly resolveOrigin: (path: string) => string;
}

export function makePoolCore(fields: Omit<PoolCore, 'names' | 'control'>): PoolCore {
  const names = poolDeviceNames(fields.catalog.state.pool.name);
  return { ...fields, names, control: new ThinPoolControl(fields.dm, names.pool) };
}

/** The dm name of a volume's device. */
export function volumeDevice(core: PoolCore, volume: VolumeRecord): string {
  return volumeDeviceName(core.catalog.state.pool.name, volume.name);
}

/** The dm uuid of a volume's device. */
export function volumeUuid(core: PoolCore, volume: VolumeRecord): string {
  return volumeDeviceUuid(core.catalog.state.pool.uuid, volume.uuid);
}

/**
 * The uuid device `deviceName` of volume `volume` must have: the volume's own (volumeUuid), or,
 * when the device exists with the uuid it was made with in another pool (a live move renamed it
 * here, and the kernel keeps a device's uuid), that one. Reads the kernel only.
 */
export async function liveVolumeUuid(core: PoolCore, volume: VolumeRecord, deviceName: string): Promise<string> {
  const own = volumeUuid(core, volume);
  const info = await infoOrNull(core.dm, deviceName);
  return info !== null && info.uuid !== own && isVolumeDeviceUuidOfAnyPool(info.uuid, volume.uuid) ? info.uuid : own;
}

/** The thin table of a volume. */
export function volumeTable(core: PoolCore, volume: VolumeRecord): DmTableEntry[] {
  return [
    {
      startSector: 0,
      lengthSectors: volume.sizeBytes / SECTOR_BYTES,
      target: {
        type: 'thin',
        poolDevice: core.dm.devicePath(core.names.pool),
        thinId: thinId(volume.thinId),
        ...(volume.externalOrigin === null ? {} : { externalOrigin: core.resolveOrigin(volume.externalOrigin) }),
      },
    },
  ];
}

/** The committed volume with this uuid, if any. */
export function volumeByUuid(core: PoolCore, uuid: string): VolumeRecord | undefined {
  return core.catalog.state.volumes[uuid];
}

/** The committed volume with this name, if any. */
export function volumeByName(core: PoolCore, name: string): VolumeRecord | undefined {
  const state = core.catalog.state;
  const uuid = catalogIndex(state).byName.get(name);
  return uuid === undefined ? undefined : state.volumes[uuid];
}
