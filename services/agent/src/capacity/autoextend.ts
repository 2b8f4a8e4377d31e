/**
 * Autoextend (agent config `poolAutoextend`): when the capacity monitor finds a pool's data use
 * at or above its threshold, the pool gets the next `stepBytes` of its configured spare device,
 * through the same path as `pool extend` by hand (HostPools.extend: the device is attached,
 * labelled and recorded on the first step; later steps take the space after the last extent on
 * it). LVM's dmeventd does the same with thin_pool_autoextend_threshold/percent, from the
 * volume group's free space.
 *
 * A setting of the agent, not of the pool: the spare is a path on this host (another host that
 * takes the pool over has its own paths, or none). Crash story: that of pool extend.
 */
import type { Logger } from 'pino';
import type { AutoextendConfig } from '../agent-config.js';
import type { HostPools } from '../host-pools.js';
import type { CapacityMetrics } from '../metrics/capacity-metrics.js';
import type { Autoextend } from './pool-capacity-monitor.js';

export interface AutoextendDeps {
  readonly config: Readonly<Record<string, AutoextendConfig>>;
  readonly pools: Pick<HostPools, 'extend' | 'view'>;
  readonly metrics: CapacityMetrics | null;
  readonly logger: Logger;
}

/**
 * The monitor's autoextend hook, or null when no pool has one. The hook resolves null for a pool
 * without a setting, `{ skipped }` when the spare is used up, `{ extendedBytes, status }` after a
 * step (the monitor sends the `extended` event); it rejects when the extend failed (the monitor
 * reports that once per crossing).
 */
export function makeAutoextend(deps: AutoextendDeps): Autoextend | null {
  if (Object.keys(deps.config).length === 0) return null;
  return async (pool) => {
    const setting = deps.config[pool];
    if (setting === undefined) return null;
    let result;
    try {
      result = await deps.pools.extend(pool, `poolAutoextend.${pool}.device`, setting.device, setting.stepBytes);
    } catch (err) {
      if ((err as Error).message.includes('no free space left')) return { skipped: `the spare ${setting.device} is used up` };
      throw err;
    }
    deps.metrics?.extended(pool, 'auto');
    deps.logger.warn({ pool, device: setting.device, addedBytes: result.addedBytes }, 'pool autoextended');
    return { extendedBytes: result.addedBytes, status: (await deps.pools.view(pool)).status };
  };
}
