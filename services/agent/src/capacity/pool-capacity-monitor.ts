/**
 * Watches the data and metadata use of every active pool, the way LVM's dmeventd watches thin
 * pools against `thin_pool_autoextend_threshold`: each poll reads every pool's status once; a use
 * that rises to its threshold (percent of the region) logs a warning, sets the metric and sends
 * a `*-threshold-crossed` event to watchers; falling back under it sends `*-threshold-cleared`.
 * The kernel's out-of-data-space mode is reported the same way. While data use is at or above
 * its threshold each poll may autoextend the pool (see Autoextend).
 *
 * Polls run on a timer (`start`) or when called (`poll`, which tests drive with their own
 * clock, so crossing and re-crossing are proved without sleeping). Polls never overlap: a poll
 * asked for while one runs waits for it and runs once more. The monitor keeps no state on disk:
 * after a restart the first poll reports every pool over a threshold as crossed again.
 */
import { humanBytes, type PoolStatus } from '@thinfleet/engine';
import type { Logger } from 'pino';
import type { CapacityMetrics, CapacityRegion } from '../metrics/capacity-metrics.js';
import { percentOf, type PoolEvent, type PoolEventKind } from './pool-event.js';

/** What the monitor reads of one pool; the engine's Pool fits. */
export interface MonitoredPool {
  readonly name: string;
  readonly uuid: string;
  status(): Promise<PoolStatus>;
}

/**
 * Grows a pool whose data use is at or above its threshold; resolves to what it did: null (no
 * autoextend for this pool), `skipped` (why not, e.g. the spare is used up), or the bytes added
 * and the pool's status afterwards. Rejects when the extend failed.
 */
export type Autoextend = (pool: string, status: PoolStatus) => Promise<{ extendedBytes: number; status: PoolStatus | null } | { skipped: string } | null>;

export interface PoolCapacityMonitorOptions {
  /** The pools to watch now (the engine's active pools). */
  readonly pools: () => ReadonlyArray<MonitoredPool>;
  /** Data use in percent (0-100] at which the pool is over its threshold. */
  readonly dataWarnPercent: number;
  /** Metadata use in percent (0-100] at which the pool is over its threshold. */
  readonly metadataWarnPercent: number;
  readonly logger: Logger;
  readonly metrics: CapacityMetrics | null;
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
  /** Called at each poll while a pool's data use is at or above its threshold; null: no autoextend. */
  readonly autoextend?: Autoextend | null;
}

/** What the monitor remembers of one pool between polls. */
interface PoolState {
  readonly uuid: string;
  dataOver: boolean;
  metadataOver: boolean;
  outOfSpace: boolean;
  /** The last autoextend attempt failed or was skipped, and that was reported (once per crossing). */
  autoextendReported: boolean;
  last: PoolStatus;
}

type Listener = (event: PoolEvent) => void;

