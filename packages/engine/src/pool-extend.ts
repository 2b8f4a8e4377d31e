/**
 * Growing an active pool's data region (`pool extend`, by hand or by autoextend), the way
 * `lvextend` grows a thin pool's data LV: a new extent is appended to the dm-linear data device
 * and the thin-pool table is reloaded with the larger length; the kernel grows the pool's data
 * size at resume (pool_preresume) and leaves out-of-data-space mode.
 *
 * The extent comes from a new device (it gets a label: the next device index, the larger device
 * count) or from the free space after the last extent of one of the pool's own devices (a spare
 * that autoextend takes step by step, or a device that grew).
 *
 * Steps, and what a crash after each leaves on disk:
 * 1. (new device) its label is written: index n, count n+1. Nothing else refers to it; the pool
 *    activates as before (discovery takes the largest count, the catalog knows n devices). A
 *    retry of the extend finds its own leftover label and reuses the device.
 * 2. (new device) `recordDevice(n)`: the agent records the device path durably, so a restart
 *    passes it to activation. A crash here: as after 1; the extra device is harmless.
 * 3. the catalog record `extend` is appended durably: this is the commit point. From here the
 *    catalog's layout has the extent; activation builds (after a reboot) or reloads (devices still
 *    live: the data table is a prefix of the catalog's, the pool table shorter) the larger
 *    tables (pool-devices.ts). A missing device n refuses activation with POOL_INCOMPLETE.
 * 4. the data device is reloaded with the appended segment, then the thin-pool with the larger
 *    length. A crash between the two leaves a larger data device under a pool of the old size,
 *    which activation completes as in 3.
 * 5. (new device) the other devices' labels are rewritten with the larger count, device 0 last.
 *    A crash here leaves labels with mixed counts; discovery takes the largest.
 * Nothing in these steps moves or rewrites an existing extent, so data already written is safe
 * at every step.
 */
import { readLabel, writeLabel, type PoolLabel } from '@thinfleet/catalog';
import { isDmError, parseTable, type DmTarget } from '@thinfleet/devmapper';
import { blockCatalogDevice } from './block-catalog-device.js';
import { EngineError } from './engine-error.js';
import { defaultMetadataBytes, LAYOUT_ALIGN_BYTES, type DeviceExtent } from './layout.js';
import type { PoolCore } from './pool-core.js';
import { ensurePoolDevices } from './pool-devices.js';

export interface ExtendRequest {
  /** A block device: a new one, or one of the pool's devices with free space after its last extent. */
  readonly devicePath: string;
  /** Bytes to add, rounded down to the data block size; null for all the free space. */
  readonly sizeBytes: number | null;
  /**
   * Called after a new device's label is written and before the catalog records the extent:
   * the caller records the device durably (the agent's registry). Not called for one of the
   * pool's own devices. A rejection stops the extend before its commit point.
   */
  readonly recordDevice?: (deviceIndex: number) => Promise<void>;
}

export interface ExtendResult {
  /** Bytes the data region grew by. */
  readonly addedBytes: number;
  readonly extent: DeviceExtent;
  /** True when the device joined the pool now. */
  readonly newDevice: boolean;
}

const alignDown = (n: number, to: number): number => Math.floor(n / to) * to;

/** The block devices a target reads from, as written in its table. */
function targetDevices(target: DmTarget): string[] {
  // Alike by design with touched() in the agent's volume-service.ts (duplicates pairs them by shape): two switches over unrelated unions.
  switch (target.type) {
    case 'linear':
      return [target.device];
    case 'thin-pool':
      return [target.metadataDevice, target.dataDevice];
    case 'thin':
      return target.externalOrigin === undefined ? [] : [target.externalOrigin];
    default:
      return [];
  }
}

/** The device-mapper device whose table uses block device `number` (`major:minor`), if any. */
async function dmUserOf(core: PoolCore, number: string): Promise<string | null> {
  for (const d of await core.dm.list()) {
    let lines;
    try {
      lines = await core.dm.table(d.name);
    } catch (err) {
      if (isDmError(err, 'ENXIO')) continue;
      throw err;
    }
    for (const entry of parseTable(lines)) {
      for (const dev of targetDevices(entry.target)) {
        const n = /^\d+:\d+$/.test(dev)
          ? dev
          : await core.block.deviceNumber(dev).then(
              (x) => `${x.major}:${x.minor}`,
              () => dev,
            );
        if (n === number) return d.name;
      }
    }
  }
  return null;
}

/**
 * Where the new extent goes: after the last extent of one of the pool's devices, or at the
 * start of a new device (after its label, aligned like pool creation's).
 * @throws EngineError DEVICE_UNUSABLE (named in the message) for a device that is not a block
 *   device, carries another pool's (or a damaged) label, or is used by a device-mapper device;
 *   INVALID_ARGUMENT when it (or the size asked for) has no room for one data block.
 */
