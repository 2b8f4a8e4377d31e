/**
 * A pool's own device-mapper devices: `_tmeta` (dm-linear over the metadata region of device
 * 0), `_tdata` (dm-linear joining every device's data region) and `_tpool` (thin-pool over the
 * two). Activation creates or adopts them in that order; deactivation removes them in reverse.
 */
import { NO_THIN_POOL_FEATURES, parseTable, SECTOR_BYTES, type BlockClient, type DmClient, type DmTableEntry } from '@thinfleet/devmapper';
import { noSpaceModeOf, type PoolRecord } from './catalog-state.js';
import { ensureDevice, infoOrNull, liveTableMatches, removeDevice, type EnsureResult } from './device-tables.js';
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
        features: { ...NO_THIN_POOL_FEATURES, errorIfNoSpace: noSpaceModeOf(pool) === 'error' },
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
 * True when `name`'s live table is the first entries of `expected` (or all of it): what a pool
 * extend that a crash interrupted leaves on the data device once the catalog has the new
 * extent. Only then may the live table be replaced: existing extents never move.
 */
async function livePrefixOf(dm: DmClient, block: BlockClient, name: string, expected: readonly DmTableEntry[]): Promise<boolean> {
  const live = (await dm.table(name)).length;
  if (live === 0 || live > expected.length) return false;
  return liveTableMatches(dm, block, name, expected.slice(0, live));
}

/**
 * True when the thin-pool's live table differs from `expected` only in its length (not longer),
 * its low water mark and its features (error_if_no_space): the changes `pool extend` and
 * `pool set` make.
 */
async function poolTableGrowable(dm: DmClient, block: BlockClient, name: string, expected: readonly DmTableEntry[]): Promise<boolean> {
  const want = expected[0]!;
  if (want.target.type !== 'thin-pool' || expected.length !== 1) return false;
  const live = parseTable(await dm.table(name));
  const have = live[0];
  if (live.length !== 1 || have === undefined || have.target.type !== 'thin-pool' || have.lengthSectors > want.lengthSectors) return false;
  // Same devices and block size; the length, the low water mark and the features may differ.
  return liveTableMatches(dm, block, name, [
    { ...want, lengthSectors: have.lengthSectors, target: { ...want.target, lowWaterMarkBlocks: have.target.lowWaterMarkBlocks, features: have.target.features } },
  ]);
}

/**
 * Creates or adopts the pool's devices. Idempotent; a crash between any two steps leaves
 * devices the next call adopts or completes. Live data and pool devices of this pool that lack
 * an extent or a setting the catalog has (a `pool extend` or `pool set` interrupted after its
 * catalog record) are reloaded to the catalog's tables: the data device first, then the pool
 * (which grows its data size at resume, as the kernel's pool_preresume does).
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
  const dataGrows = (await liveAndOwned(dm, names.data, uuids.data)) && (await livePrefixOf(dm, block, names.data, tables.data));
  const data = await ensureDevice(dm, block, names.data, uuids.data, tables.data, { reloadIfDifferent: dataGrows });
  const poolGrows = (await liveAndOwned(dm, names.pool, uuids.pool)) && (await poolTableGrowable(dm, block, names.pool, tables.pool));
  const thinPool = await ensureDevice(dm, block, names.pool, uuids.pool, tables.pool, { reloadIfDifferent: poolGrows });
  return { meta, data, pool: thinPool };
}

/** True when device `name` exists with dm uuid `uuid` and a live table. */
async function liveAndOwned(dm: DmClient, name: string, uuid: string): Promise<boolean> {
  const info = await infoOrNull(dm, name);
  return info !== null && info.uuid === uuid && info.liveTable;
}

/** Removes the pool's devices (pool first). Idempotent. Volumes must already be gone. */
export async function removePoolDevices(dm: DmClient, poolName: string): Promise<void> {
  const names = poolDeviceNames(poolName);
  await removeDevice(dm, names.pool, `pool ${poolName}`);
  await removeDevice(dm, names.data, `pool ${poolName} data device`);
  await removeDevice(dm, names.meta, `pool ${poolName} metadata device`);
}
