/**
 * The session stream against a real coordinator and etcd: leases kept through keepalives, pool
 * locks taken and released for agents, contention pushed to the holder, a silent agent's session
 * lost, a broken stream resumed with its locks, and the cluster view of it all.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import type { Etcd3 } from 'etcd3';
import { connectEtcd } from '@thinfleet/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { clusterStatus } from '../src/cluster-service.js';
import type { Coordinator } from '../src/coordinator.js';
import { ClusterRegistry } from '../src/registry.js';
import { connectScriptedAgent, type ScriptedAgent } from './support/scripted-agent.js';
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

async function cluster(): Promise<{ coordinator: Coordinator; registry: ClusterRegistry; prefix: string; agents: ScriptedAgent[]; stop(): Promise<void> }> {
  const prefix = testPrefix();
  const coordinator = await startTestCoordinator({ endpoint: etcd.endpoint, prefix });
  const agents: ScriptedAgent[] = [];
  return {
    coordinator,
    registry: new ClusterRegistry(client, prefix),
    prefix,
    agents,
    async stop() {
      for (const a of agents) a.close();
      await coordinator.stop();
    },
  };
}

const pool = (name: string) => ({ name, uuid: `uuid-${name}`, devices: ['/dev/shared0'], active: false, dataSizeBytes: 0, dataUsedBytes: 0 });

/** node-a and node-b, both reaching pool tank, welcomed by `c`'s coordinator (no keepalives yet). */
async function twoAgents(c: Awaited<ReturnType<typeof cluster>>): Promise<[ScriptedAgent, ScriptedAgent]> {
  const [a, b] = [connectScriptedAgent(c.coordinator.address), connectScriptedAgent(c.coordinator.address)];
  c.agents.push(a, b);
  await a.hello('node-a', { pools: [pool('tank')] });
  await b.hello('node-b', { pools: [pool('tank')] });
  return [a, b];
}

