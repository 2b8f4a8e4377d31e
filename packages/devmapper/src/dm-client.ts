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
import type { DevNumber, DmInfo, DmLoadOptions, DmQueryOptions, DmRemoveOptions, DmStatusOptions, DmSuspendOptions, DmTargetVersion, DmVersion, TargetLine } from '@thinfleet/dm-native';
import type { ThinMetadataSummary } from './thin-metadata/thin-metadata-summary.js';
import type { ThinMappingRun } from './thin-metadata/thin-mapping-runs.js';
import type { PoolFenceOptions, PoolFencePlan, PoolFenceReport } from './fencing/pool-fence-plan.js';

// The shapes the ioctls give and take are dm-native's own: one definition, not a copy here.
export type { DevNumber, DmLoadOptions, DmQueryOptions, DmRemoveOptions, DmStatusOptions, DmSuspendOptions, DmTargetVersion, DmVersion } from '@thinfleet/dm-native';

/** Formats a device number the way the kernel prints it in tables: `major:minor`. */
export function formatDevNumber(dev: DevNumber): string {
  return `${dev.major}:${dev.minor}`;
}

/** One line of a device-mapper table or status, in 512-byte sectors: dm-native's TargetLine. */
export type DmTargetLine = TargetLine;

/** The state of one device-mapper device (DM_DEV_STATUS): dm-native's DmInfo with the device number as one field. */
export interface DmDeviceInfo extends Omit<DmInfo, 'major' | 'minor'> {
  readonly dev: DevNumber;
}

/** A device in the kernel's list (DM_LIST_DEVICES). */
export interface DmDeviceSummary {
  readonly name: string;
  readonly dev: DevNumber;
}

/** Options of DmClient.create. */
export interface DmCreateOptions {
  /** Device uuid (at most 128 bytes); it cannot be changed later. */
  readonly uuid?: string;
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

  /**
   * Renames device `name` to `newName` (DM_DEV_RENAME) and moves its `/dev/mapper` node: the
   * device keeps its number, uuid, tables and openers (a VM or a mount holding it open goes on).
   * Not idempotent. Crash story (native): the kernel renames first, then the old node is unlinked
   * and the new one made; a crash between leaves the device renamed with a stale or missing node,
   * which `ensureNode(newName)` repairs.
   * @throws DmError ENXIO for an unknown `name`, EBUSY when `newName` is taken, EINVAL for a bad name
   */
  rename(name: string, newName: string): Promise<DmDeviceInfo>;

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

  /**
   * The mappings of thin device `thinId` over virtual blocks `[fromBlock, fromBlock +
   * blockCount)` in the held metadata snapshot `held`, as runs of consecutive virtual blocks
   * mapped to consecutive data blocks, ascending (blocks in the pool's data block size). The
   * native client reads only the parts of the kernel's btree that overlap the range; the
   * simulator reads its own snapshot. Reads only, like readMetadataSnapshot: the caller holds
   * the snapshot throughout. An empty range gives no runs (but still checks the thin id).
   * @throws DmError ENODATA when the snapshot has no thin id `thinId`; EINVAL naming the field
   *   for a range that is not whole numbers >= 0; EILSEQ for corrupt metadata (native); EAGAIN
   *   as readMetadataSnapshot (simulator); the read's own errors.
   */
  readThinMappings(held: HeldMetadataSnapshot, thinId: number, fromBlock: number, blockCount: number): Promise<ThinMappingRun[]>;

  /**
   * Fences the pool `plan` names on this host (the steps of fencing/pool-fence-plan.ts): its
   * volume devices suspended with noflush and no filesystem freeze, then its metadata and data
   * devices swapped to `error` tables of their length; the pool device is left alone. The
   * native client runs it whole on a native thread of its own (never on libuv's pool, where it
   * could queue behind blocked pool I/O); the simulated one runs the same steps on its calls.
   * Idempotent (done steps are skipped); a pool with no devices here is a no-op. Waits at most
   * `volumeSuspendWaitMs` for the volume suspends (a stuck one is left behind, in `slowVolumes`).
   * Crash story: each step is kernel state that survives the caller; the next call finishes it.
   * @throws DmError of the metadata or data swap: the pool may still be writable
   */
  fencePool(plan: PoolFencePlan, options?: PoolFenceOptions): Promise<PoolFenceReport>;
}
