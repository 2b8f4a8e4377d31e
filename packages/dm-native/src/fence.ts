/**
 * The pool fence and the host watchdog of issue 13, run on native threads of their own: never
 * on libuv's pool (where a fence could queue behind blocked pool I/O) and, for the watchdog,
 * never depending on the JS event loop. See devmapper's fencing/pool-fence-plan.ts and
 * fencing/host-watchdog.ts for what they are for; docs/device-mapper.md for the threads.
 */
import { native } from './binding.js';
import type { DmFencePlan, DmFenceReport, WatchdogStatus } from './types.js';
import { checkName, checkPath, checkString, checkUint } from './validate.js';

/** Longest wait for volume suspends a fence takes, in ms. */
export const MAX_VOLUME_SUSPEND_WAIT_MS = 60_000;
/** Longest watchdog timeout asked for, in seconds. */
export const MAX_WATCHDOG_TIMEOUT_SECONDS = 3600;

function checkPlan(fn: string, arg: string, value: unknown): DmFencePlan {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${fn}: ${arg} must be an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const plan = value as Record<string, unknown>;
  return {
    pool: checkString(fn, `${arg}.pool`, plan.pool, { nonEmpty: true, maxBytes: 255 }),
    devicePrefix: checkName(`${fn}: ${arg}.devicePrefix`, plan.devicePrefix),
    metaDevice: checkName(`${fn}: ${arg}.metaDevice`, plan.metaDevice),
    dataDevice: checkName(`${fn}: ${arg}.dataDevice`, plan.dataDevice),
    poolDevice: checkName(`${fn}: ${arg}.poolDevice`, plan.poolDevice),
  };
}

/**
 * Fences one pool on the addon's fence thread (its own queue; the promise is settled through a
 * thread-safe function): lists the devices whose names start with `plan.devicePrefix`, suspends
 * each volume device (noflush, skip lockfs) on a detached thread of its own, waits at most
 * `volumeSuspendWaitMs` for them, then swaps `metaDevice` and then `dataDevice` to an `error`
 * table of their length (load, suspend noflush, resume, verify; up to 3 attempts). Done steps
 * are skipped, so it is idempotent; a pool with no devices is a no-op.
 * A suspend stuck in the kernel keeps its detached thread; the fence does not wait for it.
 * Rejects with a DmNativeError of the swap (the pool may still be writable).
 */
export async function dmFencePool(plan: DmFencePlan, volumeSuspendWaitMs: number): Promise<DmFenceReport> {
  const fn = 'dmFencePool';
  const checked = checkPlan(fn, 'plan', plan);
  checkUint(fn, 'volumeSuspendWaitMs', volumeSuspendWaitMs, MAX_VOLUME_SUSPEND_WAIT_MS);
  return native().dmFencePool(checked, volumeSuspendWaitMs);
}

/**
 * Arms the process's host watchdog: on a thread of its own, opens `path` (O_WRONLY|O_CLOEXEC),
 * sets the timeout (WDIOC_SETTIMEOUT, then WDIOC_GETTIMEOUT reads what the driver took; a file
 * that is not a watchdog, ENOTTY, keeps the timeout asked for and is pet by writing one byte
 * `.`), pets once and resolves with the timeout; then pets every `petIntervalMs` while the
 * deadline ({@link watchdogSetDeadline}) lies ahead and the fence path is healthy. When the
 * deadline passes it stops petting for good and fences every plan ({@link watchdogSetFencePlans}).
 * Idempotent while armed (the same path; another path rejects EBUSY).
 * With THINFLEET_NO_REAL_WATCHDOG=1 in the environment a character device is refused (EPERM)
 * before it is opened: the tests' guard against arming a real watchdog.
 * Rejects with the errno of open or ioctl (ENOENT, EBUSY, EACCES).
 */
export async function watchdogArm(path: string, timeoutSeconds: number, petIntervalMs: number): Promise<{ timeoutSeconds: number }> {
  const fn = 'watchdogArm';
  checkPath(fn, 'path', path);
  checkUint(fn, 'timeoutSeconds', timeoutSeconds, MAX_WATCHDOG_TIMEOUT_SECONDS);
  if (timeoutSeconds < 1) throw new RangeError(`${fn}: timeoutSeconds must be at least 1, got ${timeoutSeconds}`);
  checkUint(fn, 'petIntervalMs', petIntervalMs, timeoutSeconds * 1000);
  if (petIntervalMs < 1) throw new RangeError(`${fn}: petIntervalMs must be at least 1, got ${petIntervalMs}`);
  return native().watchdogArm(path, timeoutSeconds, petIntervalMs);
}

/** Sets the lease deadline, in ms on {@link monotonicNowMs}'s clock (0: none, which stops petting). Synchronous. */
export function watchdogSetDeadline(monotonicMs: number): void {
  checkUint('watchdogSetDeadline', 'monotonicMs', monotonicMs);
  native().watchdogSetDeadline(monotonicMs);
}

/** Replaces the plans the watchdog thread fences when the deadline passes. Synchronous. */
export function watchdogSetFencePlans(plans: readonly DmFencePlan[], volumeSuspendWaitMs: number): void {
  const fn = 'watchdogSetFencePlans';
  if (!Array.isArray(plans)) throw new TypeError(`${fn}: plans must be an array`);
  const checked = plans.map((p: unknown, i) => checkPlan(fn, `plans[${i}]`, p));
  checkUint(fn, 'volumeSuspendWaitMs', volumeSuspendWaitMs, MAX_VOLUME_SUSPEND_WAIT_MS);
  native().watchdogSetFencePlans(checked, volumeSuspendWaitMs);
}

/** The watchdog thread's state (a copy). Synchronous. */
export function watchdogStatus(): WatchdogStatus {
  return native().watchdogStatus();
}

/**
 * Stops the watchdog thread and closes the device with the magic close (`V`), so it does not
 * fire. Settles once the thread has closed it (after an expiry fence in progress). Idempotent;
 * resolves at once when not armed.
 */
export async function watchdogDisarm(): Promise<void> {
  return native().watchdogDisarm();
}

/** CLOCK_MONOTONIC in ms (fractional): the clock watchdog deadlines are on. Synchronous. */
export function monotonicNowMs(): number {
  return native().monotonicNowMs();
}
