/**
 * The capacity monitor's metrics: which pools are over their data and metadata thresholds or
 * out of data space (gauges, 0 or 1), how often thresholds were crossed and pools extended
 * (counters). The existing usage gauges (`thinfleet_pool_data_used_bytes`...) stay where they
 * are (agent-metrics.ts).
 */
import type { Counter, Gauge, MetricsRegistry } from './metrics-registry.js';

/** The region a threshold is about. */
export type CapacityRegion = 'data' | 'metadata';

export class CapacityMetrics {
  private readonly over: Record<CapacityRegion, Gauge>;
  private readonly crossings: Counter;
  private readonly outOfSpace: Gauge;
  private readonly extensions: Counter;

  /** Registers the metrics in `registry` (once per registry). */
  constructor(registry: MetricsRegistry) {
    const pool = ['pool'];
    this.over = {
      data: registry.gauge('thinfleet_pool_data_threshold_exceeded', 'Whether the pool data use is at or above poolDataWarnPercent (1) or not (0).', pool),
      metadata: registry.gauge('thinfleet_pool_metadata_threshold_exceeded', 'Whether the pool metadata use is at or above poolMetadataWarnPercent (1) or not (0).', pool),
    };
    this.crossings = registry.counter('thinfleet_pool_threshold_crossings_total', 'Times the pool data or metadata use rose to its warning threshold.', ['pool', 'region']);
    this.outOfSpace = registry.gauge('thinfleet_pool_out_of_data_space', 'Whether the kernel reports the pool out of data space (1) or not (0).', pool);
    this.extensions = registry.counter('thinfleet_pool_extensions_total', 'Times the pool data region was extended, by hand (manual) or by autoextend (auto).', ['pool', 'trigger']);
  }

  /** Sets the gauges of one pool's sample. */
  sample(pool: string, state: { dataOver: boolean; metadataOver: boolean; outOfSpace: boolean }): void {
    this.over.data.set({ pool }, state.dataOver ? 1 : 0);
    this.over.metadata.set({ pool }, state.metadataOver ? 1 : 0);
    this.outOfSpace.set({ pool }, state.outOfSpace ? 1 : 0);
  }

  /** Counts a rise of `region` use to its threshold. */
  crossed(pool: string, region: CapacityRegion): void {
    this.crossings.inc({ pool, region });
  }

  /** Counts an extension of the pool's data region. */
  extended(pool: string, trigger: 'manual' | 'auto'): void {
    this.extensions.inc({ pool, trigger });
  }

  /** Drops the gauges of a pool that is no longer active here (its counters stay). */
  forget(pool: string): void {
    this.over.data.remove({ pool });
    this.over.metadata.remove({ pool });
    this.outOfSpace.remove({ pool });
  }
}
