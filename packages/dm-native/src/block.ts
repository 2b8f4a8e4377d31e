/**
 * Block device nodes, sizes, discard, zero-out and direct I/O, and loop devices over files.
 *
 * Common to every function here: it returns a Promise and does its system calls on a libuv
 * pool thread; argument errors reject with a TypeError or RangeError naming the argument;
 * system errors reject with a {@link DmNativeError} whose `device` is the path given.
 * Byte offsets and lengths must be multiples of 512 and lengths positive; a device with a
 * larger logical block size rejects misaligned I/O with `EINVAL`.
 */
import { resolve } from 'node:path';
import { native } from './binding.js';
import type { DevNumber } from './types.js';
import { checkFlag, checkLengthBytes, checkOffsetBytes, checkOptions, checkPath, checkUint, MAX_MAJOR, MAX_MINOR, MAX_READ_BYTES } from './validate.js';

/** Options of {@link loopAttach}. */
export interface LoopAttachOptions {
  /** Attach read-only (LO_FLAGS_READ_ONLY; the file is opened read-only). */
  readonly readOnly?: boolean;
  /**
   * Detach when the last opener closes the loop device (LO_FLAGS_AUTOCLEAR). The kernel acts
   * on every last close, and loopAttach closes its own handle before it returns: unless
   * something else already holds the device open, it is detached again at once. Likewise any
   * short open later (e.g. {@link loopBackingFile}) detaches it when nothing else holds it.
   */
  readonly autoclear?: boolean;
}

/**
 * Makes a block device node at `path` for `major:minor` (mknod S_IFBLK, mode 0600), creating
 * missing parent directories (mode 0755).
 *
 * Idempotent: a node (or a symlink to one) with the same device number is left as it is; any
 * other file there is replaced atomically (a new node made beside it, then renamed over it).
 * Needs CAP_MKNOD (`EPERM` otherwise). Preconditions: major 0..4095, minor 0..1048575.
 */
export async function mknodBlock(path: string, major: number, minor: number): Promise<void> {
  const fn = 'mknodBlock';
  checkPath(fn, 'path', path);
  checkUint(fn, 'major', major, MAX_MAJOR);
  checkUint(fn, 'minor', minor, MAX_MINOR);
  return native().mknodBlock(path, major, minor);
}

/**
 * Removes the node (or any non-directory file) at `path`. Idempotent: a missing path
 * succeeds. A directory rejects `EISDIR`.
 */
export async function unlinkNode(path: string): Promise<void> {
  checkPath('unlinkNode', 'path', path);
  return native().unlinkNode(path);
}

/**
 * The size of a block device in bytes (BLKGETSIZE64). Read-only. A path that is not a block
 * device rejects `ENOTTY`; a missing one `ENOENT`.
 */
export async function blockSizeBytes(path: string): Promise<number> {
  checkPath('blockSizeBytes', 'path', path);
  return native().blockSizeBytes(path);
}

/**
 * The device number of the block device at `path` (stat, following symlinks). Read-only.
 * A path that is not a block device rejects `ENOTBLK`; a missing one `ENOENT`.
 */
export async function blockDeviceNumber(path: string): Promise<DevNumber> {
  checkPath('blockDeviceNumber', 'path', path);
  return native().blockDeviceNumber(path);
}

/**
 * The arguments of a call on a byte range of a device, checked in order: `path`, `offsetBytes`
 * (a multiple of 512), `lengthBytes` (a positive multiple of 512, at most `maxLengthBytes`).
 * @throws TypeError or RangeError naming the first bad argument
 */
function checkRange(fn: string, path: string, offsetBytes: number, lengthBytes: number, maxLengthBytes?: number): void {
  checkPath(fn, 'path', path);
  checkOffsetBytes(fn, 'offsetBytes', offsetBytes);
  checkLengthBytes(fn, 'lengthBytes', lengthBytes, maxLengthBytes);
}

/**
 * Discards `lengthBytes` from `offsetBytes` (BLKDISCARD); on a thin volume this unmaps the
 * blocks. Idempotent. Rejects `EOPNOTSUPP` where the device does not discard, `EINVAL` past
 * the end of the device, `ENOTTY` for a path that is not a block device.
 */
export async function blockDiscard(path: string, offsetBytes: number, lengthBytes: number): Promise<void> {
  checkRange('blockDiscard', path, offsetBytes, lengthBytes);
  return native().blockDiscard(path, offsetBytes, lengthBytes);
}

/**
 * Writes zeroes over `lengthBytes` from `offsetBytes` (BLKZEROOUT), unmapping where the device
 * can and writing zeroes where it cannot. Idempotent. Rejects `EINVAL` past the end of the
 * device, `ENOTTY` for a path that is not a block device.
 */
