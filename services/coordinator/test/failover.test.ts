/**
 * The failover supervisor against a real etcd: which pools whose holder died it hands over (and
 * which it leaves alone), to which host, and that two coordinators sweeping at once decide once.
 */
import type { Etcd3 } from 'etcd3';
import { connectEtcd } from '@thinfleet/lock';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { chooseFailoverHost, FailoverSupervisor, wantedBecause } from '../src/failover.js';
import { ClusterRegistry, type HostRecord, type IndexedVolume, type LockView } from '../src/registry.js';
import { testPrefix } from './support/test-coordinator.js';

let etcd: EtcdServer;
let client: Etcd3;
beforeAll(async () => {
  etcd = await startEtcd();
  client = connectEtcd({ endpoints: [etcd.endpoint] });
});
afterAll(async () => {
  client.close();
  await etcd.dispose();
});

const logger = pino({ level: 'silent' });
const vol = (pool: string, name: string, extra: Record<string, unknown> = {}): IndexedVolume => ({ pool, name, uuid: `u-${name}`, sizeBytes: 1, active: false, jobId: '', ...extra });
const host = (nodeId: string, pools: string[], session = '1', preferred: string[] = []): HostRecord => ({
  nodeId,
  address: `unix:/run/${nodeId}.sock`,
  session,
  version: 't',
  coordinator: 'c',
  pools: pools.map((name) => ({ name, uuid: `u-${name}`, devices: [], active: false, dataSizeBytes: 0, dataUsedBytes: 0, preferred: preferred.includes(name) })),
});
const held = (holder: string): LockView => ({ holder, holderSession: '1', token: '5', waiters: [], lastGrant: { holder, revision: '5', released: false } });

describe('what failover hands over, and to whom', () => {
  it('wants a pool for an active volume, a running job or a preferred host, and not otherwise', () => {
    expect(wantedBecause('tank', [vol('tank', 'a')], null)).toEqual([]);
    expect(wantedBecause('tank', [vol('other', 'a', { active: true })], null)).toEqual([]);
    expect(wantedBecause('tank', [vol('tank', 'a', { active: true }), vol('tank', 'b', { jobId: 'abc' })], 'node-a')).toEqual(['active volumes', 'running jobs', 'preferred host']);
  });

  it('picks the preferred host, else the one holding fewest pools; a host asked before only as the last resort', () => {
    const hosts = [host('node-a', ['tank', 'p2']), host('node-b', ['tank']), host('node-c', ['other'])];
    const locks = new Map([['p2', held('node-a')]]);
    expect(chooseFailoverHost('tank', hosts, locks, null, null)?.nodeId).toBe('node-b');
    expect(chooseFailoverHost('tank', hosts, locks, 'node-a', null)?.nodeId).toBe('node-a');
    expect(chooseFailoverHost('tank', hosts, new Map(), null, null)?.nodeId).toBe('node-a');
    expect(chooseFailoverHost('tank', hosts, new Map(), null, 'node-a')?.nodeId).toBe('node-b');
    expect(chooseFailoverHost('tank', [host('node-a', ['tank'])], new Map(), null, 'node-a')?.nodeId).toBe('node-a');
    expect(chooseFailoverHost('none', hosts, new Map(), null, null)).toBeNull();
  });
});

describe('the failover sweep', () => {
  /** A pool whose last grant went to a session that is gone (never released) or was released. */
  async function pastGrant(prefix: string, pool: string, released: boolean): Promise<void> {
    await client.put(`${prefix}locks/${pool}/epoch`).value(JSON.stringify({ holder: 'node-dead', lease: 'dead', released }));
  }

  it('two coordinators sweeping at once ask one host, once per dead grant; released or unwanted pools are left alone', async () => {
    const prefix = testPrefix();
    const registry = new ClusterRegistry(client, prefix);
    const lease = client.lease(30);
    const leaseId = await lease.grant();
    const session = BigInt(leaseId).toString(16);
    await registry.putHost(host('node-a', ['tank', 'quiet', 'done'], session), leaseId);
    await registry.putHost(host('node-b', ['tank', 'quiet', 'done'], session), leaseId);
    await pastGrant(prefix, 'tank', false);
    await pastGrant(prefix, 'quiet', false);
    await pastGrant(prefix, 'done', true);
    await registry.putVolumes('tank', [vol('tank', 'vm', { active: true })]);
    await registry.putVolumes('quiet', [vol('quiet', 'idle')]);
    await registry.putVolumes('done', [vol('done', 'vm2', { active: true })]);
    try {
      const [one, two] = [new FailoverSupervisor({ registry, logger }), new FailoverSupervisor({ registry: new ClusterRegistry(client, prefix), logger })];
      const decisions = (await Promise.all([one.sweep(), two.sweep()])).flat();
      expect(decisions).toEqual([{ pool: 'tank', node: 'node-a', previousHolder: 'node-dead', reasons: ['active volumes'] }]);
      const acquires = (await client.getAll().prefix(`${prefix}acquire/`).keys()).sort();
      expect(acquires).toEqual([`${prefix}acquire/node-a/tank`]);
      // Swept again: the decision stands while its host lives and has time to take the pool.
      expect(await one.sweep()).toEqual([]);
      // Its host did not take it in time: asked again, another host this time.
      const late = new FailoverSupervisor({ registry, logger, retryMs: 1000, now: () => Date.now() + 60_000 });
      expect((await late.sweep()).map((d) => d.node)).toEqual(['node-b']);
    } finally {
      await lease.revoke();
    }
  });
});
