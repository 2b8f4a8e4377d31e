/**
 * The agent's metrics: RPC durations and errors, pool and volume usage read from the engine
 * at each scrape, counters of newly provisioned bytes, job counts and build info.
 *
 * Provisioned bytes are counted as the sum of the increases of a pool's used data bytes (a
 * volume's mapped bytes) between samples; decreases (deletes, discards) are not subtracted,
 * so `rate(thinfleet_pool_provisioned_bytes_total[5m])` is the rate at which writes allocate
 * new data blocks. Samples are taken at each scrape and, with {@link AgentMetrics.startSampling},
 * on a timer, so growth that a delete undoes between two scrapes is still seen. Growth and
 * shrinkage between the same two samples cancel out: the counter is a lower bound.
 */
import type { PoolStatus, VolumeInfo } from '@thinfleet/engine';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CollectGuard } from './collect-guard.js';

/** What the metrics read from one pool; the engine's Pool fits. */
export interface MetricsPool {
  readonly name: string;
  status(): Promise<PoolStatus>;
  list(options: { usage?: boolean }): Promise<VolumeInfo[]>;
}

/** Where the metrics find the pools; the engine fits (`engine.pools()`). */
export interface MetricsSource {
  pools(): ReadonlyArray<MetricsPool>;
}

/** Options of {@link AgentMetrics}. */
export interface AgentMetricsOptions {
  /** Least time between two per-volume usage reads of one pool (default 5000 ms). */
  readonly minUsageIntervalMs?: number;
  /** Clock in milliseconds (default Date.now); tests pass their own. */
  readonly now?: () => number;
  /** Job counts by kind, then by state, read at each scrape (the job manager's `countsByKind()`); none when absent. */
  readonly jobCounts?: () => Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Where failing collect callbacks are reported (warn). */
  readonly logger?: Pick<Logger, 'warn'>;
}

/** Bucket upper bounds of `thinfleet_operation_duration_seconds`, from 1 ms to 30 s. */
export const OPERATION_BUCKETS_SECONDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Default period of {@link AgentMetrics.startSampling}. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 10_000;

const DEFAULT_MIN_USAGE_INTERVAL_MS = 5000;

/** The last usage read of one pool's volumes. */
interface UsageCache {
  readonly readAtMs: number;
  /** Null when the read failed: the pool's volumes are not reported until the next read. */
  readonly volumes: readonly VolumeInfo[] | null;
}

/** One pool's sample, gathered before anything is written to the metrics. */
interface PoolSample {
  readonly name: string;
  readonly status: PoolStatus | null;
  readonly statusError: unknown;
  readonly usage: UsageCache | undefined;
  /** True when `usage` was read in this collection (not reused from the cache). */
  readonly freshUsage: boolean;
  readonly usageError: unknown;
}

/** The base a provisioned counter grows from: the last value seen of the same pool or volume. */
interface Baseline {
  /** Pool or volume uuid: a new object of the same name starts a new baseline. */
  readonly uuid: string;
  readonly bytes: number;
}

/**
 * Registers the agent's metrics in a prom-client registry and keeps them current. Construct one
 * per registry (registering twice throws). The pool and volume metrics' `collect()` callbacks
 * run {@link collect} (one collection per scrape, joined by all of them) before they are read.
 *
 * Values live in memory only: after a restart the counters start from zero (a counter reset
 * to Prometheus) and the first sample of each pool and volume is only a baseline.
 */
export class AgentMetrics {
  private readonly now: () => number;
  private readonly minUsageIntervalMs: number;

  private readonly operationDuration: Histogram;
  private readonly operationErrors: Counter;
  private readonly collectErrors: Counter;
  private readonly poolDataSize: Gauge;
  private readonly poolDataUsed: Gauge;
  private readonly poolMetadataSize: Gauge;
  private readonly poolMetadataUsed: Gauge;
  private readonly poolVolumes: Gauge;
  private readonly poolActiveVolumes: Gauge;
  private readonly poolNeedsCheck: Gauge;
  private readonly poolTransactionId: Gauge;
  private readonly volumeSize: Gauge;
  private readonly volumeMapped: Gauge;
  private readonly volumeActive: Gauge;
  private readonly poolProvisioned: Counter;
  private readonly volumeProvisioned: Counter;
  private readonly jobs: Gauge;
  private readonly info: Gauge;

