/**
 * The failover supervisor against a real etcd: which pools whose holder died it hands over (and
 * which it leaves alone), to which host, and that two coordinators sweeping at once decide once.
 * Failover started by a session's end, seen from etcd's watch, not by the sweep: with the sweep
 * an hour apart, a holder whose lease is gone still has its pools handed over, and the new grant
 * still waits for the lease's expiry and then the lock delay.
 */
import { performance } from 'node:perf_hooks';
import type { Etcd3 } from 'etcd3';
import { connectEtcd, LockSession } from '@thinfleet/lock';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { chooseFailoverHost, FailoverSupervisor, wantedBecause, type FailoverDecision, type FailoverTrigger } from '../src/failover.js';
import { ClusterRegistry, type HostRecord, type IndexedVolume, type LockView } from '../src/registry.js';
import { sessionsEndedIn } from '../src/session-ends.js';
import { connectScriptedAgent } from './support/scripted-agent.js';
import { startTestCoordinator, testPrefix } from './support/test-coordinator.js';

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

const AN_HOUR_MS = 3_600_000;

describe('which sessions one etcd revision ended', () => {
  const keys = (...k: string[]): Buffer[] => k.map((x) => Buffer.from(x));

  it('a lease expiry (its owner record deleted) names the pools its queue keys were in; a release or another prefix names none', () => {
    const ended = sessionsEndedIn('c/locks/', keys('c/locks/_sessions/abc', 'c/locks/tank/q/abc', 'c/locks/vg0/q/abc', 'c/locks/other/q/def', 'c/hosts/node-a', 'c/owners/tank'));
    expect(ended).toEqual({ leases: new Set(['abc']), pools: new Set(['tank', 'vg0']) });
    // A release deletes the holder's queue key alone: no session ended.
    expect(sessionsEndedIn('c/locks/', keys('c/locks/tank/q/abc'))).toBeNull();
    expect(sessionsEndedIn('c/locks/', keys('d/locks/_sessions/abc', 'd/locks/tank/q/abc'))).toBeNull();
    // A session that held nothing still ended (it may be a host asked to take a pool).
    expect(sessionsEndedIn('c/locks/', keys('c/locks/_sessions/abc'))).toEqual({ leases: new Set(['abc']), pools: new Set() });
  });
});

describe('the failover supervisor on session ends', () => {
  it('with the sweep an hour apart, the pools of a holder whose lease is gone are handed over from the watch event alone, spread over the hosts', async () => {
    const prefix = testPrefix();
    const registry = new ClusterRegistry(client, prefix);
    const holder = await LockSession.open({ etcd: client, nodeId: 'node-dead', prefix: registry.lockPrefix, ttlSeconds: 30 });
    const liveLease = client.lease(30);
    const liveLeaseId = await liveLease.grant();
    const pools = ['tank', 'vg0', 'vg1', 'vg2'];
    const session = BigInt(liveLeaseId).toString(16);
    await registry.putHost(host('node-a', pools, session), liveLeaseId);
    await registry.putHost(host('node-b', pools, session), liveLeaseId);
    for (const pool of pools) {
      await holder.lock(pool).take();
      await registry.putVolumes(pool, [{ pool, name: 'vm', uuid: `u-vm-${pool}`, sizeBytes: 1, active: true }]);
    }
    const supervisor = new FailoverSupervisor({ registry, etcd: client, logger, sweepMs: AN_HOUR_MS });
    const passes: Array<[FailoverTrigger, FailoverDecision[]]> = [];
    const passed = (trigger: FailoverTrigger): Promise<FailoverDecision[]> =>
      new Promise((resolve) => {
        const on = (t: FailoverTrigger, decisions: FailoverDecision[]): void => {
          if (t !== trigger) return;
          supervisor.off('pass', on);
          resolve(decisions);
        };
        supervisor.on('pass', on);
      });
    supervisor.on('pass', (t, d) => passes.push([t, d]));
    try {
      const firstSweep = passed('sweep');
      supervisor.start();
      // The start's sweep, with the holder alive: nothing to hand over.
      expect(await firstSweep).toEqual([]);
      const ended = passed('session-ended');
      // The holder dies holding its pools: its lease goes (revoked here, as etcd expires it).
      holder.detach();
      await client.leaseClient.leaseRevoke({ ID: holder.leaseId });
      const decisions = await ended;
      expect(decisions.map((d) => d.pool).sort()).toEqual(pools);
      expect(decisions.every((d) => d.previousHolder === 'node-dead')).toBe(true);
      // The dead host's pools are spread: two each, not all to the first host.
      expect(decisions.filter((d) => d.node === 'node-a')).toHaveLength(2);
      expect(decisions.filter((d) => d.node === 'node-b')).toHaveLength(2);
      const acquires = (await client.getAll().prefix(`${prefix}acquire/`).keys()).sort();
      expect(acquires).toHaveLength(4);
      // Only the start's sweep ran: the hand-over came from the watch.
      expect(passes.filter(([t]) => t === 'sweep')).toHaveLength(1);
    } finally {
      await supervisor.stop();
      await liveLease.revoke();
    }
  });
});

describe('failover through the coordinator', () => {
  it("with the sweep an hour apart, a dead holder's pool is asked of the host that prefers it, whose grant comes no sooner than the lease's expiry plus the lock delay", async () => {
    const prefix = testPrefix();
    const ttlSeconds = 3;
    const lockDelayMs = 1000;
    const coordinator = await startTestCoordinator({ endpoint: etcd.endpoint, prefix, lock: { ttlSeconds, lockDelayMs }, failoverSweepMs: AN_HOUR_MS });
    const a = connectScriptedAgent(coordinator.address);
    const b = connectScriptedAgent(coordinator.address);
    const tank = (preferred: boolean) => ({ name: 'tank', uuid: 'uuid-tank', devices: ['/dev/shared0'], active: false, dataSizeBytes: 0, dataUsedBytes: 0, preferred });
    try {
      await a.hello('node-a', { pools: [tank(false)] });
      await b.hello('node-b', { pools: [tank(true)] });
      b.startKeepAlive(300);
      expect((await a.take('tank')).previousHolderDied).toBe(false);
      // node-a's last renewal reaches etcd after this instant: its lease expires no sooner than TTL later.
      const renewedAfterMs = performance.now();
      await a.keepAlive();
      a.close(); // killed: no more keepalives
      const acquire = await b.next('acquire', 15_000);
      expect(acquire.pool).toBe('tank');
      const granted = await b.take('tank');
      const grantedAfterMs = performance.now() - renewedAfterMs;
      expect(granted.previousHolderDied).toBe(true);
      expect(granted.previousHolder).toBe('node-a');
      expect(grantedAfterMs).toBeGreaterThanOrEqual(ttlSeconds * 1000 + lockDelayMs);
    } finally {
      a.close();
      b.close();
      await coordinator.stop();
    }
  }, 30_000);
});
