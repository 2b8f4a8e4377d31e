/**
 * The session stream against a real coordinator and etcd: leases kept through keepalives, pool
 * locks taken and released for agents, contention pushed to the holder, a silent agent's session
 * lost, a broken stream resumed with its locks, and the cluster view of it all.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status as grpcStatus } from '@grpc/grpc-js';
import type { Etcd3 } from 'etcd3';
import { connectEtcd } from '@thinfleet/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { makeTestPki } from '../../../test/support/test-pki.js';
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

/** An agent of `c` welcomed as `nodeId`, reaching pool tank (no keepalives yet). */
async function agentReachingTank(
  c: Awaited<ReturnType<typeof cluster>>,
  nodeId: string,
  resume?: string,
): Promise<{ agent: ScriptedAgent; welcome: Awaited<ReturnType<ScriptedAgent['hello']>> }> {
  const agent = connectScriptedAgent(c.coordinator.address);
  c.agents.push(agent);
  const welcome = await agent.hello(nodeId, { pools: [pool('tank')], ...(resume === undefined ? {} : { resume }) });
  return { agent, welcome };
}

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
      const { agent: a, welcome } = await agentReachingTank(c, 'node-a');
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

  it('a copied session id used by another node is not resumed: it gets a new session, and the owner keeps its lease and its lock', async () => {
    const c = await cluster();
    try {
      const { agent: a, welcome } = await agentReachingTank(c, 'node-a');
      a.startKeepAlive(500);
      const held = await a.take('tank');
      // node-c starts with a copy of node-a's cluster-session.json: it asks to resume node-a's session.
      const { agent: copy, welcome: copied } = await agentReachingTank(c, 'node-c', welcome.session);
      expect(copied.resumed).toBe(false);
      expect(copied.session).not.toBe(welcome.session);
      copy.startKeepAlive(500);
      // Its take of the pool queues behind node-a (which is told of the contention) instead of
      // being granted at once as a resumed session's would be.
      const waiting = copy.take('tank');
      expect(await a.next('contention')).toMatchObject({ pool: 'tank', waiters: 1 });
      expect((await c.registry.lockView('tank')).holder).toBe('node-a');
      expect((await c.registry.lockView('tank')).token).toBe(held.token);
      // node-a's stream and lease are untouched: its keepalives are still answered.
      await a.keepAlive();
      expect(c.coordinator.connectedAgents).toEqual(['node-a', 'node-c']);
      expect((await c.registry.hosts()).find((h) => h.nodeId === 'node-a')?.session).toBe(welcome.session);
      await a.release('tank');
      expect(await waiting).toMatchObject({ dirty: true, previousHolder: 'node-a', previousHolderDied: false });
    } finally {
      await c.stop();
    }
  });

  it('sends the cluster id in every Welcome (one per lock space) and refuses a Hello from another cluster without disturbing the node', async () => {
    const c = await cluster();
    const twin = await startTestCoordinator({ endpoint: etcd.endpoint, prefix: c.prefix, id: 'coord-twin' });
    const other = await cluster();
    try {
      const a = connectScriptedAgent(c.coordinator.address);
      c.agents.push(a);
      const first = await a.hello('node-a', { pools: [pool('tank')] });
      expect(first.clusterId).toMatch(/^[A-Za-z0-9_-]{21}$/);
      const b = connectScriptedAgent(twin.address);
      c.agents.push(b);
      expect((await b.hello('node-b', { clusterId: first.clusterId })).clusterId).toBe(first.clusterId);
      const stranger = connectScriptedAgent(other.coordinator.address);
      other.agents.push(stranger);
      const otherId = (await stranger.hello('node-x')).clusterId;
      expect(otherId).not.toBe(first.clusterId);
      // node-a, belonging to the first cluster, reaches the other cluster's coordinator.
      const wrong = connectScriptedAgent(other.coordinator.address);
      other.agents.push(wrong);
      wrong.send({ hello: { nodeId: 'node-a', address: 'unix:/x', resumeSession: first.session, pools: [], version: '', clusterId: first.clusterId } });
      const err = await wrong.ended;
      expect(err).toMatchObject({ code: 9 }); // FAILED_PRECONDITION
      expect(err!.details).toBe(`this coordinator serves cluster ${otherId}, not the agent's cluster ${first.clusterId}`);
      expect(wrong.received.some((m) => m.message === 'welcome')).toBe(false);
      expect(other.coordinator.connectedAgents).toEqual(['node-x']);
      expect((await new ClusterRegistry(client, other.prefix).hosts()).map((h) => h.nodeId)).toEqual(['node-x']);
      // A malformed id is refused naming the field, with a bounded quote.
      const bad = connectScriptedAgent(c.coordinator.address);
      c.agents.push(bad);
      bad.send({ hello: { nodeId: 'node-q', address: 'unix:/x', resumeSession: '', pools: [], version: '', clusterId: 'x'.repeat(500) } });
      const badErr = await bad.ended;
      expect(badErr).toMatchObject({ code: 3 }); // INVALID_ARGUMENT
      expect(badErr!.details.length).toBeLessThan(120);
      expect(badErr!.details).toMatch(/^cluster_id "x+…" is not a cluster id$/);
    } finally {
      await twin.stop();
      await other.stop();
      await c.stop();
    }
  });

  it('with mutual TLS, a session is resumed only with the client certificate it was opened with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-session-pki-'));
    const pki = makeTestPki(dir, ['host-a', 'host-b']);
    const prefix = testPrefix();
    const coordinator = await startTestCoordinator({ endpoint: etcd.endpoint, prefix, tls: { caFile: pki.caFile, ...pki.server } });
    const as = (name: string): ScriptedAgent =>
      connectScriptedAgent(coordinator.address, credentials.createSsl(readFileSync(pki.caFile), readFileSync(pki.clients[name]!.keyFile), readFileSync(pki.clients[name]!.certFile)));
    const agents: ScriptedAgent[] = [];
    try {
      const a = as('host-a');
      agents.push(a);
      const welcome = await a.hello('node-a', { pools: [pool('tank')] });
      await a.keepAlive();
      const held = await a.take('tank');
      a.close();
      // The same node id and session id, but another host's certificate: not resumed.
      const b = as('host-b');
      agents.push(b);
      expect(await b.hello('node-a', { resume: welcome.session })).toMatchObject({ resumed: false });
      b.close();
      // The certificate it was opened with resumes it, with the lock still in place.
      const again = as('host-a');
      agents.push(again);
      expect(await again.hello('node-a', { resume: welcome.session })).toMatchObject({ session: welcome.session, resumed: true });
      await again.keepAlive();
      const regrant = await again.take('tank');
      expect(regrant).toMatchObject({ dirty: false, previousHolderDied: false });
      expect(BigInt(regrant.token)).toBeGreaterThan(BigInt(held.token));
    } finally {
      for (const agent of agents) agent.close();
      await coordinator.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a session resumed through a coordinator configured with another TTL is welcomed with the TTL its lease was granted with', async () => {
    const c = await cluster();
    const longer = await startTestCoordinator({ endpoint: etcd.endpoint, prefix: c.prefix, id: 'coord-ttl10', lock: { ttlSeconds: 10, marginMs: 1000 } });
    try {
      const a = connectScriptedAgent(c.coordinator.address);
      const welcome = await a.hello('node-a');
      expect(welcome.ttlSeconds).toBe(3);
      a.close();
      const moved = connectScriptedAgent(longer.address);
      c.agents.push(moved);
      expect(await moved.hello('node-a', { resume: welcome.session })).toMatchObject({ session: welcome.session, resumed: true, ttlSeconds: 3 });
      // A new session there gets that coordinator's TTL.
      const fresh = connectScriptedAgent(longer.address);
      c.agents.push(fresh);
      expect(await fresh.hello('node-f')).toMatchObject({ resumed: false, ttlSeconds: 10 });
    } finally {
      await longer.stop();
      await c.stop();
    }
  });
});
