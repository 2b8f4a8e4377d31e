/**
 * The device-mapper as thinfleet sees it: the kernel's DM ioctls, one method each, with no
 * policy. Two implementations are held to one conformance suite: NativeDmClient (the kernel,
 * through @thinfleet/dm-native) and SimDmClient (an in-process model of the kernel).
 *
 * Every method rejects with a DmError carrying the kernel's errno name, the ioctl and the
 * device name. The errors the kernel gives for common mistakes:
 * - unknown device name: ENXIO;
 * - create of a name that exists: EBUSY;
 * - remove of an open device (mounted, or used by another device's table): EBUSY;
 * - a table the target rejects: EINVAL (or the target's own errno, e.g. ENODATA for a thin id
 *   that the pool does not have).
 *
 * One method is not an ioctl: `readMetadataSnapshot` decodes a pool's held metadata snapshot,
 * whose on-disk format is the one thing the two implementations do not share (the kernel's
 * btrees, the simulator's own format). Callers use it instead of asking which client they have.
 */
import type { ThinMetadataSummary } from './thin-metadata/thin-metadata-summary.js';

/** A block device number. */
export interface DevNumber {
  readonly major: number;
  readonly minor: number;
}

/** Formats a device number the way the kernel prints it in tables: `major:minor`. */
export function formatDevNumber(dev: DevNumber): string {
  return `${dev.major}:${dev.minor}`;
}

/** Version of the device-mapper ioctl interface (the kernel's DM_VERSION). */
export interface DmVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** A target type the kernel has loaded, with its version (DM_LIST_VERSIONS). */
export interface DmTargetVersion {
  readonly name: string;
  readonly version: readonly [number, number, number];
}

/** One line of a device-mapper table or status, in 512-byte sectors. */
export interface DmTargetLine {
  /** First sector this target covers, in 512-byte sectors. */
  readonly startSector: number;
  /** Number of 512-byte sectors this target covers. */
  readonly lengthSectors: number;
  /** Target type: `linear`, `thin-pool`, `thin`, `error`, `zero`, ... */
  readonly type: string;
  /** Target parameters (table) or status text (status), without the three leading fields. */
  readonly params: string;
}

/** The state of one device-mapper device (DM_DEV_STATUS). */
export interface DmDeviceInfo {
  readonly name: string;
  /** The device's uuid, or '' when it has none. */
  readonly uuid: string;
  readonly dev: DevNumber;
  /** How many openers hold the device: mounts, other devices' tables, open file handles. */
  readonly openCount: number;
  /** Event counter, for waitEvent. */
  readonly eventNr: number;
  /** Number of targets in the table that `targetCount` describes (live, or inactive if asked). */
  readonly targetCount: number;
  readonly suspended: boolean;
  readonly readOnly: boolean;
  /** A live table is present. */
  readonly liveTable: boolean;
  /** An inactive (loaded, not yet resumed) table is present. */
  readonly inactiveTable: boolean;
  /** A deferred remove is pending until the last opener closes it. */
  readonly deferredRemove: boolean;
}

/** A device in the kernel's list (DM_LIST_DEVICES). */
export interface DmDeviceSummary {
  readonly name: string;
  readonly dev: DevNumber;
}

export interface DmCreateOptions {
  /** Device uuid (at most 128 bytes); it cannot be changed later. */
  readonly uuid?: string;
}

export interface DmRemoveOptions {
  /** If the device is open, remove it when the last opener closes it instead of failing EBUSY. */
  readonly deferred?: boolean;
}

export interface DmSuspendOptions {
  /** Do not flush queued I/O; leave it queued until resume (DM_NOFLUSH_FLAG). */
  readonly noFlush?: boolean;
  /** Do not freeze a filesystem on the device (DM_SKIP_LOCKFS_FLAG). */
  readonly skipLockfs?: boolean;
}

export interface DmLoadOptions {
  /** Load the table read-only (DM_READONLY_FLAG). */
  readonly readOnly?: boolean;
}

export interface DmQueryOptions {
  /** Report on the inactive table instead of the live one (DM_QUERY_INACTIVE_TABLE_FLAG). */
  readonly inactive?: boolean;
}

export interface DmStatusOptions extends DmQueryOptions {
  /** Do not flush before reporting (DM_NOFLUSH_FLAG), e.g. a pool's status without a commit. */
  readonly noFlush?: boolean;
}

/**
 * A thin pool's held metadata snapshot (after `reserve_metadata_snap`), as
 * DmClient.readMetadataSnapshot reads it: where it is and what the pool's status says of it.
 */