export async function blockZeroOut(path: string, offsetBytes: number, lengthBytes: number): Promise<void> {
  checkRange('blockZeroOut', path, offsetBytes, lengthBytes);
  return native().blockZeroOut(path, offsetBytes, lengthBytes);
}

/**
 * Reads `lengthBytes` from `offsetBytes` past the page cache (O_DIRECT, into an aligned bounce
 * buffer, looping until all bytes are read). Read-only. A range that runs past the end of the
 * device rejects `ENXIO` (syscall `pread`); lengths are limited to the largest Buffer.
 */
export async function blockRead(path: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
  checkRange('blockRead', path, offsetBytes, lengthBytes, MAX_READ_BYTES);
  return native().blockRead(path, offsetBytes, lengthBytes);
}

/**
 * Writes `data` at `offsetBytes` past the page cache and durably (O_DIRECT|O_DSYNC, looping
 * until all bytes are written): through the descriptor {@link blockKeepOpen} keeps for `path`,
 * else through one opened and closed for this write. The bytes are copied when the call is made, so the caller may
 * reuse `data` at once. Idempotent. A range past the end of the device rejects `ENOSPC`.
 * Preconditions: `data` is a Uint8Array (or Buffer) whose length is a positive multiple of 512.
 */
export async function blockWrite(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
  const fn = 'blockWrite';
  checkPath(fn, 'path', path);
  checkOffsetBytes(fn, 'offsetBytes', offsetBytes);
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`${fn}: data must be a Uint8Array, got ${data === null ? 'null' : typeof data}`);
  }
  checkLengthBytes(fn, 'data.length', data.byteLength);
  return native().blockWrite(path, offsetBytes, data);
}

/**
 * Keeps `path` open for writing (O_WRONLY|O_DIRECT|O_DSYNC) so that later {@link blockWrite}s to
 * the same path string skip the open and close (a catalog append is one write). Counted: each
 * call needs one {@link blockRelease}; the first opens the device (rejecting with open's errno,
 * nothing kept), the others only count. The descriptor is bound to the device the path named at
 * the first call: release it before the path may name another device. Reads are not affected.
 */
export async function blockKeepOpen(path: string): Promise<void> {
  return keptWriterCall('blockKeepOpen', path);
}

/**
 * Undoes one {@link blockKeepOpen} of `path`; the last closes the descriptor once no write is
 * using it. Releasing a path that is not kept does nothing (idempotent after the last).
 */
export async function blockRelease(path: string): Promise<void> {
  return keptWriterCall('blockRelease', path);
}

function keptWriterCall(fn: 'blockKeepOpen' | 'blockRelease', path: string): Promise<void> {
  checkPath(fn, 'path', path);
  return native()[fn](path);
}

/**
 * Attaches the file at `filePath` to a free loop device and returns its path (`/dev/loopN`):
 * LOOP_CTL_GET_FREE on /dev/loop-control, then LOOP_CONFIGURE (or LOOP_SET_FD +
 * LOOP_SET_STATUS64 on kernels without it). When another process takes the free device
 * first (`EBUSY`) it tries the next free one, up to 32 times. The path is made absolute and
 * recorded as the loop device's file name.
 *
 * Not idempotent: each call takes another loop device. Needs CAP_SYS_ADMIN (`EPERM`); a host
 * without loop support rejects `ENOENT` for /dev/loop-control.
 */
export async function loopAttach(filePath: string, options?: LoopAttachOptions): Promise<string> {
  const fn = 'loopAttach';
  checkPath(fn, 'filePath', filePath);
  const o = checkOptions(fn, options);
  return native().loopAttach(resolve(filePath), checkFlag(fn, o, 'readOnly'), checkFlag(fn, o, 'autoclear'));
}

/**
 * Detaches a loop device (LOOP_CLR_FD). If the device is still open (e.g. used by a dm table),
 * the kernel detaches it on the last close instead. Rejects `ENXIO` when it is not attached,
 * so it is not idempotent.
 */
export async function loopDetach(devicePath: string): Promise<void> {
  checkPath('loopDetach', 'devicePath', devicePath);
  return native().loopDetach(devicePath);
}

/**
 * The file a loop device is attached to (LOOP_GET_STATUS64's file name; when that fills its
 * 64-byte field, the full path from sysfs), or null when the device is not attached.
 * Read-only. A path that is not a loop device rejects `ENOTTY`.
 */
export async function loopBackingFile(devicePath: string): Promise<string | null> {
  checkPath('loopBackingFile', 'devicePath', devicePath);
  return native().loopBackingFile(devicePath);
}