async function placeExtent(core: PoolCore, request: ExtendRequest): Promise<{ extent: DeviceExtent; deviceSizeBytes: number; newDevice: boolean }> {
  const pool = core.catalog.state.pool;
  const layout = pool.layout;
  const block = layout.dataBlockBytes;
  const path = request.devicePath;
  let number: string;
  let deviceSizeBytes: number;
  try {
    const n = await core.block.deviceNumber(path);
    number = `${n.major}:${n.minor}`;
    deviceSizeBytes = await core.block.sizeBytes(path);
  } catch (err) {
    throw new EngineError('DEVICE_UNUSABLE', `${path} is not a block device`, { cause: err });
  }
  // The catalog's devices; activation may have been given more (a leftover of an extend that
  // never committed carries this pool's label), which are not the pool's yet.
  const catalogDevices = pool.deviceSizesBytes.length;
  let index = -1;
  for (const [i, own] of core.devicePaths.slice(0, catalogDevices).entries()) {
    const n = await core.block.deviceNumber(own).catch(() => null);
    if (own === path || (n !== null && `${n.major}:${n.minor}` === number)) index = i;
  }
  const limit = (free: number): number => alignDown(request.sizeBytes === null ? free : Math.min(free, request.sizeBytes), block);
  if (index >= 0) {
    const end = Math.max(
      ...layout.data.filter((e) => e.deviceIndex === index).map((e) => e.offsetBytes + e.lengthBytes),
      index === 0 ? layout.metadata.offsetBytes + layout.metadata.lengthBytes : 0,
    );
    const lengthBytes = limit(deviceSizeBytes - end);
    if (lengthBytes < block) {
      throw new EngineError(
        'INVALID_ARGUMENT',
        `${path} is device ${index} of pool ${pool.name} and has no free space left after its data for one ${block}-byte data block (${Math.max(0, deviceSizeBytes - end)} bytes free${request.sizeBytes === null ? '' : `, ${request.sizeBytes} asked for`})`,
      );
    }
    return { extent: { deviceIndex: index, offsetBytes: end, lengthBytes }, deviceSizeBytes, newDevice: false };
  }
  let label: PoolLabel | null;
  try {
    label = await readLabel(blockCatalogDevice(core.block, path));
  } catch (err) {
    throw new EngineError('DEVICE_UNUSABLE', `${path} carries a damaged thinfleet label; it may belong to a pool: wipe it by hand if it does not`, { cause: err });
  }
  const leftover = label !== null && label.poolUuid === pool.uuid && label.deviceIndex >= catalogDevices;
  if (label !== null && !leftover) {
    const whose = label.poolUuid === pool.uuid ? 'this pool' : `pool ${label.poolName}`;
    throw new EngineError('DEVICE_UNUSABLE', `${path} carries the label of ${whose} (device ${label.deviceIndex}): it is in use`);
  }
  const user = await dmUserOf(core, number);
  if (user !== null) throw new EngineError('DEVICE_UNUSABLE', `${path} is in use by device-mapper device ${user}`);
  const offsetBytes = Math.max(LAYOUT_ALIGN_BYTES, block);
  const lengthBytes = limit(deviceSizeBytes - offsetBytes);
  if (lengthBytes < block) {
    throw new EngineError(
      'INVALID_ARGUMENT',
      `${path} (${deviceSizeBytes} bytes${request.sizeBytes === null ? '' : `, ${request.sizeBytes} asked for`}) is too small: it needs ${offsetBytes} bytes for its label plus one ${block}-byte data block`,
    );
  }
  return { extent: { deviceIndex: catalogDevices, offsetBytes, lengthBytes }, deviceSizeBytes, newDevice: true };
}

/**
 * Grows the pool's data region by one extent. Precondition: the caller holds the pool's mutex
 * and the pool has no pending intent. See the module comment for the steps and the crash story.
 * Not idempotent (each call adds space); a call that failed before its commit point may be
 * repeated with the same device.
 * @throws EngineError DEVICE_UNUSABLE, INVALID_ARGUMENT, or the device-mapper's error from the reload (the catalog
 *   has the extent then, and the pool's next activation completes the reload)
 */
export async function extendPoolData(core: PoolCore, request: ExtendRequest): Promise<ExtendResult> {
  const { extent, deviceSizeBytes, newDevice } = await placeExtent(core, request);
  const before = core.catalog.state.pool;
  const labelOf = (deviceIndex: number, sizeBytes: number, count: number): PoolLabel => ({
    formatVersion: 1,
    poolUuid: before.uuid,
    poolName: before.name,
    deviceIndex,
    deviceCount: count,
    deviceSizeBytes: sizeBytes,
    createdAtMs: before.createdAtMs,
    catalog: deviceIndex === 0 ? before.layout.catalog : null,
  });
  if (newDevice) {
    await writeLabel(blockCatalogDevice(core.block, request.devicePath), labelOf(extent.deviceIndex, deviceSizeBytes, extent.deviceIndex + 1));
    await request.recordDevice?.(extent.deviceIndex);
  }
  const dataBlocks = before.layout.dataBlocks + extent.lengthBytes / before.layout.dataBlockBytes;
  await core.catalog.append({ t: 'extend', extent, deviceSizeBytes, lowWaterMarkBlocks: Math.floor(dataBlocks / 20) });
  // The new device takes index n, in place of any leftover activation was given there.
  if (newDevice) (core.devicePaths as string[]).splice(extent.deviceIndex, Infinity, request.devicePath);
  const after = core.catalog.state.pool;
  await ensurePoolDevices(core.dm, core.block, after, core.devicePaths);
  if (newDevice) {
    for (let i = extent.deviceIndex - 1; i >= 0; i--) {
      await writeLabel(blockCatalogDevice(core.block, core.devicePaths[i]!), labelOf(i, after.deviceSizesBytes[i]!, extent.deviceIndex + 1));
    }
  }
  const wanted = defaultMetadataBytes(after.layout.dataBlocks * after.layout.dataBlockBytes, after.layout.dataBlockBytes);
  if (wanted > after.layout.metadata.lengthBytes) {
    core.logger.warn(
      { metadataBytes: after.layout.metadata.lengthBytes, suggestedBytes: wanted },
      'the kernel metadata region is smaller than this data size would get at pool creation; watch metadata use',
    );
  }
  core.logger.info({ device: request.devicePath, deviceIndex: extent.deviceIndex, addedBytes: extent.lengthBytes, dataBlocks }, 'pool data extended');
  return { addedBytes: extent.lengthBytes, extent, newDevice };
}
