/** The checks both HostWatchdog implementations make on their arm options, and the defaults. */
import type { HostWatchdogArmOptions } from './host-watchdog.js';

/** Longest watchdog timeout thinfleet asks for, in seconds (drivers cap far lower). */
export const MAX_WATCHDOG_TIMEOUT_SECONDS = 3600;

/** The pet interval when none is given: a quarter of the timeout, in ms. */
export function defaultPetIntervalMs(timeoutSeconds: number): number {
  return Math.max(1, Math.floor((timeoutSeconds * 1000) / 4));
}

/**
 * Checks `options` (HostWatchdogArmOptions): a whole timeout of 1..3600 s and a pet interval
 * of 1 ms up to the timeout.
 * @throws RangeError naming the field (the value quoted to 20 characters at most)
 */
export function checkArmOptions(options: HostWatchdogArmOptions): void {
  const t = options.timeoutSeconds;
  if (!Number.isSafeInteger(t) || t < 1 || t > MAX_WATCHDOG_TIMEOUT_SECONDS) {
    throw new RangeError(`timeoutSeconds must be an integer from 1 to ${MAX_WATCHDOG_TIMEOUT_SECONDS}, got ${String(t).slice(0, 20)}`);
  }
  const p = options.petIntervalMs;
  if (p !== undefined && (!Number.isSafeInteger(p) || p < 1 || p > t * 1000)) {
    throw new RangeError(`petIntervalMs must be an integer from 1 to timeoutSeconds * 1000, got ${String(p).slice(0, 20)}`);
  }
}