export interface HeldMetadataSnapshot {
  /** Device-mapper name of the thin-pool device (for error messages). */
  readonly poolName: string;
  /** The held root's metadata block, from the pool's status (`heldMetadataRoot`). */
  readonly heldRoot: number;
  /** The metadata device the pool's table names (for error messages). */
  readonly metadataDevicePath: string;
  /** Size of that metadata device, in bytes. */
  readonly metadataSizeBytes: number;
  /** The pool's data size now, in data blocks (its status' `totalDataBlocks`). */
  readonly dataBlocks: number;
  /** Reads `lengthBytes` of the metadata device from `offsetBytes` (O_DIRECT-aligned ranges). */
  read(offsetBytes: number, lengthBytes: number): Promise<Buffer>;
}

/** The device-mapper ioctls. See the module comment for error behaviour. */
export interface DmClient {
  /** `native` for the kernel, `sim` for the in-process model. Production code does not branch on it. */
  readonly kind: 'native' | 'sim';

  /** The DM ioctl interface version. Fails ENOENT when the host has no device-mapper. */
  version(): Promise<DmVersion>;

  /** Target types the kernel has loaded. */
  targetVersions(): Promise<DmTargetVersion[]>;

  /** Every device-mapper device on the host, sorted by name. */
  list(): Promise<DmDeviceSummary[]>;

  /**
   * Creates a device with no table (it is suspended-less and tableless until load+resume).
   * Not idempotent: an existing name fails EBUSY. Also makes /dev/mapper/NAME.
   */
  create(name: string, options?: DmCreateOptions): Promise<DmDeviceInfo>;

  /**
   * Removes a device and its /dev/mapper node. Fails ENXIO if unknown, EBUSY if open (unless
   * `deferred`, which then marks it for removal on last close).
   */
  remove(name: string, options?: DmRemoveOptions): Promise<void>;

  /** Suspends I/O to the device. Idempotent: suspending a suspended device succeeds. */
  suspend(name: string, options?: DmSuspendOptions): Promise<DmDeviceInfo>;

  /**
   * Resumes the device; if an inactive table is loaded, it becomes live first. Idempotent on a
   * device that is not suspended and has no inactive table.
   */
  resume(name: string): Promise<DmDeviceInfo>;

  /** Loads `targets` as the device's inactive table, replacing any inactive table. */
  load(name: string, targets: readonly DmTargetLine[], options?: DmLoadOptions): Promise<DmDeviceInfo>;

  /** Drops the inactive table, if any. */
  clear(name: string): Promise<DmDeviceInfo>;

  /** The device's state. Fails ENXIO if unknown. */
  info(name: string): Promise<DmDeviceInfo>;

  /** The device's table as the kernel prints it (devices as `major:minor`). */
  table(name: string, options?: DmQueryOptions): Promise<DmTargetLine[]>;

  /** The device's status lines as the kernel prints them. */
  status(name: string, options?: DmStatusOptions): Promise<DmTargetLine[]>;

  /** The devices the table uses. */
  deps(name: string, options?: DmQueryOptions): Promise<DevNumber[]>;

  /**
   * Sends a target message (e.g. thin-pool's `create_thin 3`) to the target at `sector` of the
   * live table and returns the text the target answers ('' when none). Fails EINVAL when the
   * device has no live table, or with the target's own errno.
   */
  message(name: string, sector: number, text: string): Promise<string>;

  /** Waits until the device's event counter passes `eventNr`; returns the new state. */
  waitEvent(name: string, eventNr: number): Promise<DmDeviceInfo>;

  /** The block device path of a device-mapper device: `/dev/mapper/NAME`. */
  devicePath(name: string): string;

  /**
   * Makes `/dev/mapper/NAME` match the device's number, like `dmsetup mknodes NAME`.
   * Idempotent. A process killed between DM_DEV_CREATE and making the node leaves a device
   * without one (there is no udev to make it); whoever adopts such a device calls this.
   * Fails ENXIO if the device is unknown.
   */
  ensureNode(name: string): Promise<void>;

  /**
   * Decodes the held metadata snapshot `snapshot` describes into per-thin-id usage, reading it
   * only through `snapshot.read`: the kernel's format for the native client (the held copy of
   * the superblock has its space map roots wiped, so `dataBlocks` is taken from `snapshot`), the
   * simulator's own format for the simulated one (which keeps the data size at reserve time).
   * Reads only; reserves and releases nothing, so the caller must hold the snapshot throughout.
   * @throws DmError EILSEQ for corrupt metadata (native); EAGAIN when the snapshot on the
   *   simulator's metadata device is not the one `heldRoot` names; the read's own errors.
   */
  readMetadataSnapshot(snapshot: HeldMetadataSnapshot): Promise<ThinMetadataSummary>;
}
