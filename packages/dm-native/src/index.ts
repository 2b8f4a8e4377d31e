/**
 * @thinfleet/dm-native: device-mapper, block and loop ioctls issued directly from a Node-API
 * addon (no libdevmapper, no dmsetup, no child processes). Thin and policy-free: one function
 * per kernel operation, every one async (run off the JS thread) and validated here before it
 * reaches C++. (systemd's readiness datagram lives in @thinfleet/sd-notify.)
 *
 * Importing never throws. When the addon is not built, every function rejects with an error
 * (code `ERR_DM_NATIVE_NOT_BUILT`) that says to run `npm run build -w @thinfleet/dm-native`;
 * {@link addonLoadError} tells ahead of time.
 *
 * @example
 * ```ts
 * import { dmCreate, dmLoadTable, dmResume, mknodBlock } from '@thinfleet/dm-native';
 * const info = await dmCreate('base', null);
 * await dmLoadTable('base', [{ startSector: 0, lengthSectors: 2048, type: 'linear', params: '7:0 0' }]);
 * await dmResume('base');
 * await mknodBlock('/dev/mapper/base', info.major, info.minor);
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';

export { addonLoadError, BUILD_COMMAND } from './binding.js';
export * from './types.js';
export * from './dm.js';
export * from './block.js';
export * from './fence.js';
export { DM_NAME_MAX_BYTES, DM_UUID_MAX_BYTES, DM_TARGET_TYPE_MAX_BYTES, SECTOR_BYTES, MAX_MAJOR, MAX_MINOR, MAX_READ_BYTES } from './validate.js';

/** The device-mapper control node. */
export const DM_CONTROL_PATH = '/dev/mapper/control';

/**
 * True when this host has device-mapper: /dev/mapper/control exists and, where /proc/misc can
 * be read, the kernel lists the device-mapper misc device (lvm or dmsetup make the node even
 * on a kernel without the driver). Synchronous; does not load the addon. Says nothing about
 * permission to use it.
 */
export function hasDeviceMapper(): boolean {
  if (!existsSync(DM_CONTROL_PATH)) return false;
  let misc: string;
  try {
    misc = readFileSync('/proc/misc', 'utf8');
  } catch {
    return true;
  }
  return /^\s*\d+ device-mapper$/m.test(misc);
}
