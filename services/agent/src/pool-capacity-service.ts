/**
 * The PoolService calls about capacity: WatchPoolEvents (the capacity monitor's events as a
 * stream), ExtendPool (grow a pool's data region by hand) and SetPool (its no-space mode).
 * Kept apart from pool-service.ts, which has the pool lifecycle; agent.ts joins both.
 */
import { Metadata, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { NoSpaceMode } from '@thinfleet/engine';
import type { PoolServiceHandlers, SetPoolRequest__Output, WatchPoolEventsRequest__Output, ExtendPoolRequest__Output } from '@thinfleet/proto';
import { badRequest } from './agent-error.js';
import type { PoolCapacityMonitor } from './capacity/pool-capacity-monitor.js';
import { checkDevicePath } from './device-attachments.js';
import type { HostPools } from './host-pools.js';
import type { CapacityMetrics } from './metrics/capacity-metrics.js';
import { poolEventMessage, poolMessage } from './proto-messages.js';
import { bytesField, poolNameField } from './request-checks.js';
import { serverStream, unary, type RpcContext } from './rpc.js';
import { runWatch, StreamWatches } from './stream-watches.js';

/** The PoolService methods this module serves. */
export type CapacityRpc = 'WatchPoolEvents' | 'ExtendPool' | 'SetPool';

/** A no-space mode request field: "queue", "error", or "" (unset: null). */
export function noSpaceModeField(field: string, value: unknown): NoSpaceMode | null {
  if (value === '' || value === undefined) return null;
  if (value === 'queue' || value === 'error') return value;
  // A proto string field: String() only guards a caller that passes something else.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  throw badRequest(field, `must be "queue" or "error", got ${JSON.stringify(String(value).slice(0, 16))}`);
}

/** The open WatchPoolEvents streams. */
export class PoolEventWatches extends StreamWatches {}

export interface CapacityDeps {
  readonly pools: HostPools;
  readonly monitor: PoolCapacityMonitor;
  readonly metrics: CapacityMetrics | null;
  readonly watches: PoolEventWatches;
}

export function poolCapacityHandlers(ctx: RpcContext, deps: CapacityDeps): Pick<PoolServiceHandlers, CapacityRpc> & UntypedServiceImplementation {
  const { pools, monitor, watches } = deps;
  return {
    WatchPoolEvents: serverStream(ctx, 'WatchPoolEvents', async (r: WatchPoolEventsRequest__Output, call) => {
      const name = r.name === '' ? null : poolNameField('name', r.name);
      // A pool this host does not know is refused (NO_SUCH_POOL), not watched forever; a known
      // inactive pool may be watched (its events come once it is active).
      if (name !== null) await pools.view(name);
      // The response headers say the watch is established, before any event.
      call.sendMetadata(new Metadata());
      await runWatch(call, watches, 'watch again after it restarts', () => monitor.subscribe(name, (e) => call.write({ event: poolEventMessage(e) })));
    }),

    ExtendPool: unary(ctx, 'ExtendPool', async (r: ExtendPoolRequest__Output) => {
      const name = poolNameField('name', r.name);
      const device = checkDevicePath('device', r.device);
      const sizeBytes = r.sizeBytes === 0 ? null : bytesField('size_bytes', r.sizeBytes);
      const done = await pools.extend(name, 'device', device, sizeBytes);
      deps.metrics?.extended(name, 'manual');
      const view = await pools.view(name);
      if (view.status !== null) monitor.publish(monitor.event(name, 'extended', view.status, false));
      void monitor.poll(); // thresholds and out-of-space mode change with the size; never rejects
      return { pool: poolMessage(view), addedBytes: done.addedBytes };
    }),

    SetPool: unary(ctx, 'SetPool', async (r: SetPoolRequest__Output) => {
      const name = poolNameField('name', r.name);
      const mode = noSpaceModeField('no_space_mode', r.noSpaceMode);
      const pool = pools.engine.pool(name);
      if (mode !== null) await pool.setNoSpaceMode(mode);
      return { pool: poolMessage(await pools.view(name)) };
    }),
  };
}
