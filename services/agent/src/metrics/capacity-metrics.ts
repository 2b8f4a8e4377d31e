/**
 * The capacity monitor's metrics: which pools are over their data and metadata thresholds or
 * out of data space (gauges, 0 or 1), how often thresholds were crossed and pools extended
 * (counters). The existing usage gauges (`thinfleet_pool_data_used_bytes`...) stay where they
 * are (agent-metrics.ts).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** The region a threshold is about. */
export type CapacityRegion = 'data' | 'metadata';

/** The capacity metrics of one registry; values live in memory (a restart starts counters at 0). */
export class CapacityMetrics {
  private readonly over: Record<CapacityRegion, Gauge>;
  private readonly crossings: Counter;
  private readonly outOfSpace: Gauge;
  private readonly extensions: Counter;

  /** Registers the metrics in `registry` (once per registry). */
  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ['pool'];
    // Declarations of distinct metrics, alike by design (duplicates pairs them with agent-metrics.ts by shape).
    this.over = {
      data: new Gauge({ name: 'thinfleet_pool_data_threshold_exceeded', help: 'Whether the pool data use is at or above poolDataWarnPercent (1) or not (0).', labelNames, registers }),
      metadata: new Gauge({
        name: 'thinfleet_pool_metadata_threshold_exceeded',
        help: 'Whether the pool metadata use is at or above poolMetadataWarnPercent (1) or not (0).',
        labelNames,
        registers,
      }),
    };
    this.crossings = new Counter({
      name: 'thinfleet_pool_threshold_crossings_total',
      help: 'Times the pool data or metadata use rose to its warning threshold.',
      labelNames: ['pool', 'region'],
      registers,
    });
    this.outOfSpace = new Gauge({ name: 'thinfleet_pool_out_of_data_space', help: 'Whether the kernel reports the pool out of data space (1) or not (0).', labelNames, registers });
    this.extensions = new Counter({
      name: 'thinfleet_pool_extensions_total',
      help: 'Times the pool data region was extended, by hand (manual) or by autoextend (auto).',
      labelNames: ['pool', 'trigger'],
      registers,
    });
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
