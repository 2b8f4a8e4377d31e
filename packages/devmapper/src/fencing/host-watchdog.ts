/**
 * The host watchdog behind cluster leases (the sanlock/wdmd model; docs/agent.md, "Fencing").
 *
 * While armed, a thread that does not depend on the JavaScript event loop pets the watchdog
 * device only while the lease deadline last set lies ahead and the fence path is healthy. When
 * the deadline passes it fences every pool in its plans itself (PoolFencePlan) and stops petting:
 * unless the agent disarms it in time (it holds no pool any more), the watchdog resets the host.
 * A killed agent closes the device without the magic close, a stopped one stops the thread: both
 * end in a reset after the watchdog's timeout.
 *
 * Implementations: the native one (dm-native, a real `/dev/watchdog` or, in tests, a FIFO or a
 * plain file that records the pets) and the simulated one (the simulated device-mapper's, on an
 * injectable clock). Both are held to one contract suite.
 */
import type { PoolFencePlan, PoolFenceReport } from './pool-fence-plan.js';

/** What the watchdog is doing now. */
export interface HostWatchdogStatus {
  /** The device is open and the petting thread runs. */
  readonly armed: boolean;
  /** The device's timeout as it reports it (what was asked for when it cannot say). */
  readonly timeoutSeconds: number;
  /** The lease deadline last set, on `nowMs()`'s clock; 0 when none. */
  readonly deadlineMs: number;
  /** When the thread last pet the device, on `nowMs()`'s clock; 0 when never. */
  readonly lastPetMs: number;
  /** How many times the device was pet since it was armed. */
  readonly pets: number;
  /** The deadline passed while armed: petting stopped, and the plans were fenced. */
  readonly expired: boolean;
  /** False when a fence failed or is stuck: petting stops. */
  readonly fenceHealthy: boolean;
  /** What the thread's own fence did, per pool, once the deadline passed. */
  readonly fenced: readonly PoolFenceReport[];
  /** Why a fence of the thread's failed (pool, device, errno), newest last. */
  readonly fenceErrors: readonly { readonly pool: string; readonly device: string; readonly errno: string; readonly message: string }[];
}

/** Options for arming. */
export interface HostWatchdogArmOptions {
  /** The timeout to set on the device (WDIOC_SETTIMEOUT), in whole seconds. */
  readonly timeoutSeconds: number;
  /** How often the thread pets while the deadline lies ahead (default: a quarter of the timeout). */
  readonly petIntervalMs?: number;
}

/** A host watchdog. Not thread-safe across agents: one agent per host owns it. */
export interface HostWatchdog {
  /** The device (or test file) this watchdog opens. */
  readonly devicePath: string;
  /**
   * Opens the device, sets its timeout and starts the petting thread (the first pet happens
   * now, so arm only with a deadline ahead: set it first). Idempotent while armed (the timeout
   * is not changed then). Returns the device's actual timeout, which may differ from the one
   * asked for (the caller refuses one that is longer).
   * @throws with the errno (ENOENT, EBUSY: another process holds it, EACCES) when it cannot open
   */
  arm(options: HostWatchdogArmOptions): Promise<{ readonly timeoutSeconds: number }>;
  /** The watchdog's clock (monotonic, in ms). Deadlines are on this clock. */
  nowMs(): number;
  /** The lease deadline on `nowMs()`'s clock; the thread pets only while now < deadline. */
  setDeadline(deadlineMs: number): void;
  /** The pools the thread fences when the deadline passes (replaces the previous set). */
  setFencePlans(plans: readonly PoolFencePlan[]): void;
  status(): HostWatchdogStatus;
  /**
   * Stops the thread and closes the device with the magic close, so it does not fire. Idempotent;
   * a no-op when not armed. Call only when the host holds no pool (or every pool it held is fenced).
   */
  disarm(): Promise<void>;
}
