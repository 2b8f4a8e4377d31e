/**
 * What fencing a pool on shared storage touches, found by device name alone, so that a fence
 * needs no engine state and no listing from JavaScript: the native client runs it whole on a
 * thread of its own (never queued behind blocked pool I/O on libuv's thread pool), and the host
 * watchdog's thread runs it when the lease deadline passes (docs/agent.md, "Fencing").
 *
 * The steps (the same in both clients, held to the conformance suite):
 * 1. every device whose name starts with `volumePrefix`, other than the three named below, is a
 *    volume device: suspended with noflush and without freezing a filesystem (its I/O is queued,
 *    never flushed: a flush would make the pool commit);
 * 2. after at most `volumeSuspendWaitMs` (a stuck suspend is not waited for), `metaDevice` then
 *    `dataDevice` get an `error` table of their own length (load, suspend noflush, resume,
 *    checked): nothing this host's kernel pool writes reaches the shared disks any more;
 * 3. `poolDevice` is left alone: its suspend or removal would commit.
 */

/** The devices of one pool, by name (engine names.ts makes them from the pool's name). */
export interface PoolFencePlan {
  /** The pool's name (for reports and logs only). */
  readonly pool: string;
  /** Every device-mapper device whose name starts with this belongs to the pool. */
  readonly devicePrefix: string;
  /** The pool's metadata device (`…-_tmeta`): swapped to `error` first. */
  readonly metaDevice: string;
  /** The pool's data device (`…-_tdata`). */
  readonly dataDevice: string;
  /** The thin-pool device (`…-_tpool`): never suspended or removed by a fence. */
  readonly poolDevice: string;
}

/** What a fence did. */
export interface PoolFenceReport {
  /** Volume devices suspended now (those already suspended or already erroring are left out). */
  readonly suspendedVolumes: readonly string[];
  /** The pool's metadata and data devices that got an error table now. */
  readonly erroredDevices: readonly string[];
  /** Volume devices whose suspend had not finished when the sub-devices were swapped. */
  readonly slowVolumes: readonly string[];
  /**
   * Volume devices whose suspend failed (errno name and message), sorted by device; the fence
   * went on to swap the metadata and data devices all the same. Absent means none.
   */
  readonly failedVolumes?: readonly PoolFenceDeviceError[];
}

/** A device a fence could not handle, with the errno name (`EIO` when there was none). */
export interface PoolFenceDeviceError {
  readonly device: string;
  readonly code: string;
  readonly message: string;
}

/** How a fence waits. */
export interface PoolFenceOptions {
  /** How long the volume suspends may take before the metadata and data devices are swapped anyway (default 500 ms). */
  readonly volumeSuspendWaitMs?: number;
}

/** Default of PoolFenceOptions.volumeSuspendWaitMs. */
export const DEFAULT_VOLUME_SUSPEND_WAIT_MS = 500;
