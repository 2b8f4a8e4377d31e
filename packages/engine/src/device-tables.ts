/**
 * Creating or adopting one device-mapper device with an expected table: the split
 * devicemapper-rs makes between `create` and `setup`. A device that exists (this process
 * restarted, the kernel kept it) is adopted when its live table matches and is left alone
 * otherwise; a device a crash left without a table gets one; a device a crash left suspended
 * is resumed.
 */
import { isDmError, parseTable, toTargetLines, type BlockClient, type DmClient, type DmDeviceInfo, type DmTableEntry, type DmTarget } from '@thinfleet/devmapper';
import { EngineError } from './engine-error.js';

/** The device's state, or null when there is no device of that name. */
export async function infoOrNull(dm: DmClient, name: string): Promise<DmDeviceInfo | null> {
  try {
    return await dm.info(name);
  } catch (err) {
    if (isDmError(err, 'ENXIO')) return null;
    throw err;
  }
}

/** Replaces device paths in a target by `major:minor`, the way the kernel prints tables. */
async function normalizeTarget(block: BlockClient, target: DmTarget): Promise<DmTarget> {
  const dev = async (path: string): Promise<string> => {
    if (/^\d+:\d+$/.test(path)) return path;
    const n = await block.deviceNumber(path);
    return `${n.major}:${n.minor}`;
  };
  switch (target.type) {
    case 'linear':
      return { ...target, device: await dev(target.device) };
    case 'thin-pool':
      return { ...target, metadataDevice: await dev(target.metadataDevice), dataDevice: await dev(target.dataDevice) };
    case 'thin':
      return {
        ...target,
        poolDevice: await dev(target.poolDevice),
        ...(target.externalOrigin === undefined ? {} : { externalOrigin: await dev(target.externalOrigin) }),
      };
    default:
      return target;
  }
}

/** True when the device's live table is `expected` (devices compared by number). */
export async function liveTableMatches(dm: DmClient, block: BlockClient, name: string, expected: readonly DmTableEntry[]): Promise<boolean> {
  const live = parseTable(await dm.table(name));
  if (live.length !== expected.length) return false;
  for (let i = 0; i < live.length; i++) {
    const a = live[i]!;
    const b = expected[i]!;
    if (a.startSector !== b.startSector || a.lengthSectors !== b.lengthSectors) return false;
    const [na, nb] = [await normalizeTarget(block, a.target), await normalizeTarget(block, b.target)];
    if (JSON.stringify(na) !== JSON.stringify(nb)) return false;
  }
  return true;
}

export interface EnsureResult {
  /** `created`: made now; `adopted`: it was there with this table; `repaired`: it was there without a table or suspended. */
  readonly outcome: 'created' | 'adopted' | 'repaired';
  readonly info: DmDeviceInfo;
}

/**
 * Makes device `name` live with table `entries`: creates it, or adopts an existing one.
 * Idempotent. Crash story: a crash after create and before resume leaves a device with no live
 * table (or an inactive one), which the next call loads and resumes; a crash inside create,
 * before its /dev/mapper node was made, leaves a device the next call gives its node.
 * @param reloadIfDifferent load `entries` over a live table that differs (a grown volume) instead of failing.
 * @throws EngineError DEVICE_MISMATCH when a live table differs and reloading is not allowed.
 */
export async function ensureDevice(
  dm: DmClient,
  block: BlockClient,
  name: string,
  uuid: string,
  entries: readonly DmTableEntry[],
  options: { reloadIfDifferent?: boolean } = {},
): Promise<EnsureResult> {
  const existing = await infoOrNull(dm, name);
  if (existing === null) {
    await dm.create(name, { uuid });
    try {
      await dm.load(name, toTargetLines(entries));
      return { outcome: 'created', info: await dm.resume(name) };
    } catch (err) {
      await dm.remove(name).catch(() => undefined);
      throw err;
    }
  }
  if (existing.uuid !== uuid) {
    throw new EngineError('DEVICE_MISMATCH', `device-mapper device ${name} exists with uuid "${existing.uuid}", not ${uuid}`);
  }
  // A crash between DM_DEV_CREATE and making the node leaves the device without /dev/mapper/NAME.
  await dm.ensureNode(name);
  if (!existing.liveTable) {
    await dm.load(name, toTargetLines(entries));
    return { outcome: 'repaired', info: await dm.resume(name) };
  }
  if (!(await liveTableMatches(dm, block, name, entries))) {
    if (!options.reloadIfDifferent) {
      throw new EngineError('DEVICE_MISMATCH', `device-mapper device ${name} has a table other than the catalog describes`);
    }
    await dm.load(name, toTargetLines(entries));
    return { outcome: 'repaired', info: await dm.resume(name) };
  }
  if (existing.suspended || existing.inactiveTable) {
    if (existing.inactiveTable) await dm.clear(name);
    return { outcome: 'repaired', info: await dm.resume(name) };
  }
  return { outcome: 'adopted', info: existing };
}

/**
 * Removes device `name` if it exists. Idempotent. A suspended device is resumed first so
 * queued I/O is not lost.
 * @throws EngineError VOLUME_BUSY when the device is open.
 */
export async function removeDevice(dm: DmClient, name: string, what: string): Promise<void> {
  const info = await infoOrNull(dm, name);
  if (info === null) return;
  if (info.openCount > 0) throw new EngineError('VOLUME_BUSY', `${what} is open (${info.openCount} opener(s))`);
  if (info.suspended) await dm.resume(name);
  try {
    await dm.remove(name);
  } catch (err) {
    if (isDmError(err, 'ENXIO')) return;
    if (isDmError(err, 'EBUSY')) throw new EngineError('VOLUME_BUSY', `${what} is open`, { cause: err });
    throw err;
  }
}
