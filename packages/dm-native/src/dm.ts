/**
 * The device-mapper ioctls on /dev/mapper/control, one function each, with no policy.
 *
 * Common to every function here:
 * - it returns a Promise and does its ioctl on a libuv pool thread, never on the JS thread;
 * - argument errors reject with a TypeError or RangeError naming the argument, before any
 *   ioctl;
 * - kernel errors reject with a {@link DmNativeError} (`code`, `errno`, `syscall`, `operation`,
 *   `device`); an unknown device name is `ENXIO`, a host without device-mapper is `ENOENT`
 *   (with `path: '/dev/mapper/control'` and a message saying to load dm_mod), a caller without
 *   CAP_SYS_ADMIN gets `EACCES`/`EPERM`;
 * - nothing here creates or removes /dev/mapper nodes (there is no udev in our VMs): use
 *   {@link mknodBlock} and {@link unlinkNode} with the device number the result carries;
 * - udev cookies are not used (event_nr 0 on input).
 */
import { native } from './binding.js';
import type { DmDepsResult, DmDeviceEntry, DmInfo, DmTableResult, DmTargetVersion, DmVersion, TargetLine } from './types.js';
import { checkFlag, checkName, checkOptions, checkString, checkUint, checkUint32, DM_TARGET_TYPE_MAX_BYTES, DM_UUID_MAX_BYTES } from './validate.js';

/** Options of {@link dmRemove}. */
export interface DmRemoveOptions {
  /** If the device is open, mark it to go away on its last close instead of failing EBUSY. */
  readonly deferred?: boolean;
}

/** Options of {@link dmSuspend}. */
export interface DmSuspendOptions {
  /** Leave queued I/O queued until resume instead of flushing it (DM_NOFLUSH_FLAG). */
  readonly noFlush?: boolean;
  /** Do not freeze a filesystem mounted on the device (DM_SKIP_LOCKFS_FLAG). */
  readonly skipLockfs?: boolean;
}

/** Options of {@link dmLoadTable}. */
export interface DmLoadOptions {
  /** Load the table read-only (DM_READONLY_FLAG). */
  readonly readOnly?: boolean;
}

/** Options of {@link dmTable} and {@link dmDeps}. */
export interface DmQueryOptions {
  /** Report on the inactive (loaded, not yet resumed) table (DM_QUERY_INACTIVE_TABLE_FLAG). */
  readonly inactive?: boolean;
}

/** Options of {@link dmStatus}. */
export interface DmStatusOptions extends DmQueryOptions {
  /** Do not flush before reporting (DM_NOFLUSH_FLAG); e.g. a thin-pool reports without a commit. */
  readonly noFlush?: boolean;
}

/**
 * The kernel's device-mapper ioctl interface version (DM_VERSION). Asks as 4.0.0, so any 4.x
 * kernel answers.
 *
 * Read-only and idempotent. Rejects `ENOENT` when the host has no device-mapper (dm_mod not
 * loaded: /dev/mapper/control is missing).
 */
export async function dmVersion(): Promise<DmVersion> {
  return native().dmVersion();
}

/**
 * Every device-mapper device on the host (DM_LIST_DEVICES), in the kernel's order (not sorted).
 * Read-only and idempotent; an empty array when there are none.
 */
export async function dmListDevices(): Promise<DmDeviceEntry[]> {
  return native().dmListDevices();
}

/**
 * The target types the kernel has loaded, with their versions (DM_LIST_VERSIONS). Target
 * modules load on first use of their type, so a type can be missing here and still work.
 * Read-only and idempotent.
 */
export async function dmListTargetVersions(): Promise<DmTargetVersion[]> {
  return native().dmListTargetVersions();
}

/**
 * Creates a device with no table (DM_DEV_CREATE); load a table and resume it to use it.
 *
 * Preconditions: `name` is 1..127 UTF-8 bytes; `uuid` is null or at most 128 bytes ('' means
 * none). Not idempotent: an existing name or uuid rejects `EBUSY`. The kernel rejects names
 * with `/` and the names `.`, `..`, `control` with `EINVAL`.
 *
 * @returns the new device's state, with the device number to make its node with.
 */