describe('agent sessions on the coordinator', () => {
  it('welcomes an agent, registers its host and pools, and answers keepalives', async () => {
    const c = await cluster();
    try {
      const a = connectScriptedAgent(c.coordinator.address);
      c.agents.push(a);
      const welcome = await a.hello('node-a', { pools: [pool('tank')] });
      expect(welcome).toMatchObject({ ttlSeconds: 3, marginMs: 1000, resumed: false, coordinator: 'coord-test', watchdogTimeoutSeconds: 1 });
      expect(welcome.session).toMatch(/^[0-9a-f]+$/);
      await a.keepAlive();
      const hosts = await c.registry.hosts();
      expect(hosts.map((h) => [h.nodeId, h.session, h.pools.map((p) => p.name)])).toEqual([['node-a', welcome.session, ['tank']]]);
      expect(c.coordinator.connectedAgents).toEqual(['node-a']);
    } finally {
      await c.stop();
    }
  });

  it('takes locks for agents: FIFO, increasing tokens, contention pushed to the holder, dirty after another holder', async () => {
    const c = await cluster();
    try {
      const [a, b] = await twoAgents(c);
      a.startKeepAlive(500);
      b.startKeepAlive(500);
      const first = await a.take('tank');
      expect(first).toMatchObject({ pool: 'tank', dirty: true, previousHolder: '' });
      const waiting = b.take('tank');
      expect(await a.next('contention')).toMatchObject({ pool: 'tank', waiters: 1 });
      const status = await clusterStatus({ registry: c.registry, coordinatorId: 'x', etcdEndpoints: [], embeddedEtcd: false });
      expect(status.pools).toEqual([expect.objectContaining({ name: 'tank', owner: 'node-a', token: first.token, waiters: ['node-b'], hosts: ['node-a', 'node-b'], ready: false })]);
      await a.release('tank');
      const second = await waiting;
      expect(BigInt(second.token)).toBeGreaterThan(BigInt(first.token));
      expect(second).toMatchObject({ dirty: true, previousHolder: 'node-a', previousHolderDied: false });
      // node-a again: node-b held it in between, so dirty.
      const third = a.take('tank');
      await b.release('tank');
      expect(await third).toMatchObject({ dirty: true, previousHolder: 'node-b' });
    } finally {
      await c.stop();
    }
  });

  it('PoolReady under the current grant records the owner; under another token it is ignored', async () => {
    const c = await cluster();
    try {
      const a = connectScriptedAgent(c.coordinator.address);
      c.agents.push(a);
      await a.hello('node-a', { pools: [pool('tank')] });
      a.startKeepAlive(500);
      const grant = await a.take('tank');
      a.send({ poolReady: { pool: 'tank', token: String(BigInt(grant.token) - 1n), volumeCount: 0 } });
      await a.keepAlive(); // messages are handled in order: the PoolReady before it is done
      expect(await c.registry.owner('tank')).toBeNull();
      a.send({ poolReady: { pool: 'tank', token: grant.token, volumeCount: 0 } });
      await a.keepAlive();
      expect(await c.registry.owner('tank')).toEqual({ nodeId: 'node-a', address: 'unix:/nonexistent/node-a.sock', token: grant.token });
      await a.release('tank');
      expect(await c.registry.owner('tank')).toBeNull();
    } finally {
      await c.stop();
    }
  });

  it('a silent agent is told its session is lost before etcd expires it, and its lock goes to the waiter', async () => {
    const c = await cluster();
    try {
      const [a, b] = await twoAgents(c);
      b.startKeepAlive(500);
      const held = await a.take('tank'); // and then no keepalives from node-a
      const started = performance.now();
      const waiting = b.take('tank');
      const lost = await a.next('sessionLost', 5000);
      const lostAt = performance.now();
      expect(lost.reason).toMatch(/deadline|gone/);
      const grant = await waiting;
      const grantedAt = performance.now();
      expect(grant).toMatchObject({ dirty: true, previousHolder: 'node-a', previousHolderDied: true });
      expect(BigInt(grant.token)).toBeGreaterThan(BigInt(held.token));
      expect(lostAt).toBeLessThan(grantedAt);
      expect(grantedAt - started).toBeLessThan(3000 + 300 + 2000); // TTL + lock delay + 2 s
      await a.ended;
    } finally {
      await c.stop();
    }
  });

  it('a broken stream resumed within the TTL keeps the lease and the lock: re-taking is immediate and clean', async () => {
    const c = await cluster();
    try {
      const a = connectScriptedAgent(c.coordinator.address);
      const welcome = await a.hello('node-a', { pools: [pool('tank')] });
      await a.keepAlive();
      const held = await a.take('tank');
      a.close(); // the stream breaks; the lease stays
      const again = connectScriptedAgent(c.coordinator.address);
      c.agents.push(again);
      const resumed = await again.hello('node-a', { resume: welcome.session, pools: [pool('tank')] });
      expect(resumed).toMatchObject({ session: welcome.session, resumed: true });
      await again.keepAlive();
      const regrant = await again.take('tank');
      expect(regrant).toMatchObject({ dirty: false, previousHolderDied: false });
      expect(BigInt(regrant.token)).toBeGreaterThan(BigInt(held.token));
    } finally {
      await c.stop();
    }
  });

  it("refuses a host whose watchdog timeout exceeds the cluster's, and lets a host without a watchdog in, shown in the cluster status", async () => {
    const c = await cluster();
    try {
      const slow = connectScriptedAgent(c.coordinator.address);
      c.agents.push(slow);
      slow.send({ hello: { nodeId: 'node-slow', address: 'unix:/x', resumeSession: '', pools: [], version: '', fencing: 'watchdog', watchdogTimeoutSeconds: 2 } });
      await slow.ended;
      expect(slow.received.some((m) => m.message === 'welcome')).toBe(false);
      expect(slow.error()).toMatchObject({
        code: grpcStatus.FAILED_PRECONDITION,
        details: expect.stringMatching(/^watchdog_timeout_seconds: .*2 s, longer than the cluster's lock\.watchdogTimeoutSeconds 1 s/),
      });

      const odd = connectScriptedAgent(c.coordinator.address);
      c.agents.push(odd);
      odd.send({ hello: { nodeId: 'node-odd', address: 'unix:/x', resumeSession: '', pools: [], version: '', fencing: 'sometimes', watchdogTimeoutSeconds: 0 } });
      await odd.ended;
      expect(odd.error()).toMatchObject({ code: grpcStatus.INVALID_ARGUMENT, details: expect.stringMatching(/^fencing: must be "watchdog" or "none"/) });
      expect(await c.registry.hosts()).toEqual([]);

      const [a, b] = [connectScriptedAgent(c.coordinator.address), connectScriptedAgent(c.coordinator.address)];
      c.agents.push(a, b);
      await a.hello('node-a', { fencing: 'watchdog', watchdogTimeoutSeconds: 1 });
      await b.hello('node-b', { fencing: 'none' });
      const view = await clusterStatus({ registry: c.registry, etcdEndpoints: [], embeddedEtcd: false, coordinatorId: 'coord-test' });
      expect(view.hosts?.map((h) => [h.nodeId, h.fencing, h.watchdogTimeoutSeconds])).toEqual([
        ['node-a', 'watchdog', 1],
        ['node-b', 'none', 0],
      ]);
    } finally {
      await c.stop();
    }
  });

  it('refuses a stream whose first message is not Hello, and a Hello with a bad node id', async () => {
    const c = await cluster();
    try {
      const a = connectScriptedAgent(c.coordinator.address);
      c.agents.push(a);
      a.send({ keepAlive: { seq: 1 } });
      await a.ended;
      const b = connectScriptedAgent(c.coordinator.address);
      c.agents.push(b);
      b.send({ hello: { nodeId: 'bad id!', address: 'unix:/x', resumeSession: '', pools: [], version: '' } });
      await b.ended;
      expect(b.received.some((m) => m.message === 'welcome')).toBe(false);
      expect(await c.registry.hosts()).toEqual([]);
    } finally {
      await c.stop();
    }
  });
});
