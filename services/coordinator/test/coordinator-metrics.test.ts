/**
 * The coordinator's metrics, scraped over HTTP from a real coordinator on a real etcd after each
 * event: default process metrics, sessions, held locks, grants, hand-overs, failovers and routed
 * calls by outcome; the endpoint's answers elsewhere; and the `metricsListen` key.
 */
import type { Etcd3 } from 'etcd3';
import { connectEtcd } from '@thinfleet/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { samples, sampleValue } from '../../../test/support/metric-samples.js';
import { waitUntil } from '../../../test/support/wait-until.js';
import { failure, rawClients } from '../../agent/test/support/raw-clients.js';
import type { Coordinator } from '../src/coordinator.js';
import { CoordinatorConfigError, parseCoordinatorConfig } from '../src/coordinator-config.js';
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

interface Cluster {
  readonly coordinator: Coordinator;
  readonly prefix: string;
  readonly agents: ScriptedAgent[];
  /** One scrape of the coordinator's /metrics. */
  scrape(): Promise<string>;
  /** The value of `name{labels}` in a fresh scrape. */
  value(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  stop(): Promise<void>;
}

async function cluster(): Promise<Cluster> {
  const prefix = testPrefix();
  const coordinator = await startTestCoordinator({ endpoint: etcd.endpoint, prefix, acquireTimeoutMs: 2000 });
  const agents: ScriptedAgent[] = [];
  const url = coordinator.metricsUrl;
  if (url === null) throw new Error('the test coordinator serves metrics');
  const scrape = async (): Promise<string> => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return res.text();
  };
  return {
    coordinator,
    prefix,
    agents,
    scrape,
    value: async (name, labels = {}) => sampleValue(await scrape(), name, labels),
    async stop() {
      for (const a of agents) a.close();
      await coordinator.stop();
    },
  };
}

const pool = (name: string) => ({ name, uuid: `uuid-${name}`, devices: ['/dev/shared0'], active: false, dataSizeBytes: 0, dataUsedBytes: 0 });

async function agent(c: Cluster, nodeId: string): Promise<ScriptedAgent> {
  const a = connectScriptedAgent(c.coordinator.address);
  c.agents.push(a);
  await a.hello(nodeId, { pools: [pool('tank')] });
  a.startKeepAlive(500);
  return a;
}

