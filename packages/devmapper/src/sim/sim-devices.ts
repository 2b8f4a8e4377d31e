/**
 * What the simulated kernel holds per block device: device-mapper devices with their live and
 * inactive tables, and loop devices over files; and the device numbers it gives them. Plain
 * records: SimKernel owns and changes them.
 */
import type { DevNumber, DmTargetLine } from '../dm-client.js';
import type { SimTarget } from './sim-targets.js';

/** The major number of the simulated loop devices (the kernel's LOOP_MAJOR). */
export const SIM_LOOP_MAJOR = 7;
/** The major number of the simulated device-mapper devices (the usual dynamic one). */
export const SIM_DM_MAJOR = 253;

/** A table as loaded: the raw lines (persisted) and their constructed targets. */
export interface SimTable {
  readonly lines: readonly DmTargetLine[];
  readonly targets: readonly SimTarget[];
  readonly readOnly: boolean;
}

/** One device-mapper device: its tables and the flags DM_DEV_STATUS reports. */
export interface SimDevice {
  readonly name: string;
  readonly uuid: string;
  readonly minor: number;
  live: SimTable | null;
  inactive: SimTable | null;
  suspended: boolean;
  eventNr: number;
  deferredRemove: boolean;
  /** Openers outside device-mapper (a VM, a mount), from holdOpen(). */
  holds: number;
}

/** One loop device (`/dev/loop<index>`) and the file behind it. */
export interface SimLoop {
  readonly index: number;
  readonly file: string;
  readonly readOnly: boolean;
  autoclear: boolean;
}

/** A device number as tables name it and the simulator keys devices: `major:minor`. */
export function devKey(dev: DevNumber): string {
  return `${dev.major}:${dev.minor}`;
}

/** The device number a `major:minor` key stands for. */
export function devNumberOf(key: string): DevNumber {
  const [major, minor] = key.split(':').map(Number);
  return { major: major!, minor: minor! };
}
