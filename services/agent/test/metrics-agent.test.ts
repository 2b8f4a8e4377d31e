/**
 * AgentMetrics over a hand-driven source of pools: the gauges it reports, the provisioned
 * counters (growth only, per pool and volume), the usage-read cache, failing pools, pools and
 * volumes that go away, operations, jobs and info.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Engine, PoolStatus, VolumeInfo } from '@thinfleet/engine';
import { AgentMetrics, type MetricsPool, type MetricsSource } from '../src/metrics/agent-metrics.js';
import { Registry } from 'prom-client';
import { sampleValue } from '../../../test/support/metric-samples.js';

const MiB = 1024 * 1024;

/** A pool whose status and volumes the test sets, counting the usage reads made of it. */
class FakePool implements MetricsPool {
  usedBytes = 0;
  uuid = 'pool-uuid-1';
  mode: PoolStatus['mode'] = 'rw';
  failStatus = false;
  failList = false;
  listCalls = 0;
  volumes = new Map<string, { uuid: string; sizeBytes: number; mappedBytes: number | null; active: boolean }>();

  constructor(readonly name: string) {}

  async status(): Promise<PoolStatus> {
    if (this.failStatus) throw new Error(`status of ${this.name} failed`);
    return {
      name: this.name,
      uuid: this.uuid,
      transactionId: '17',
      mode: this.mode,
      needsCheck: this.mode === 'failed',
      dataBlockBytes: 64 * 1024,
      dataTotalBytes: 1024 * MiB,
      dataUsedBytes: this.mode === 'failed' ? 0 : this.usedBytes,
      metadataTotalBytes: 4 * MiB,
      metadataUsedBytes: 12 * 4096,
      volumes: this.volumes.size,
      activeVolumes: [...this.volumes.values()].filter((v) => v.active).length,
      devices: ['/dev/loop0'],
      maxVolumeBytes: 1 << 40,
      noSpaceMode: 'queue',
      provisionedBytes: 0,
    };
  }

  async list(options: { usage?: boolean }): Promise<VolumeInfo[]> {
    this.listCalls++;
    if (this.failList) throw new Error(`list of ${this.name} failed`);
    return [...this.volumes.entries()].map(([name, v]) => ({
      name,
      uuid: v.uuid,
      thinId: 1,
      sizeBytes: v.sizeBytes,
      origin: null,
      externalOrigin: null,
      created: '2024-01-01T00:00:00.000Z',
      revisionOf: null,
      revision: null,
      pinned: false,
      active: v.active,
      devicePath: v.active ? `/dev/mapper/${name}` : null,
      mappedBytes: options.usage ? v.mappedBytes : null,
      exclusiveBytes: null,
      sharedBytes: null,
      deleting: null,
      job: null,
      deviceSnapshot: null,
    }));
  }
}

/** A registry, AgentMetrics over `pools`, a settable clock, and a reader of rendered values. */
function setup(pools: FakePool[], minUsageIntervalMs = 5000) {
  const registry = new Registry();
  const clock = { ms: 1_000_000 };
  const source = { pools: () => pools };
  const metrics = new AgentMetrics(registry, source, { minUsageIntervalMs, now: () => clock.ms });
  let text = '';
  const scrape = async (): Promise<string> => (text = await registry.metrics());
  /** The value of the sample `name{labels}` in the last scrape, or undefined when absent. */
  const value = (name: string, labels: Record<string, string> = {}): number | undefined => sampleValue(text, name, labels);
  return { registry, metrics, clock, scrape, value, text: () => text };
}

