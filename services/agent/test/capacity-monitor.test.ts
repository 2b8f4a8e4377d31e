/**
 * Issue 11 item 7b: pool data and metadata thresholds. The monitor is polled by hand with a
 * settable clock, so crossing, clearing and re-crossing are proved without sleeping.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { PoolStatus } from '@thinfleet/engine';
import { PoolCapacityMonitor, type MonitoredPool } from '../src/capacity/pool-capacity-monitor.js';
import type { PoolEvent } from '../src/capacity/pool-event.js';
import { CapacityMetrics } from '../src/metrics/capacity-metrics.js';
import { Registry } from 'prom-client';

const MiB = 2 ** 20;

class FakePool implements MonitoredPool {
  dataUsed = 0;
  metaUsed = 0;
  mode: PoolStatus['mode'] = 'rw';
  fail = false;
  constructor(
    readonly name: string,
    readonly uuid = `${name}-uuid`,
  ) {}
  async status(): Promise<PoolStatus> {
    if (this.fail) throw new Error('unreadable');
    return {
      name: this.name,
      uuid: this.uuid,
      transactionId: '1',
      mode: this.mode,
      needsCheck: false,
      dataBlockBytes: 64 * 1024,
      dataTotalBytes: 100 * MiB,
      dataUsedBytes: this.dataUsed,
      metadataTotalBytes: 10 * MiB,
      metadataUsedBytes: this.metaUsed,
      volumes: 0,
      activeVolumes: 0,
      devices: [],
      maxVolumeBytes: 0,
      noSpaceMode: 'queue',
      provisionedBytes: 0,
    };
  }
}

function setup(pools: FakePool[]) {
  let now = 5_000;
  const registry = new Registry();
  const metrics = new CapacityMetrics(registry);
  const monitor = new PoolCapacityMonitor({
    pools: () => pools,
    dataWarnPercent: 80,
    metadataWarnPercent: 75,
    logger: pino({ level: 'silent' }),
    metrics,
    now: () => now,
  });
  const seen: PoolEvent[] = [];
  monitor.subscribe(null, (e) => seen.push(e));
  const value = async (name: string, labels: string): Promise<number | undefined> => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };
  return { monitor, seen, value, tick: (ms: number) => (now += ms) };
}

describe('PoolCapacityMonitor', () => {
  it('reports a data threshold crossed, cleared and crossed again, once per change', async () => {
    const p = new FakePool('tank');
    const { monitor, seen, value, tick } = setup([p]);
    p.dataUsed = 79 * MiB;
    expect(await monitor.poll()).toEqual([]);
    expect(await value('thinfleet_pool_data_threshold_exceeded', 'pool="tank"')).toBe(0);

    tick(1000);
    p.dataUsed = 80 * MiB;
    const crossed = await monitor.poll();
    expect(crossed).toEqual([
      expect.objectContaining({ pool: 'tank', kind: 'data-threshold-crossed', usedBytes: 80 * MiB, totalBytes: 100 * MiB, thresholdPercent: 80, atMs: 6_000, current: false }),
    ]);
    expect(crossed[0]!.message).toBe('pool tank: data use 80% (80.0 MiB of 100.0 MiB) reached the 80% threshold');
    expect(await value('thinfleet_pool_data_threshold_exceeded', 'pool="tank"')).toBe(1);
    expect(await value('thinfleet_pool_threshold_crossings_total', 'pool="tank",region="data"')).toBe(1);

    p.dataUsed = 90 * MiB;
    expect(await monitor.poll()).toEqual([]); // still over: nothing new

    p.dataUsed = 50 * MiB;
    expect((await monitor.poll()).map((e) => e.kind)).toEqual(['data-threshold-cleared']);
    expect(await value('thinfleet_pool_data_threshold_exceeded', 'pool="tank"')).toBe(0);

    p.dataUsed = 95 * MiB;
    expect((await monitor.poll()).map((e) => e.kind)).toEqual(['data-threshold-crossed']);
    expect(await value('thinfleet_pool_threshold_crossings_total', 'pool="tank",region="data"')).toBe(2);
    expect(seen.map((e) => e.kind)).toEqual(['data-threshold-crossed', 'data-threshold-cleared', 'data-threshold-crossed']);
  });

  it('watches metadata with its own threshold, and out-of-data-space mode', async () => {
    const p = new FakePool('tank');
    const { monitor, value } = setup([p]);
    p.metaUsed = 7.5 * MiB;
    p.mode = 'out_of_data_space';
    p.dataUsed = 100 * MiB;
    expect((await monitor.poll()).map((e) => e.kind)).toEqual(['data-threshold-crossed', 'metadata-threshold-crossed', 'out-of-data-space']);
    expect(await value('thinfleet_pool_out_of_data_space', 'pool="tank"')).toBe(1);
    expect(await value('thinfleet_pool_metadata_threshold_exceeded', 'pool="tank"')).toBe(1);
    p.mode = 'rw';
    p.metaUsed = MiB;
    p.dataUsed = 10 * MiB;
    expect((await monitor.poll()).map((e) => e.kind)).toEqual(['data-threshold-cleared', 'metadata-threshold-cleared', 'data-space-available']);
    expect(await value('thinfleet_pool_out_of_data_space', 'pool="tank"')).toBe(0);
  });

  it('gives a new watcher the thresholds a pool is over now, only for the pool it watches', async () => {
    const a = new FakePool('a');
    const b = new FakePool('b');
    const { monitor } = setup([a, b]);
    a.dataUsed = 99 * MiB;
    b.dataUsed = 99 * MiB;
    await monitor.poll();
    const got: PoolEvent[] = [];
    const stop = monitor.subscribe('b', (e) => got.push(e));
    expect(got).toEqual([expect.objectContaining({ pool: 'b', kind: 'data-threshold-crossed', current: true })]);
    a.dataUsed = 0;
    b.dataUsed = 0;
    await monitor.poll();
    expect(got.map((e) => [e.pool, e.kind])).toEqual([
      ['b', 'data-threshold-crossed'],
      ['b', 'data-threshold-cleared'],
    ]);
    stop();
    b.dataUsed = 99 * MiB;
    await monitor.poll();
    expect(got).toHaveLength(2);
  });

  it('keeps a pool state through an unreadable status, and forgets pools that went away', async () => {
    const p = new FakePool('tank');
    const pools = [p];
    const { monitor, value } = setup(pools);
    p.dataUsed = 99 * MiB;
    await monitor.poll();
    p.fail = true;
    expect(await monitor.poll()).toEqual([]);
    p.fail = false;
    expect(await monitor.poll()).toEqual([]); // still over, no second crossing
    pools.pop();
    await monitor.poll();
    expect(await value('thinfleet_pool_data_threshold_exceeded', 'pool="tank"')).toBeUndefined();
    pools.push(p);
    expect((await monitor.poll()).map((e) => e.kind)).toEqual(['data-threshold-crossed']);
  });
});
