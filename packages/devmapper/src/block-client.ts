/**
 * Block devices and loop devices, as the device-mapper layer needs them: sizes, device numbers,
 * discard and zero-out, direct reads and writes, and loop devices over files. Implemented by
 * NativeBlockClient (the kernel) and SimBlockClient (the simulated kernel), held to the same
 * conformance suite. Failures are DmErrors with the errno.
 */
import type { LoopAttachOptions } from '@thinfleet/dm-native';
import type { DevNumber } from './dm-client.js';

// The options loopAttach takes are dm-native's own: one definition, not a copy here.
export type { LoopAttachOptions } from '@thinfleet/dm-native';

/**
 * The block and loop calls both clients implement. Deliberately the same parameters as
 * dm-native's block functions (and its NativeBinding): each method is one of those syscalls.
 */
export interface BlockClient {
  /** Size of a block device (or, for the simulator, a disk file) in bytes. */
  sizeBytes(path: string): Promise<number>;

  /** The device number of a block device path. Fails ENOTBLK for a path that is not one. */
  deviceNumber(path: string): Promise<DevNumber>;

  /** Discards a byte range (BLKDISCARD); offset and length must be 512-byte aligned. */
  discard(path: string, offsetBytes: number, lengthBytes: number): Promise<void>;

  /** Writes zeroes over a byte range (BLKZEROOUT); offset and length 512-byte aligned. */
  zeroOut(path: string, offsetBytes: number, lengthBytes: number): Promise<void>;

  /** Reads bytes past any cache (O_DIRECT); offset and length 512-byte aligned. */
  read(path: string, offsetBytes: number, lengthBytes: number): Promise<Buffer>;

  /** Writes bytes durably past any cache (O_DIRECT|O_DSYNC); offset and length 512-byte aligned. */
  write(path: string, offsetBytes: number, data: Uint8Array): Promise<void>;

  /**
   * Optional: keeps `path` open for writing so later `write`s to the same path skip the open
   * and close (the catalog's appends). Counted: each call needs one `release`. A client without
   * it opens per write. Rejects with open's error, keeping nothing.
   */
  keepOpen?(path: string): Promise<void>;

  /** Undoes one `keepOpen` of `path`; the last closes it. Releasing a path not kept does nothing. */
  release?(path: string): Promise<void>;

  /** Attaches `filePath` to a free loop device and returns its path, e.g. `/dev/loop3`. */
  attachLoop(filePath: string, options?: LoopAttachOptions): Promise<string>;

  /** Detaches a loop device. Fails ENXIO if it is not attached, EBUSY-free (the kernel defers). */
  detachLoop(devicePath: string): Promise<void>;

  /** The file a loop device is attached to, or null when it is free. */
  loopBackingFile(devicePath: string): Promise<string | null>;
}