describe('pool and volume gauges', () => {
  it('take the engine as their source (checked by the type checker)', () => {
    expectTypeOf<Engine>().toExtend<MetricsSource>();
  });

  it('report what status and the usage list say', async () => {
    const p = new FakePool('tank');
    p.usedBytes = 10 * MiB;
    p.volumes.set('vm1', { uuid: 'u1', sizeBytes: 100 * MiB, mappedBytes: 3 * MiB, active: true });
    p.volumes.set('vm2', { uuid: 'u2', sizeBytes: 50 * MiB, mappedBytes: 0, active: false });
    const t = setup([p]);
    await t.scrape();
    const pool = { pool: 'tank' };
    expect(t.value('thinfleet_pool_data_size_bytes', pool)).toBe(1024 * MiB);
    expect(t.value('thinfleet_pool_data_used_bytes', pool)).toBe(10 * MiB);
    expect(t.value('thinfleet_pool_metadata_size_bytes', pool)).toBe(4 * MiB);
    expect(t.value('thinfleet_pool_metadata_used_bytes', pool)).toBe(12 * 4096);
    expect(t.value('thinfleet_pool_volumes', pool)).toBe(2);
    expect(t.value('thinfleet_pool_active_volumes', pool)).toBe(1);
    expect(t.value('thinfleet_pool_needs_check', pool)).toBe(0);
    expect(t.value('thinfleet_pool_transaction_id', pool)).toBe(17);
    expect(t.value('thinfleet_volume_size_bytes', { pool: 'tank', volume: 'vm1' })).toBe(100 * MiB);
    expect(t.value('thinfleet_volume_mapped_bytes', { pool: 'tank', volume: 'vm1' })).toBe(3 * MiB);
    expect(t.value('thinfleet_volume_active', { pool: 'tank', volume: 'vm1' })).toBe(1);
    expect(t.value('thinfleet_volume_active', { pool: 'tank', volume: 'vm2' })).toBe(0);
    expect(t.value('thinfleet_volume_mapped_bytes', { pool: 'tank', volume: 'vm2' })).toBe(0);
  });

  it('drop the series of volumes and pools that went away', async () => {
    const a = new FakePool('a');
    const b = new FakePool('b');
    a.volumes.set('keep', { uuid: 'k', sizeBytes: MiB, mappedBytes: 0, active: false });
    a.volumes.set('gone', { uuid: 'g', sizeBytes: MiB, mappedBytes: 0, active: false });
    const pools = [a, b];
    const t = setup(pools, 0);
    await t.scrape();
    expect(t.value('thinfleet_volume_size_bytes', { pool: 'a', volume: 'gone' })).toBe(MiB);
    expect(t.value('thinfleet_volume_provisioned_bytes_total', { pool: 'a', volume: 'gone' })).toBe(0);
    expect(t.value('thinfleet_pool_volumes', { pool: 'b' })).toBe(0);

    a.volumes.delete('gone');
    pools.pop(); // pool b deactivated
    t.clock.ms += 1;
    await t.scrape();
    expect(t.value('thinfleet_volume_size_bytes', { pool: 'a', volume: 'keep' })).toBe(MiB);
    expect(t.text()).not.toContain('volume="gone"');
    expect(t.text()).not.toContain('pool="b"');
  });
});

describe('provisioned bytes counters', () => {
  it('add the growth of used and mapped bytes between samples and never subtract', async () => {
    const p = new FakePool('tank');
    p.usedBytes = 100 * MiB;
    p.volumes.set('vm', { uuid: 'u', sizeBytes: 1024 * MiB, mappedBytes: 40 * MiB, active: true });
    const t = setup([p], 0);
    const poolTotal = async (): Promise<number | undefined> => (await t.scrape(), t.value('thinfleet_pool_provisioned_bytes_total', { pool: 'tank' }));
    const volTotal = (): number | undefined => t.value('thinfleet_volume_provisioned_bytes_total', { pool: 'tank', volume: 'vm' });

    // The first sample is only the baseline: what was there before the agent started is not news.
    expect(await poolTotal()).toBe(0);
    expect(volTotal()).toBe(0);

    const steps: Array<[number, number, number, number]> = [
      // [pool used, volume mapped, expected pool counter, expected volume counter]
      [130, 50, 30, 10], // growth counts
      [90, 20, 30, 10], // a discard: no change, and no negative step
      [95, 30, 35, 20], // growth from the lower value counts again
      [95, 30, 35, 20], // unchanged
    ];
    for (const [used, mapped, expectPool, expectVol] of steps) {
      p.usedBytes = used * MiB;
      (p.volumes.get('vm') as { mappedBytes: number }).mappedBytes = mapped * MiB;
      t.clock.ms += 1;
      expect(await poolTotal()).toBe(expectPool * MiB);
      expect(volTotal()).toBe(expectVol * MiB);
    }
  });

  it('sample on the timer between scrapes, so growth a delete undoes is still counted', async () => {
    const p = new FakePool('tank');
    p.usedBytes = 10 * MiB;
    const t = setup([p], 0);
    await t.scrape();
    p.usedBytes = 60 * MiB;
    await t.metrics.collect(); // what the sampling timer does between scrapes
    p.usedBytes = 10 * MiB; // deleted again before the next scrape
    await t.scrape();
    expect(t.value('thinfleet_pool_provisioned_bytes_total', { pool: 'tank' })).toBe(50 * MiB);
  });

  it('start a new baseline for a new pool or volume of the same name, and ignore failed-mode status', async () => {
    const p = new FakePool('tank');
    p.usedBytes = 10 * MiB;
    p.volumes.set('vm', { uuid: 'old', sizeBytes: MiB, mappedBytes: 5 * MiB, active: false });
    const t = setup([p], 0);
    await t.scrape();

    // The kernel status fails: the engine reports 0 used bytes in mode 'failed'. Its return
    // must not count the whole pool as provisioned.
    p.mode = 'failed';
    t.clock.ms += 1;
    await t.scrape();
    expect(t.value('thinfleet_pool_needs_check', { pool: 'tank' })).toBe(1);
    p.mode = 'rw';
    t.clock.ms += 1;
    await t.scrape();
    expect(t.value('thinfleet_pool_provisioned_bytes_total', { pool: 'tank' })).toBe(0);

    // Destroyed and made again (new uuids), larger than before: a baseline, not growth.
    p.uuid = 'pool-uuid-2';
    p.usedBytes = 20 * MiB;
    p.volumes.set('vm', { uuid: 'new', sizeBytes: MiB, mappedBytes: 9 * MiB, active: false });
    t.clock.ms += 1;
    await t.scrape();
    expect(t.value('thinfleet_pool_provisioned_bytes_total', { pool: 'tank' })).toBe(0);
    expect(t.value('thinfleet_volume_provisioned_bytes_total', { pool: 'tank', volume: 'vm' })).toBe(0);
  });
});

