/**
 * systemd's service notification protocol (sd_notify(3)): tells the service manager the agent
 * is ready, is stopping, what it is doing, that it needs more time to start, and that it is
 * alive (watchdog). Every call is a no-op returning false when the agent was not started by
 * systemd with Type=notify (NOTIFY_SOCKET unset), so the agent calls them unconditionally.
 */
import { notifySystemd, type NotifyEnv } from '@thinfleet/sd-notify';

export { notifySystemd, type NotifyEnv };

/** `READY=1`: start-up is finished (Type=notify units count as started only now). */
export function ready(env: NotifyEnv = process.env): Promise<boolean> {
  return notifySystemd('READY=1', env);
}

/** `STOPPING=1`: shutdown has begun. */
export function stopping(env: NotifyEnv = process.env): Promise<boolean> {
  return notifySystemd('STOPPING=1', env);
}

/**
 * `STATUS=text`: one line shown by `systemctl status`. Line breaks in `text` become spaces
 * (a newline would start another assignment).
 */
export function status(text: string, env: NotifyEnv = process.env): Promise<boolean> {
  return notifySystemd(`STATUS=${text.replace(/[\r\n]+/g, ' ')}`, env);
}

/**
 * `EXTEND_TIMEOUT_USEC=n`: asks for `timeoutUsec` more microseconds from now before the start
 * (or stop) timeout fires; send it again before that runs out while a long pool recovery
 * goes on. Rejects with a RangeError unless `timeoutUsec` is a positive safe integer.
 */
export async function extendTimeout(timeoutUsec: number, env: NotifyEnv = process.env): Promise<boolean> {
  if (!Number.isSafeInteger(timeoutUsec) || timeoutUsec <= 0) {
    throw new RangeError(`extendTimeout: timeoutUsec must be a positive integer, got ${timeoutUsec}`);
  }
  return notifySystemd(`EXTEND_TIMEOUT_USEC=${timeoutUsec}`, env);
}

/** `WATCHDOG=1`: the keep-alive ping of WatchdogSec=; send it every {@link watchdogIntervalMs}. */
export function watchdog(env: NotifyEnv = process.env): Promise<boolean> {
  return notifySystemd('WATCHDOG=1', env);
}

/**
 * How often to ping the watchdog, in milliseconds: half of WATCHDOG_USEC (as sd_watchdog_enabled(3)
 * advises), at least 1. Null when no watchdog is asked for: WATCHDOG_USEC unset, not a positive
 * integer, or WATCHDOG_PID set to another process than `pid`.
 */
export function watchdogIntervalMs(env: NotifyEnv = process.env, pid: number = process.pid): number | null {
  const usecText = env['WATCHDOG_USEC'];
  if (usecText === undefined || !/^[0-9]+$/.test(usecText)) return null;
  const usec = Number(usecText);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  const pidText = env['WATCHDOG_PID'];
  if (pidText !== undefined && pidText !== '' && Number(pidText) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2000));
}