describe('coordinator metrics over HTTP', () => {
  it('serve the default process metrics with the exposition content type, on loopback', async () => {
    const c = await cluster();
    try {
      expect(c.coordinator.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await fetch(c.coordinator.metricsUrl!);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const names = new Set(samples(await res.text()).map((s) => s.name));
      for (const n of ['process_cpu_user_seconds_total', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'thinfleet_coordinator_sessions']) expect(names).toContain(n);
      const base = c.coordinator.metricsUrl!.replace(/\/metrics$/, '');
      expect((await fetch(`${base}/`)).status).toBe(404);
      const post = await fetch(c.coordinator.metricsUrl!, { method: 'POST', body: 'x' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    } finally {
      await c.stop();
    }
    await expect(fetch(c.coordinator.metricsUrl!)).rejects.toThrow(); // stop closes the listener
  });

  it('count sessions, held locks, grants and hand-overs as agents come, take, release and go', async () => {
    const c = await cluster();
    try {
      expect(await c.value('thinfleet_coordinator_sessions')).toBe(0);
      const a = await agent(c, 'node-a');
      const b = await agent(c, 'node-b');
      expect(await c.value('thinfleet_coordinator_sessions')).toBe(2);
      expect(await c.value('thinfleet_coordinator_held_locks')).toBe(0);
      expect(await c.value('thinfleet_coordinator_lock_grants_total')).toBe(0);

      await a.take('tank');
      let text = await c.scrape();
      expect(sampleValue(text, 'thinfleet_coordinator_held_locks')).toBe(1);
      expect(sampleValue(text, 'thinfleet_coordinator_lock_grants_total')).toBe(1);
      expect(sampleValue(text, 'thinfleet_coordinator_handovers_total')).toBe(0);

      // node-b waits; node-a lets go: the pool passes between two live hosts.
      const waiting = b.take('tank');
      await a.next('contention');
      await a.release('tank');
      expect(await waiting).toMatchObject({ previousHolder: 'node-a', previousHolderDied: false });
      text = await c.scrape();
      expect(sampleValue(text, 'thinfleet_coordinator_held_locks')).toBe(1);
      expect(sampleValue(text, 'thinfleet_coordinator_lock_grants_total')).toBe(2);
      expect(sampleValue(text, 'thinfleet_coordinator_handovers_total')).toBe(1);

      // node-b takes it again after releasing it itself: a grant, not a hand-over.
      await b.release('tank');
      expect(await c.value('thinfleet_coordinator_held_locks')).toBe(0);
      await b.take('tank');
      text = await c.scrape();
      expect(sampleValue(text, 'thinfleet_coordinator_lock_grants_total')).toBe(3);
      expect(sampleValue(text, 'thinfleet_coordinator_handovers_total')).toBe(1);

      a.close();
      await a.ended;
      await waitUntil("the agent's session to be connected", () => c.coordinator.connectedAgents.length === 1, 5_000);
      expect(await c.value('thinfleet_coordinator_sessions')).toBe(1);
    } finally {
      await c.stop();
    }
  });

  it('count a failover the supervisor asks for', async () => {
    const c = await cluster();
    try {
      const a = await agent(c, 'node-a');
      expect(await c.value('thinfleet_coordinator_failovers_total')).toBe(0);
      // The last grant of tank went to a host that died holding an active volume.
      const registry = new ClusterRegistry(client, c.prefix);
      await client.put(`${c.prefix}locks/tank/epoch`).value(JSON.stringify({ holder: 'node-dead', lease: 'dead', released: false }));
      await registry.putVolumes('tank', [{ pool: 'tank', name: 'vm', uuid: 'u-vm', sizeBytes: 1, active: true, jobId: '' }]);
      expect(await a.next('acquire', 10_000)).toEqual({ pool: 'tank' });
      expect(await c.value('thinfleet_coordinator_failovers_total')).toBe(1);
    } finally {
      await c.stop();
    }
  });

  it('count routed calls by method and outcome', async () => {
    const c = await cluster();
    const calls = rawClients(c.coordinator.address);
    try {
      await calls.call(calls.job, 'ListJobs', {});
      await calls.call(calls.job, 'ListJobs', {});
      expect(await failure(calls.call(calls.pool, 'DestroyPool', { name: 'tank' }))).toMatchObject({ errorCode: 'AGENT_ONLY' });
      expect(await failure(calls.call(calls.volume, 'CreateVolume', { pool: 'elsewhere', name: 'v', sizeBytes: 1 << 20 }))).toMatchObject({ errorCode: 'NO_HOST' });
      const text = await c.scrape();
      const metric = 'thinfleet_coordinator_routed_calls_total';
      expect(sampleValue(text, metric, { method: 'ListJobs', code: 'OK' })).toBe(2);
      expect(sampleValue(text, metric, { method: 'DestroyPool', code: 'AGENT_ONLY' })).toBe(1);
      expect(sampleValue(text, metric, { method: 'CreateVolume', code: 'NO_HOST' })).toBe(1);
      expect(samples(text).filter((s) => s.name === metric)).toHaveLength(3);
    } finally {
      calls.close();
      await c.stop();
    }
  });
});

describe('metricsListen', () => {
  it('defaults to 127.0.0.1:9751, may be null, and a bad value is refused naming the key', () => {
    expect(parseCoordinatorConfig({}, 'test').metricsListen).toBe('127.0.0.1:9751');
    expect(parseCoordinatorConfig({ metricsListen: null }, 'test').metricsListen).toBeNull();
    expect(parseCoordinatorConfig({ metricsListen: '[::1]:0' }, 'test').metricsListen).toBe('[::1]:0');
    const bad = (): unknown => parseCoordinatorConfig({ metricsListen: '9751' }, 'test');
    expect(bad).toThrow(CoordinatorConfigError);
    expect(bad).toThrow(/^test: metricsListen: must be host:port/);
  });
});