export async function dmCreate(name: string, uuid: string | null = null): Promise<DmInfo> {
  const fn = 'dmCreate';
  checkName(fn, name);
  if (uuid !== null) checkString(fn, 'uuid', uuid, { maxBytes: DM_UUID_MAX_BYTES });
  return native().dmCreate(name, uuid === '' ? null : uuid);
}

/**
 * Removes a device and its tables (DM_DEV_REMOVE).
 *
 * Not idempotent: an unknown name rejects `ENXIO`. An open device (mounted, used by another
 * device's table, held open) rejects `EBUSY`, unless `deferred`, which then succeeds and
 * leaves the device until its last opener closes it (`deferredRemove` in {@link dmInfo}).
 */
export async function dmRemove(name: string, options?: DmRemoveOptions): Promise<void> {
  const fn = 'dmRemove';
  checkName(fn, name);
  const o = checkOptions(fn, options);
  return native().dmRemove(name, checkFlag(fn, o, 'deferred'));
}

/**
 * Renames a device (DM_DEV_RENAME): it keeps its number, uuid, tables and openers (a device
 * held open by a VM or a mount can be renamed). The /dev/mapper node is not touched: unlink the
 * old one and make the new one with {@link mknodBlock}.
 *
 * Not idempotent: an unknown `name` rejects `ENXIO`, a `newName` in use `EBUSY`.
 * @returns the device's state as the kernel answers the rename (its name field may still be the old one: ask dmInfo under the new name)
 */
export async function dmRename(name: string, newName: string): Promise<DmInfo> {
  const fn = 'dmRename';
  checkName(fn, name);
  checkName(fn, newName);
  return native().dmRename(name, newName);
}

/**
 * Suspends the device (DM_DEV_SUSPEND with DM_SUSPEND_FLAG): waits for in-flight I/O (unless
 * `noFlush`), then queues new I/O until {@link dmResume}. It can block for as long as that
 * I/O takes, holding one libuv pool thread.
 *
 * Idempotent: suspending a suspended device succeeds. Rejects `ENXIO` for an unknown name.
 */
export async function dmSuspend(name: string, options?: DmSuspendOptions): Promise<DmInfo> {
  const fn = 'dmSuspend';
  checkName(fn, name);
  const o = checkOptions(fn, options);
  return native().dmSuspend(name, true, checkFlag(fn, o, 'noFlush'), checkFlag(fn, o, 'skipLockfs'));
}

/**
 * Resumes the device (DM_DEV_SUSPEND without DM_SUSPEND_FLAG). If an inactive table is
 * loaded, it becomes the live table first (the old live table is destroyed).
 *
 * Idempotent on a running device with no inactive table. Rejects `ENXIO` for an unknown name,
 * `EINVAL` when the inactive table cannot go live.
 */
export async function dmResume(name: string): Promise<DmInfo> {
  checkName('dmResume', name);
  return native().dmSuspend(name, false, false, false);
}

/**
 * Loads `targets` as the device's inactive table (DM_TABLE_LOAD), replacing any inactive
 * table; {@link dmResume} makes it live. The device does not have to be suspended.
 *
 * Preconditions: sectors are safe non-negative integers; each `type` is 1..15 bytes; params
 * have no NUL. The kernel wants the targets contiguous from sector 0 and rejects a bad table
 * (unknown type, bad params, missing device, overlap) with `EINVAL` or the target's own errno;
 * the reason is only in the kernel log. Repeating a load replaces the inactive table, so it is
 * idempotent in effect.
 */
export async function dmLoadTable(name: string, targets: readonly TargetLine[], options?: DmLoadOptions): Promise<DmInfo> {
  const fn = 'dmLoadTable';
  checkName(fn, name);
  if (!Array.isArray(targets)) {
    throw new TypeError(`${fn}: targets must be an array, got ${targets === null ? 'null' : typeof targets}`);
  }
  const clean = targets.map((t: unknown, i): TargetLine => {
    const arg = `targets[${i}]`;
    if (t === null || typeof t !== 'object') throw new TypeError(`${fn}: ${arg} must be an object`);
    const { startSector, lengthSectors, type, params } = t as Record<string, unknown>;
    return {
      startSector: checkUint(fn, `${arg}.startSector`, startSector),
      lengthSectors: checkUint(fn, `${arg}.lengthSectors`, lengthSectors),
      type: checkString(fn, `${arg}.type`, type, { nonEmpty: true, maxBytes: DM_TARGET_TYPE_MAX_BYTES }),
      params: checkString(fn, `${arg}.params`, params),
    };
  });
  const o = checkOptions(fn, options);
  return native().dmLoadTable(name, clean, checkFlag(fn, o, 'readOnly'));
}