  /** Pools with a provisioned-bytes series, and volumes' series keyed by JSON [pool, volume]. */
  private readonly poolSeries = new Set<string>();
  private readonly volumeSeries = new Map<string, { pool: string; volume: string }>();

  private readonly usageCache = new Map<string, UsageCache>();
  private readonly poolBaselines = new Map<string, Baseline>();
  /** Keyed by JSON [pool, volume]. */
  private readonly volumeBaselines = new Map<string, Baseline>();
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    registry: Registry,
    private readonly source: MetricsSource,
    options: AgentMetricsOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.minUsageIntervalMs = options.minUsageIntervalMs ?? DEFAULT_MIN_USAGE_INTERVAL_MS;
    const guard = new CollectGuard(registry, options.logger);
    const registers = [registry];
    // Every metric read from the pools collects first; concurrent callbacks join one collection.
    const collect = guard.wrap('agent', () => this.collect());
    const pool = ['pool'];
    const volume = ['pool', 'volume'];
    const gauge = (name: string, help: string, labelNames: string[]): Gauge => new Gauge({ name, help, labelNames, registers, collect });
    const counter = (name: string, help: string, labelNames: string[]): Counter => new Counter({ name, help, labelNames, registers, collect });
    // Declarations of distinct metrics, alike by design (duplicates pairs them by shape, here and in capacity-metrics.ts): each is its own name, help and labels.
    this.operationDuration = new Histogram({
      name: 'thinfleet_operation_duration_seconds',
      help: 'Duration of agent operations (RPCs), failed ones included.',
      labelNames: ['operation'],
      buckets: [...OPERATION_BUCKETS_SECONDS],
      registers,
    });
    this.operationErrors = new Counter({
      name: 'thinfleet_operation_errors_total',
      help: 'Agent operations (RPCs) that failed, by error code.',
      labelNames: ['operation', 'code'],
      registers,
    });
    this.collectErrors = counter('thinfleet_metrics_collect_errors_total', 'Pool status or usage reads that failed while collecting metrics.', pool);
    this.poolDataSize = gauge('thinfleet_pool_data_size_bytes', 'Size of the pool data device.', pool);
    this.poolDataUsed = gauge('thinfleet_pool_data_used_bytes', 'Data bytes the pool has allocated.', pool);
    this.poolMetadataSize = gauge('thinfleet_pool_metadata_size_bytes', 'Size of the pool metadata device.', pool);
    this.poolMetadataUsed = gauge('thinfleet_pool_metadata_used_bytes', 'Metadata bytes the pool has allocated.', pool);
    this.poolVolumes = gauge('thinfleet_pool_volumes', 'Volumes in the pool.', pool);
    this.poolActiveVolumes = gauge('thinfleet_pool_active_volumes', 'Volumes of the pool with an active device.', pool);
    this.poolNeedsCheck = gauge('thinfleet_pool_needs_check', '1 when the kernel flags the pool metadata as needing thin_check, or the pool status cannot be read.', pool);
    this.poolTransactionId = gauge('thinfleet_pool_transaction_id', 'The pool transaction id in the kernel.', pool);
    this.volumeSize = gauge('thinfleet_volume_size_bytes', 'Virtual size of the volume.', volume);
    this.volumeMapped = gauge('thinfleet_volume_mapped_bytes', 'Pool data bytes the volume maps, shared ones included.', volume);
    this.volumeActive = gauge('thinfleet_volume_active', '1 when the volume has an active device.', volume);
    this.poolProvisioned = counter(
      'thinfleet_pool_provisioned_bytes_total',
      'Sum of the increases of the pool used data bytes between samples: bytes of newly provisioned data blocks.',
      pool,
    );
    this.volumeProvisioned = counter(
      'thinfleet_volume_provisioned_bytes_total',
      'Sum of the increases of the volume mapped bytes between samples: bytes of newly provisioned data blocks.',
      volume,
    );
    const jobCounts = options.jobCounts;
    this.jobs = new Gauge({
      name: 'thinfleet_jobs',
      help: 'Jobs known to the agent, by kind and state.',
      labelNames: ['kind', 'state'],
      registers,
      ...(jobCounts === undefined ? {} : { collect: guard.wrap('jobs', () => this.setJobCounts(jobCounts())) }),
    });
    this.info = new Gauge({ name: 'thinfleet_agent_info', help: 'Agent build and device-mapper backend; always 1.', labelNames: ['version', 'dm'], registers });
  }

  /**
   * Records one operation: its duration, and when `errorCode` is not null (an engine or agent
   * error code such as NO_SUCH_VOLUME), one error. Throws a RangeError for a NaN duration.
   */
  observeOperation(operation: string, durationSeconds: number, errorCode: string | null): void {
    if (typeof durationSeconds !== 'number' || Number.isNaN(durationSeconds)) throw new RangeError(`thinfleet_operation_duration_seconds: cannot observe ${durationSeconds}`);
    this.operationDuration.observe({ operation }, durationSeconds);
    if (errorCode !== null) this.operationErrors.inc({ operation, code: errorCode });
  }

  /** Replaces the job counts (by kind, then by state): one series per kind and state given; those left out disappear. */
  setJobCounts(counts: Readonly<Record<string, Readonly<Record<string, number>>>>): void {
    this.jobs.reset();
    for (const [kind, byState] of Object.entries(counts)) for (const [state, n] of Object.entries(byState)) this.jobs.set({ kind, state }, n);
  }

  /** Sets `thinfleet_agent_info{version, dm} 1`, replacing any earlier info. */
  setInfo(version: string, dm: string): void {
    this.info.reset();
    this.info.set({ version, dm }, 1);
  }

  /**
   * Samples every pool and updates the pool and volume metrics. A collection already under way
   * is joined instead of starting another. Never rejects: a pool whose status or usage read
   * fails is counted in `thinfleet_metrics_collect_errors_total{pool}` and its series left out
   * until a read succeeds again.
   */
  collect(): Promise<void> {
    if (this.inFlight === null) {
      this.inFlight = this.collectOnce().finally(() => {
        this.inFlight = null;
      });
    }
    return this.inFlight;
  }

  /**
   * Samples every `intervalMs` (default 10 s) between scrapes, so the provisioned counters see
   * growth that a delete undoes before the next scrape. The timer does not keep the process
   * alive. Idempotent: a second call replaces the first timer.
   */
  startSampling(intervalMs = DEFAULT_SAMPLE_INTERVAL_MS): void {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`startSampling: intervalMs must be positive, got ${intervalMs}`);
    this.stopSampling();
    this.timer = setInterval(() => void this.collect(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer of {@link startSampling}. Idempotent. */
  stopSampling(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async collectOnce(): Promise<void> {
    const pools = [...this.source.pools()];
    const samples = await Promise.all(pools.map((p) => this.samplePool(p)));
    this.apply(samples);
  }

  /** Reads one pool; never rejects. */
  private async samplePool(pool: MetricsPool): Promise<PoolSample> {
    const name = pool.name;
    let status: PoolStatus | null = null;
    let statusError: unknown = null;
    try {
      status = await pool.status();
    } catch (err) {
      statusError = err ?? new Error('pool status failed');
    }
    if (status === null) {
      return { name, status, statusError, usage: undefined, freshUsage: false, usageError: null };
    }
    const cached = this.usageCache.get(name);
    const now = this.now();
    if (cached !== undefined && now - cached.readAtMs < this.minUsageIntervalMs && now >= cached.readAtMs) {
      return { name, status, statusError, usage: cached, freshUsage: false, usageError: null };
    }
    let usage: UsageCache;
    let usageError: unknown = null;
    try {
      usage = { readAtMs: now, volumes: await pool.list({ usage: true }) };
    } catch (err) {
      usage = { readAtMs: now, volumes: null };
      usageError = err ?? new Error('volume list failed');
    }
    return { name, status, statusError, usage, freshUsage: true, usageError };
  }

  /** Writes a collection's samples to the metrics, all at once. */
  private apply(samples: readonly PoolSample[]): void {
    const gauges = [
      this.poolDataSize,
      this.poolDataUsed,
      this.poolMetadataSize,
      this.poolMetadataUsed,
      this.poolVolumes,
      this.poolActiveVolumes,
      this.poolNeedsCheck,
      this.poolTransactionId,
      this.volumeSize,
      this.volumeMapped,
      this.volumeActive,
    ];
    for (const g of gauges) g.reset();

    const present = new Set(samples.map((s) => s.name));
    this.forgetPools(present);
    const volumesSeen = new Set<string>();

    for (const s of samples) {
      const pool = { pool: s.name };
      if (s.statusError !== null) this.collectErrors.inc(pool);
      if (s.usageError !== null) this.collectErrors.inc(pool);
      if (s.usage !== undefined) this.usageCache.set(s.name, s.usage);
      const st = s.status;
      const volumes = st === null ? null : (s.usage?.volumes ?? null);
      if (volumes === null) {
        // The volumes are unknown, not gone: keep their counters and baselines for the next read.
        for (const [key, labels] of this.volumeSeries) if (labels.pool === s.name) volumesSeen.add(key);
      }
      if (st === null) continue;
      this.poolDataSize.set(pool, st.dataTotalBytes);
      this.poolDataUsed.set(pool, st.dataUsedBytes);
      this.poolMetadataSize.set(pool, st.metadataTotalBytes);
      this.poolMetadataUsed.set(pool, st.metadataUsedBytes);
      this.poolVolumes.set(pool, st.volumes);
      this.poolActiveVolumes.set(pool, st.activeVolumes);
      this.poolNeedsCheck.set(pool, st.needsCheck ? 1 : 0);
      const tx = Number(st.transactionId);
      if (Number.isFinite(tx)) this.poolTransactionId.set(pool, tx);
      this.poolProvisioned.inc(pool, 0);
      this.poolSeries.add(s.name);
      // A pool whose kernel status failed reports 0 used bytes: no sample, or its return
      // would count the whole pool as newly provisioned.
      if (st.mode !== 'failed') this.advance(this.poolBaselines, s.name, st.uuid, st.dataUsedBytes, this.poolProvisioned, pool);

      if (volumes === null) continue;
      for (const v of volumes) {
        const labels = { pool: s.name, volume: v.name };
        const key = JSON.stringify([s.name, v.name]);
        volumesSeen.add(key);
        this.volumeSize.set(labels, v.sizeBytes);
        this.volumeActive.set(labels, v.active ? 1 : 0);
        this.volumeProvisioned.inc(labels, 0);
        this.volumeSeries.set(key, labels);
        if (v.mappedBytes === null) continue;
        this.volumeMapped.set(labels, v.mappedBytes);
        // Cached usage holds no news: only a fresh read moves the counter.
        if (s.freshUsage) this.advance(this.volumeBaselines, key, v.uuid, v.mappedBytes, this.volumeProvisioned, labels);
      }
    }

    // Volumes gone (deleted, renamed, their pool gone) lose their counters.
    for (const [key, labels] of [...this.volumeSeries]) {
      if (!volumesSeen.has(key)) {
        this.volumeProvisioned.remove(labels);
        this.volumeSeries.delete(key);
        this.volumeBaselines.delete(key);
      }
    }
  }

  /** Drops everything kept about pools no longer in the source. */
  private forgetPools(present: ReadonlySet<string>): void {
    for (const name of [...this.poolSeries]) {
      if (present.has(name)) continue;
      this.poolProvisioned.remove({ pool: name });
      this.poolSeries.delete(name);
    }
    for (const name of [...this.poolBaselines.keys()]) if (!present.has(name)) this.poolBaselines.delete(name);
    for (const name of [...this.usageCache.keys()]) if (!present.has(name)) this.usageCache.delete(name);
  }

  /** Adds the growth since the last sample of `key` to `counter`, and moves the baseline. */
  private advance(baselines: Map<string, Baseline>, key: string, uuid: string, bytes: number, counter: Counter, labels: Readonly<Record<string, string>>): void {
    const last = baselines.get(key);
    if (last !== undefined && last.uuid === uuid && bytes > last.bytes) counter.inc(labels, bytes - last.bytes);
    baselines.set(key, { uuid, bytes });
  }
}
