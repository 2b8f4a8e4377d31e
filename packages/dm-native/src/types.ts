/**
 * The values the addon returns and the error it rejects with. Sizes are in 512-byte sectors or
 * in bytes, as each name says; every number is a safe integer.
 */

/** A block device number, as the kernel prints it in tables (`major:minor`). */
export interface DevNumber {
  readonly major: number;
  readonly minor: number;
}

/** The device-mapper ioctl interface version the kernel speaks (DM_VERSION); major is 4. */
export interface DmVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** One device in the kernel's list (DM_LIST_DEVICES). */
export interface DmDeviceEntry {
  readonly name: string;
  readonly major: number;
  readonly minor: number;
}

/** A target type the kernel has loaded (DM_LIST_VERSIONS), e.g. `thin-pool` `[1, 23, 0]`. */
export interface DmTargetVersion {
  readonly name: string;
  readonly version: readonly [number, number, number];
}

/**
 * The state of one device-mapper device, decoded from the struct dm_ioctl the kernel answers
 * every per-device command with.
 */
export interface DmInfo {
  readonly name: string;
  /** The device's uuid, or '' when it has none. */
  readonly uuid: string;
  readonly major: number;
  readonly minor: number;
  /** Openers: mounts, other devices' tables, open file handles. */
  readonly openCount: number;
  /** Event counter, the input of {@link dmWaitEvent}. */
  readonly eventNr: number;
  /** Targets in the table the command reported on (live, or inactive when asked). */
  readonly targetCount: number;
  /** DM_SUSPEND_FLAG. */
  readonly suspended: boolean;
  /** DM_READONLY_FLAG. */
  readonly readOnly: boolean;
  /** DM_ACTIVE_PRESENT_FLAG: a live table is present. */
  readonly liveTable: boolean;
  /** DM_INACTIVE_PRESENT_FLAG: a loaded, not yet resumed table is present. */
  readonly inactiveTable: boolean;
  /** DM_DEFERRED_REMOVE: the device goes away when its last opener closes it. */
  readonly deferredRemove: boolean;
}

/** One line of a table or status, without the device name. */
export interface TargetLine {
  /** First sector the target covers, in 512-byte sectors. */
  readonly startSector: number;
  /** Sectors the target covers, in 512-byte sectors. */
  readonly lengthSectors: number;
  /** Target type: `linear`, `thin-pool`, `thin`, `error`, `zero`, ... (at most 15 bytes). */
  readonly type: string;
  /** The target's table parameters, or its status text when read by {@link dmStatus}. */
  readonly params: string;
}

/** A table or status as DM_TABLE_STATUS returns it. */
export interface DmTableResult {
  readonly info: DmInfo;
  readonly targets: TargetLine[];
}

/** The devices a table uses (DM_TABLE_DEPS). */
export interface DmDepsResult {
  readonly info: DmInfo;
  readonly devices: DevNumber[];
}

/**
 * What every failed addon call rejects with: a plain `Error` with these properties, like the
 * SystemErrors of node:fs. Branch on `code`, never on the message.
 *
 * @example
 * ```ts
 * try { await dmRemove('thin1'); }
 * catch (err) { if (isDmNativeError(err, 'EBUSY')) { ... } else throw err; }
 * // err.message: 'DM_DEV_REMOVE thin1: EBUSY (Device or resource busy)'
 * ```
 */
export interface DmNativeError extends Error {
  /** errno name, e.g. `EBUSY`, `ENXIO`, `EINVAL`, `ENOENT`. */
  readonly code: string;
  /** Positive errno number, e.g. 16 for EBUSY. */
  readonly errno: number;
  /** The system call that failed: `ioctl`, `open`, `pread`, `pwrite`, `stat`, `mknod`, ... */
  readonly syscall: string;
  /**
   * The ioctl the call is about (`DM_DEV_REMOVE`, `BLKDISCARD`, `LOOP_CONFIGURE`, ...), or the
   * function name for calls that use no ioctl (`blockRead`, `blockWrite`, `mknodBlock`,
   * `unlinkNode`, `blockDeviceNumber`).
   */
  readonly operation: string;
  /** The device-mapper name or device/file path; absent for calls about no device. */
  readonly device?: string;
  /** The other file the failing system call used, when there is one (e.g. `/dev/mapper/control`). */
  readonly path?: string;
}

/** True when `err` came from a failed addon call, optionally with the given errno name. */
export function isDmNativeError(err: unknown, code?: string): err is DmNativeError {
  if (!(err instanceof Error)) return false;
  const e = err as Partial<DmNativeError>;
  return typeof e.code === 'string' && typeof e.errno === 'number' && typeof e.operation === 'string' && (code === undefined || e.code === code);
}

/** The devices of one pool a fence touches, by device-mapper name (see {@link dmFencePool}). */
export interface DmFencePlan {
  /** The pool's name (for reports only). */
  readonly pool: string;
  /** Every device whose name starts with this (and is none of the three below) is a volume. */
  readonly devicePrefix: string;
  /** The metadata device: swapped to `error` first. */
  readonly metaDevice: string;
  /** The data device: swapped to `error` second. */
  readonly dataDevice: string;
  /** The pool device: never touched. */
  readonly poolDevice: string;
}

/** A device a fence could not handle (errno name, message). */
export interface DmFenceDeviceError {
  readonly device: string;
  readonly code: string;
  readonly message: string;
}

/** What {@link dmFencePool} did. */
export interface DmFenceReport {
  /** Volume devices suspended now, sorted. */
  readonly suspendedVolumes: string[];
  /** Metadata and data devices swapped to `error` now (metadata first). */
  readonly erroredDevices: string[];
  /** Volume devices whose suspend had not returned when the swaps started, sorted. */
  readonly slowVolumes: string[];
  /** Volume devices whose suspend failed, sorted by device. */
  readonly failedVolumes: DmFenceDeviceError[];
}

/** What the watchdog thread is doing ({@link watchdogStatus}); times on {@link monotonicNowMs}'s clock. */
export interface WatchdogStatus {
  readonly armed: boolean;
  /** The device path armed (or last armed); '' when never. */
  readonly path: string;
  /** The device's timeout (what was asked for when it is not a watchdog). */
  readonly timeoutSeconds: number;
  /** False when the file armed is not a watchdog (a FIFO or plain file: pets are byte writes). */
  readonly isWatchdog: boolean;
  readonly deadlineMs: number;
  readonly lastPetMs: number;
  readonly pets: number;
  readonly expired: boolean;
  readonly fenceHealthy: boolean;
  readonly fenced: DmFenceReport[];
  readonly fenceErrors: { readonly pool: string; readonly device: string; readonly errno: string; readonly message: string }[];
  /** The last failed pet (errno name and message), or null. */
  readonly lastPetError: { readonly code: string; readonly message: string } | null;
}