/**
 * Drops the device's inactive table, if any (DM_TABLE_CLEAR). Idempotent. Rejects `ENXIO` for
 * an unknown name.
 */
export async function dmClearTable(name: string): Promise<DmInfo> {
  checkName('dmClearTable', name);
  return native().dmClearTable(name);
}

/** The device's state (DM_DEV_STATUS). Read-only. Rejects `ENXIO` for an unknown name. */
export async function dmInfo(name: string): Promise<DmInfo> {
  checkName('dmInfo', name);
  return native().dmInfo(name);
}

/**
 * The device's table as the kernel prints it, devices as `major:minor` (DM_TABLE_STATUS with
 * DM_STATUS_TABLE_FLAG); `inactive` reads the inactive table. No table gives no targets.
 * Read-only. Rejects `ENXIO` for an unknown name.
 */
export async function dmTable(name: string, options?: DmQueryOptions): Promise<DmTableResult> {
  const fn = 'dmTable';
  checkName(fn, name);
  const o = checkOptions(fn, options);
  return native().dmTableStatus(name, true, checkFlag(fn, o, 'inactive'), false);
}

/**
 * The targets' status lines (DM_TABLE_STATUS); `params` holds each target's status text.
 * A thin-pool commits its metadata before reporting unless `noFlush`. Rejects `ENXIO` for an
 * unknown name.
 */
export async function dmStatus(name: string, options?: DmStatusOptions): Promise<DmTableResult> {
  const fn = 'dmStatus';
  checkName(fn, name);
  const o = checkOptions(fn, options);
  return native().dmTableStatus(name, false, checkFlag(fn, o, 'inactive'), checkFlag(fn, o, 'noFlush'));
}

/**
 * The devices the table uses (DM_TABLE_DEPS); `inactive` asks about the inactive table.
 * Read-only. Rejects `ENXIO` for an unknown name.
 */
export async function dmDeps(name: string, options?: DmQueryOptions): Promise<DmDepsResult> {
  const fn = 'dmDeps';
  checkName(fn, name);
  const o = checkOptions(fn, options);
  return native().dmDeps(name, checkFlag(fn, o, 'inactive'));
}

/**
 * Sends `message` (e.g. thin-pool's `create_thin 3`) to the target at `sector` of the live
 * table (DM_TARGET_MSG) and returns the target's answer, or '' when it gives none.
 *
 * Not idempotent in general (each thin-pool message commits). Rejects `EINVAL` when the device
 * has no live table or the target does not take the message, otherwise with the target's own
 * errno (e.g. thin-pool: `EEXIST` for a thin id in use, `ENODATA` for an unknown one).
 * A message whose answer overflows the 16 KiB buffer is sent again with a bigger one, so only
 * send messages that answer (queries) when they are safe to repeat.
 */
export async function dmMessage(name: string, sector: number, message: string): Promise<string> {
  const fn = 'dmMessage';
  checkName(fn, name);
  checkUint(fn, 'sector', sector);
  checkString(fn, 'message', message, { nonEmpty: true });
  return native().dmMessage(name, sector, message);
}

/**
 * Waits until the device's event counter differs from `eventNr` (DM_DEV_WAIT) and returns the
 * new state; returns at once when it already differs. Events come from the live table's
 * targets (e.g. a thin-pool passing its low-water mark, running out of space or changing
 * mode); loading and resuming a new table does not raise one.
 *
 * The wait cannot be cancelled and holds one libuv pool thread (4 by default, shared with
 * node:fs and others) until it returns: keep few outstanding, or raise UV_THREADPOOL_SIZE.
 * Rejects `ENXIO` for an unknown name (also when the device is removed while waiting).
 */
export async function dmWaitEvent(name: string, eventNr: number): Promise<DmInfo> {
  const fn = 'dmWaitEvent';
  checkName(fn, name);
  checkUint32(fn, 'eventNr', eventNr);
  return native().dmWaitEvent(name, eventNr);
}
