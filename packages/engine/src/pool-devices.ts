/**
 * A pool's own device-mapper devices: `_tmeta` (dm-linear over the metadata region of device
 * 0), `_tdata` (dm-linear joining every device's data region) and `_tpool` (thin-pool over the
 * two). Activation creates or adopts them in that order; deactivation removes them in reverse.
 */
import { NO_THIN_POOL_FEATURES, SECTOR_BYTES, type BlockClient, type DmClient, type DmTableEntry } from '@thinfleet/devmapper';
import type { PoolRecord } from './catalog-state.js';
import { ensureDevice, removeDevice, type EnsureResult } from './device-tables.js';
import { poolDeviceNames } from './names.js';

const sectors = (bytes: number): number => bytes / SECTOR_BYTES;

/** The three tables of a pool on `devicePaths` (by device index). */
export function poolTables(pool: PoolRecord, devicePaths: readonly string[], dm: DmClient): { meta: DmTableEntry[]; data: DmTableEntry[]; pool: DmTableEntry[] } {
  const { layout } = pool;
  const names = poolDeviceNames(pool.name);
  const meta: DmTableEntry[] = [
    {
      startSector: 0,
      lengthSectors: sectors(layout.metadata.lengthBytes),
      target: { type: 'linear', device: devicePaths[layout.metadata.deviceIndex]!, offsetSectors: sectors(layout.metadata.offsetBytes) },
    },
  ];
  const data: DmTableEntry[] = [];
  let at = 0;
  for (const extent of layout.data) {
    data.push({
      startSector: at,
      lengthSectors: sectors(extent.lengthBytes),
      target: { type: 'linear', device: devicePaths[extent.deviceIndex]!, offsetSectors: sectors(extent.offsetBytes) },
    });
    at += sectors(extent.lengthBytes);
  }
  const thinPool: DmTableEntry[] = [
    {
      startSector: 0,
      lengthSectors: at,
      target: {
        type: 'thin-pool',
        metadataDevice: dm.devicePath(names.meta),
        dataDevice: dm.devicePath(names.data),
        dataBlockSectors: sectors(layout.dataBlockBytes),
        lowWaterMarkBlocks: pool.lowWaterMarkBlocks,
        features: NO_THIN_POOL_FEATURES,
      },
    },
  ];
  return { meta, data, pool: thinPool };
}

/** dm uuids of a pool's own devices. */
export function poolDeviceUuids(poolUuid: string): { pool: string; meta: string; data: string } {
  return { pool: `TF-${poolUuid}-tpool`, meta: `TF-${poolUuid}-tmeta`, data: `TF-${poolUuid}-tdata` };
}

/**
 * Creates or adopts the pool's devices. Idempotent; a crash between any two steps leaves
 * devices the next call adopts or completes.
 */
export async function ensurePoolDevices(
  dm: DmClient,
  block: BlockClient,
  pool: PoolRecord,
  devicePaths: readonly string[],
): Promise<{ meta: EnsureResult; data: EnsureResult; pool: EnsureResult }> {
  const names = poolDeviceNames(pool.name);
  const uuids = poolDeviceUuids(pool.uuid);
  const tables = poolTables(pool, devicePaths, dm);
  const meta = await ensureDevice(dm, block, names.meta, uuids.meta, tables.meta);
  const data = await ensureDevice(dm, block, names.data, uuids.data, tables.data);
  const thinPool = await ensureDevice(dm, block, names.pool, uuids.pool, tables.pool);
  return { meta, data, pool: thinPool };
}

/** Removes the pool's devices (pool first). Idempotent. Volumes must already be gone. */
export async function removePoolDevices(dm: DmClient, poolName: string): Promise<void> {
  const names = poolDeviceNames(poolName);
  await removeDevice(dm, names.pool, `pool ${poolName}`);
  await removeDevice(dm, names.data, `pool ${poolName} data device`);
  await removeDevice(dm, names.meta, `pool ${poolName} metadata device`);
}