export class PoolCapacityMonitor {
  private readonly now: () => number;
  private readonly states = new Map<string, PoolState>();
  private readonly listeners = new Set<{ pool: string | null; fn: Listener }>();
  private running: Promise<PoolEvent[]> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: PoolCapacityMonitorOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Subscribes `fn` to the events of `pool` (null: every pool). `fn` first receives, marked
   * `current`, one event per threshold the pool is over now (as of the last poll). Returns the
   * unsubscribe function. `fn` must not throw.
   */
  subscribe(pool: string | null, fn: Listener): () => void {
    const entry = { pool, fn };
    for (const [name, s] of this.states) {
      if (pool !== null && pool !== name) continue;
      if (s.dataOver) fn(this.event(name, 'data-threshold-crossed', s.last, true));
      if (s.metadataOver) fn(this.event(name, 'metadata-threshold-crossed', s.last, true));
      if (s.outOfSpace) fn(this.event(name, 'out-of-data-space', s.last, true));
    }
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  /** Sends `event` to its watchers (also used for `extended` events from pool extend). */
  publish(event: PoolEvent): void {
    for (const l of [...this.listeners]) if (l.pool === null || l.pool === event.pool) l.fn(event);
  }

  /**
   * Reads every pool's status once and reports what changed; resolves to the events sent.
   * A pool whose status cannot be read keeps its last state. Never rejects.
   */
  poll(): Promise<PoolEvent[]> {
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<PoolEvent[]> => {
      const events: PoolEvent[] = [];
      do {
        this.again = false;
        events.push(...(await this.pollOnce()));
      } while (this.again);
      return events;
    };
    this.running = run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Polls every `intervalMs` until `stop`. The timer does not keep the process alive. */
  start(intervalMs: number): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and resolves once a poll in progress (and its autoextend) has ended. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async pollOnce(): Promise<PoolEvent[]> {
    const events: PoolEvent[] = [];
    const seen = new Set<string>();
    for (const pool of this.options.pools()) {
      seen.add(pool.name);
      let status: PoolStatus;
      try {
        status = await pool.status();
      } catch (err) {
        this.options.logger.debug({ pool: pool.name, err }, 'capacity poll: status unreadable');
        continue;
      }
      if (status.mode === 'failed') continue;
      events.push(...(await this.check(pool, status)));
    }
    for (const name of [...this.states.keys()]) {
      if (seen.has(name)) continue;
      this.states.delete(name);
      this.options.metrics?.forget(name);
    }
    for (const e of events) this.publish(e);
    return events;
  }

  private async check(pool: MonitoredPool, status: PoolStatus): Promise<PoolEvent[]> {
    const { dataWarnPercent, metadataWarnPercent, logger, metrics } = this.options;
    let s = this.states.get(pool.name);
    if (s === undefined || s.uuid !== pool.uuid) {
      s = { uuid: pool.uuid, dataOver: false, metadataOver: false, outOfSpace: false, autoextendReported: false, last: status };
      this.states.set(pool.name, s);
    }
    s.last = status;
    const events: PoolEvent[] = [];
    const flip = (region: CapacityRegion, over: boolean): void => {
      const was = region === 'data' ? s.dataOver : s.metadataOver;
      if (was === over) return;
      if (region === 'data') s.dataOver = over;
      else s.metadataOver = over;
      const e = this.event(pool.name, `${region}-threshold-${over ? 'crossed' : 'cleared'}`, status, false);
      events.push(e);
      if (over) {
        metrics?.crossed(pool.name, region);
        logger.warn({ pool: pool.name, region, usedBytes: e.usedBytes, totalBytes: e.totalBytes, thresholdPercent: e.thresholdPercent }, e.message);
      } else {
        logger.info({ pool: pool.name, region, usedBytes: e.usedBytes, totalBytes: e.totalBytes, thresholdPercent: e.thresholdPercent }, e.message);
      }
    };
    flip('data', percentOf(status.dataUsedBytes, status.dataTotalBytes) >= dataWarnPercent);
    flip('metadata', percentOf(status.metadataUsedBytes, status.metadataTotalBytes) >= metadataWarnPercent);
    const outOfSpace = status.mode === 'out_of_data_space';
    if (outOfSpace !== s.outOfSpace) {
      s.outOfSpace = outOfSpace;
      const e = this.event(pool.name, outOfSpace ? 'out-of-data-space' : 'data-space-available', status, false);
      events.push(e);
      logger[outOfSpace ? 'error' : 'info']({ pool: pool.name, usedBytes: e.usedBytes, totalBytes: e.totalBytes }, e.message);
    }
    if (!s.dataOver) s.autoextendReported = false;
    else if (this.options.autoextend) events.push(...(await this.tryAutoextend(pool.name, s, status)));
    metrics?.sample(pool.name, s);
    return events;
  }

  private async tryAutoextend(pool: string, s: PoolState, status: PoolStatus): Promise<PoolEvent[]> {
    let why: string;
    try {
      const done = await this.options.autoextend!(pool, status);
      if (done === null) return [];
      if ('extendedBytes' in done) {
        s.autoextendReported = false;
        return done.status === null ? [] : [this.event(pool, 'extended', done.status, false)];
      }
      why = done.skipped;
    } catch (err) {
      why = (err as Error).message;
    }
    if (s.autoextendReported) return [];
    s.autoextendReported = true;
    this.options.logger.error({ pool, why }, 'autoextend failed');
    return [{ ...this.event(pool, 'autoextend-failed', status, false), message: `pool ${pool}: autoextend failed: ${why}` }];
  }

  /** The event of `kind` for `pool` in state `status`. */
  event(pool: string, kind: PoolEventKind, status: PoolStatus, current: boolean): PoolEvent {
    const metadata = kind.startsWith('metadata');
    const usedBytes = metadata ? status.metadataUsedBytes : status.dataUsedBytes;
    const totalBytes = metadata ? status.metadataTotalBytes : status.dataTotalBytes;
    const thresholdPercent = kind.includes('threshold') ? (metadata ? this.options.metadataWarnPercent : this.options.dataWarnPercent) : 0;
    const use = `${percentOf(usedBytes, totalBytes)}% (${humanBytes(usedBytes)} of ${humanBytes(totalBytes)})`;
    const messages: Record<PoolEventKind, string> = {
      'data-threshold-crossed': `pool ${pool}: data use ${use} reached the ${thresholdPercent}% threshold`,
      'data-threshold-cleared': `pool ${pool}: data use ${use} is under the ${thresholdPercent}% threshold again`,
      'metadata-threshold-crossed': `pool ${pool}: metadata use ${use} reached the ${thresholdPercent}% threshold`,
      'metadata-threshold-cleared': `pool ${pool}: metadata use ${use} is under the ${thresholdPercent}% threshold again`,
      'out-of-data-space': `pool ${pool} is out of data space: writes to unprovisioned blocks queue or fail (per its no-space mode) until it is extended or space is freed`,
      'data-space-available': `pool ${pool} has data space again (${use} used)`,
      extended: `pool ${pool}: data region is now ${humanBytes(totalBytes)}`,
      'autoextend-failed': `pool ${pool}: autoextend failed`,
    };
    return { pool, kind, usedBytes, totalBytes, thresholdPercent, atMs: this.now(), message: messages[kind], current };
  }
}