describe('the usage read', () => {
  it('is made at most once per minUsageIntervalMs; in between the last values are reused', async () => {
    const p = new FakePool('tank');
    p.volumes.set('vm', { uuid: 'u', sizeBytes: MiB, mappedBytes: MiB, active: true });
    const t = setup([p], 5000);
    await t.scrape();
    expect(p.listCalls).toBe(1);

    (p.volumes.get('vm') as { mappedBytes: number }).mappedBytes = 2 * MiB;
    t.clock.ms += 4999;
    await t.scrape();
    await t.metrics.collect();
    expect(p.listCalls).toBe(1);
    expect(t.value('thinfleet_volume_mapped_bytes', { pool: 'tank', volume: 'vm' })).toBe(MiB);
    expect(t.value('thinfleet_volume_provisioned_bytes_total', { pool: 'tank', volume: 'vm' })).toBe(0);

    t.clock.ms += 1;
    await t.scrape();
    expect(p.listCalls).toBe(2);
    expect(t.value('thinfleet_volume_mapped_bytes', { pool: 'tank', volume: 'vm' })).toBe(2 * MiB);
    expect(t.value('thinfleet_volume_provisioned_bytes_total', { pool: 'tank', volume: 'vm' })).toBe(MiB);
  });

  it('is shared by concurrent scrapes', async () => {
    const p = new FakePool('tank');
    const t = setup([p], 0);
    await Promise.all([t.registry.metrics(), t.registry.metrics(), t.metrics.collect()]);
    expect(p.listCalls).toBe(1);
  });
});

describe('failing pools', () => {
  it('are skipped and counted, while the other pools are reported', async () => {
    const bad = new FakePool('bad');
    const good = new FakePool('good');
    bad.usedBytes = 7 * MiB;
    bad.volumes.set('v', { uuid: 'u', sizeBytes: MiB, mappedBytes: MiB, active: false });
    good.usedBytes = 3 * MiB;
    const t = setup([bad, good], 0);
    await t.scrape();
    expect(t.value('thinfleet_pool_data_used_bytes', { pool: 'bad' })).toBe(7 * MiB);

    bad.failStatus = true;
    bad.usedBytes = 9 * MiB;
    t.clock.ms += 1;
    await t.scrape();
    expect(t.value('thinfleet_metrics_collect_errors_total', { pool: 'bad' })).toBe(1);
    expect(t.value('thinfleet_pool_data_used_bytes', { pool: 'bad' })).toBeUndefined();
    expect(t.value('thinfleet_volume_size_bytes', { pool: 'bad', volume: 'v' })).toBeUndefined();
    expect(t.value('thinfleet_pool_data_used_bytes', { pool: 'good' })).toBe(3 * MiB);
    // Unknown is not gone: the counters stay, and growth while unreadable counts on return.
    expect(t.value('thinfleet_pool_provisioned_bytes_total', { pool: 'bad' })).toBe(0);
    expect(t.value('thinfleet_volume_provisioned_bytes_total', { pool: 'bad', volume: 'v' })).toBe(0);

    bad.failStatus = false;
    t.clock.ms += 1;
    await t.scrape();
    expect(t.value('thinfleet_pool_provisioned_bytes_total', { pool: 'bad' })).toBe(2 * MiB);
    expect(t.value('thinfleet_metrics_collect_errors_total', { pool: 'bad' })).toBe(1);
  });

  it('whose usage read fails still report their pool gauges', async () => {
    const p = new FakePool('tank');
    p.volumes.set('v', { uuid: 'u', sizeBytes: MiB, mappedBytes: MiB, active: false });
    p.failList = true;
    const t = setup([p], 0);
    await t.scrape();
    expect(t.value('thinfleet_metrics_collect_errors_total', { pool: 'tank' })).toBe(1);
    expect(t.value('thinfleet_pool_volumes', { pool: 'tank' })).toBe(1);
    expect(t.value('thinfleet_volume_size_bytes', { pool: 'tank', volume: 'v' })).toBeUndefined();
    p.failList = false;
    t.clock.ms += 1;
    await t.scrape();
    expect(t.value('thinfleet_volume_size_bytes', { pool: 'tank', volume: 'v' })).toBe(MiB);
  });
});

