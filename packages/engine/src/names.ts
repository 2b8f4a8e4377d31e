/**
 * Naming rules for pools and volumes, and the device-mapper names derived from them.
 *
 * Names use the characters LVM allows: letters, digits and `+ _ . -`, starting with a letter or
 * digit; pools at most 32 bytes, volumes at most 64. Device-mapper names are
 * `tf-<pool>-<volume>` with every `-` inside a name doubled (LVM's escape), so no two
 * pool/volume pairs share a device name. A pool's own devices end in `-_tpool`, `-_tmeta` and
 * `-_tdata`, which no volume name can produce (volume names never start with `_`).
 */
import type { PoolFencePlan } from '@thinfleet/devmapper';
import { EngineError } from './engine-error.js';
import { MAX_POOL_NAME_CHARS, MAX_VOLUME_NAME_CHARS, NAME_PATTERN, NAME_RULE, quoted } from '@thinfleet/units';

export const MAX_POOL_NAME_BYTES = MAX_POOL_NAME_CHARS;
export const MAX_VOLUME_NAME_BYTES = MAX_VOLUME_NAME_CHARS;
/** The kernel's DM_NAME_LEN is 128 including the terminating NUL. */
const MAX_DM_NAME_BYTES = 127;

function checkName(kind: 'pool' | 'volume', name: unknown, maxBytes: number, item?: string, argument?: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new EngineError('INVALID_NAME', `${kind} name must be a non-empty string`, { item, argument });
  }
  if (name.length > maxBytes) {
    throw new EngineError('INVALID_NAME', `${kind} name ${quoted(name)} is longer than ${maxBytes} characters`, { item, argument });
  }
  if (!NAME_PATTERN.test(name)) {
    throw new EngineError('INVALID_NAME', `${kind} name ${quoted(name)} ${NAME_RULE}`, { item, argument });
  }
  return name;
}

/** Checks a pool name. @throws EngineError INVALID_NAME */
export function checkPoolName(name: unknown): string {
  return checkName('pool', name, MAX_POOL_NAME_BYTES);
}

/**
 * Checks a volume name, including that its device-mapper name fits the kernel's limit.
 * @throws EngineError INVALID_NAME (with `item` when given)
 */
export function checkVolumeName(poolName: string, name: unknown, item?: string, argument?: string): string {
  const checked = checkName('volume', name, MAX_VOLUME_NAME_BYTES, item, argument);
  if (Buffer.byteLength(volumeDeviceName(poolName, checked)) > MAX_DM_NAME_BYTES) {
    throw new EngineError('INVALID_NAME', `volume name ${quoted(checked)} makes a device-mapper name over ${MAX_DM_NAME_BYTES} bytes (each "-" counts twice)`, { item, argument });
  }
  return checked;
}

const escapeDash = (name: string): string => name.replaceAll('-', '--');

/** The device-mapper name of an active volume. */
export function volumeDeviceName(poolName: string, volumeName: string): string {
  return `tf-${escapeDash(poolName)}-${escapeDash(volumeName)}`;
}

/** The prefix every device-mapper name of this pool starts with. */
export function poolDevicePrefix(poolName: string): string {
  return `tf-${escapeDash(poolName)}-`;
}

/**
 * The device-mapper name of the helper device a flatten copies through: a second device of the
 * volume's thin id without its external origin (pool-flatten.ts). `_flat-` cannot begin a volume
 * name, so no volume's device has it.
 */
export function flattenHelperDeviceName(poolName: string, thinId: number): string {
  return `${poolDevicePrefix(poolName)}_flat-${thinId}`;
}

/**
 * The device-mapper name of a live move's helper device in pool `poolName`: a second device of
 * thin id `thinId` (the source's in the source pool, the destination's and its disk log's in the
 * destination pool) that the move's mirror table stacks on (volume-move.ts). Purposes: `move`
 * (a leg) and `mlog` (the mirror's disk log).
 */
export function moveHelperDeviceName(poolName: string, purpose: 'move' | 'mlog', thinId: number): string {
  return `${poolDevicePrefix(poolName)}_${purpose}-${thinId}`;
}

/**
 * The device-mapper name of the helper device a copy reads an inactive volume through: a second
 * device of the volume's thin id with the volume's own table (pool-copy-reader.ts).
 */
export function copyHelperDeviceName(poolName: string, thinId: number): string {
  return `${poolDevicePrefix(poolName)}_copy-${thinId}`;
}

/** True when `name` is a flatten helper device of pool `poolName` (flattenHelperDeviceName). */
export function isFlattenHelperDeviceName(poolName: string, name: string): boolean {
  const prefix = poolDevicePrefix(poolName);
  return name.startsWith(prefix) && /^_flat-(0|[1-9][0-9]{0,7})$/.test(name.slice(prefix.length));
}

/**
 * True when `name` is a helper device of pool `poolName`: a flatten's (`_flat-`), a live
 * move's (`_move-`, `_mlog-`) or a copy's reader (`_copy-`). Start-up removes those a crash
 * left (unless held open).
 */
export function isHelperDeviceName(poolName: string, name: string): boolean {
  const prefix = poolDevicePrefix(poolName);
  return name.startsWith(prefix) && /^_(flat|move|mlog|copy)-(0|[1-9][0-9]{0,7})$/.test(name.slice(prefix.length));
}

/** The device-mapper names of a pool's own devices. */
export function poolDeviceNames(poolName: string): { pool: string; meta: string; data: string } {
  const prefix = poolDevicePrefix(poolName);
  return { pool: `${prefix}_tpool`, meta: `${prefix}_tmeta`, data: `${prefix}_tdata` };
}

/** What fencing pool `poolName` touches, by device name (DmClient.fencePool, the host watchdog's plans). */
export function poolFencePlan(poolName: string): PoolFencePlan {
  const names = poolDeviceNames(poolName);
  return { pool: poolName, devicePrefix: poolDevicePrefix(poolName), metaDevice: names.meta, dataDevice: names.data, poolDevice: names.pool };
}

/** The device-mapper uuid of an active volume: ties the device to the volume, whatever its name. */
export function volumeDeviceUuid(poolUuid: string, volumeUuid: string): string {
  return `TF-${poolUuid}-${volumeUuid}`;
}

/**
 * True when `deviceUuid` is the device-mapper uuid of volume `volumeUuid` made in any pool: a
 * live move renames the volume's open device into its new pool, and the kernel never changes a
 * device's uuid, so until the volume is next deactivated its device keeps the old pool's.
 */
export function isVolumeDeviceUuidOfAnyPool(deviceUuid: string, volumeUuid: string): boolean {
  return volumeUuid !== '' && deviceUuid.startsWith('TF-') && deviceUuid.endsWith(`-${volumeUuid}`);
}
