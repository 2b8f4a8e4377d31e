/**
 * The one way the cluster node fences a pool when it must stop writing to it (the lock is lost,
 * the agent stops with volumes in use, an activation outlived its grant, start-up finds live
 * devices): `Engine.fencePool`, and its outcome logged. A failed fence is logged at fatal (the
 * host may still write to the pool) and never thrown: the callers are loss paths that have
 * nothing better to do, and must go on fencing the other pools.
 */
import type { Engine, PoolFenceReport } from '@thinfleet/engine';
import type { Logger } from 'pino';

/** What a failed fence is logged as unless the caller names the context. */
export const FENCING_FAILED = 'FENCING FAILED: this host may still write to the pool';

/** How `fenceOrLog` logs each outcome. */
export interface FenceOrLogOptions {
  /** Fields logged with either outcome, after `pool` (e.g. the token, the reason). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Logged at warn with the fence report when the fence succeeded; without it a success is not logged. */
  readonly fenced?: string;
  /** Logged at fatal with the error when the fence failed (default FENCING_FAILED). */
  readonly failed?: string;
  /** Keeps the host watchdog armed for the pool until the fence succeeded (LeaseWatchdog.fenceStarted). */
  readonly watchdog?: { fenceStarted(pool: string): (ok: boolean) => void };
}

/**
 * Fences `pool` (Engine.fencePool: volume devices suspended, error tables under the pool) and logs
 * the outcome. The fence starts synchronously, before this returns its promise, so that a loop
 * over pools fences them all at once.
 *
 * Idempotent as the engine's fence is (fencing a fenced or absent pool changes nothing). Never
 * rejects. Crash behaviour: that of Engine.fencePool (a restarted agent finds the devices live
 * or fenced and fences them at start).
 * @returns the engine's report, or null when the fence failed (already logged)
 */
export async function fenceOrLog(engine: Pick<Engine, 'fencePool'>, log: Logger, pool: string, options: FenceOrLogOptions = {}): Promise<PoolFenceReport | null> {
  const done = options.watchdog?.fenceStarted(pool);
  let report: PoolFenceReport;
  try {
    report = await engine.fencePool(pool);
  } catch (err) {
    log.fatal({ pool, ...options.fields, err }, options.failed ?? FENCING_FAILED);
    done?.(false);
    return null;
  }
  done?.(true);
  if (options.fenced !== undefined) log.warn({ pool, ...options.fields, ...report }, options.fenced);
  return report;
}