describe('operations, jobs and info', () => {
  it('observe durations always and errors by code', async () => {
    const t = setup([]);
    t.metrics.observeOperation('CreateVolume', 0.003, null);
    t.metrics.observeOperation('CreateVolume', 0.2, 'NAME_EXISTS');
    t.metrics.observeOperation('CreateVolume', 0.02, 'NAME_EXISTS');
    t.metrics.observeOperation('DeleteVolume', 40, 'INTERNAL');
    await t.scrape();
    const op = { operation: 'CreateVolume' };
    expect(t.value('thinfleet_operation_duration_seconds_count', op)).toBe(3);
    expect(t.value('thinfleet_operation_duration_seconds_bucket', { ...op, le: '0.005' })).toBe(1);
    expect(t.value('thinfleet_operation_duration_seconds_bucket', { ...op, le: '0.025' })).toBe(2);
    expect(t.value('thinfleet_operation_duration_seconds_bucket', { ...op, le: '0.25' })).toBe(3);
    expect(t.value('thinfleet_operation_duration_seconds_bucket', { operation: 'DeleteVolume', le: '30' })).toBe(0);
    expect(t.value('thinfleet_operation_duration_seconds_bucket', { operation: 'DeleteVolume', le: '+Inf' })).toBe(1);
    expect(t.value('thinfleet_operation_errors_total', { operation: 'CreateVolume', code: 'NAME_EXISTS' })).toBe(2);
    expect(t.value('thinfleet_operation_errors_total', { operation: 'DeleteVolume', code: 'INTERNAL' })).toBe(1);
  });

  it('set job counts and info, replacing the earlier ones', async () => {
    const t = setup([]);
    t.metrics.setJobCounts({ delete: { JOB_STATE_RUNNING: 2, JOB_STATE_QUEUED: 1 } });
    t.metrics.setJobCounts({ delete: { JOB_STATE_RUNNING: 1, JOB_STATE_SUCCEEDED: 4 }, flatten: { JOB_STATE_RUNNING: 2 } });
    t.metrics.setInfo('0.0.9', 'sim');
    t.metrics.setInfo('0.1.0', 'native');
    await t.scrape();
    expect(t.value('thinfleet_jobs', { kind: 'delete', state: 'JOB_STATE_RUNNING' })).toBe(1);
    expect(t.value('thinfleet_jobs', { kind: 'flatten', state: 'JOB_STATE_RUNNING' })).toBe(2);
    expect(t.value('thinfleet_jobs', { kind: 'delete', state: 'JOB_STATE_SUCCEEDED' })).toBe(4);
    expect(t.value('thinfleet_jobs', { kind: 'delete', state: 'JOB_STATE_QUEUED' })).toBeUndefined();
    expect(t.value('thinfleet_agent_info', { version: '0.1.0', dm: 'native' })).toBe(1);
    expect(t.text()).not.toContain('0.0.9');
  });

  it('read job counts at each scrape when given a source of them', async () => {
    const registry = new Registry();
    let counts: Record<string, Record<string, number>> = { delete: { JOB_STATE_RUNNING: 1 } };
    new AgentMetrics(registry, { pools: () => [] }, { jobCounts: () => counts });
    expect(sampleValue(await registry.metrics(), 'thinfleet_jobs', { kind: 'delete', state: 'JOB_STATE_RUNNING' })).toBe(1);
    counts = { merge: { JOB_STATE_SUCCEEDED: 3 } };
    const text = await registry.metrics();
    expect(sampleValue(text, 'thinfleet_jobs', { kind: 'merge', state: 'JOB_STATE_SUCCEEDED' })).toBe(3);
    expect(sampleValue(text, 'thinfleet_jobs', { kind: 'delete', state: 'JOB_STATE_RUNNING' })).toBeUndefined();
  });

  it('startSampling refuses a bad interval and stopSampling is idempotent', () => {
    const t = setup([]);
    expect(() => t.metrics.startSampling(0)).toThrow(RangeError);
    t.metrics.startSampling(60_000);
    t.metrics.stopSampling();
    t.metrics.stopSampling();
  });
});
