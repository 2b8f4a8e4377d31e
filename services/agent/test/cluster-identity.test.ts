/**
 * The agent's side of the cluster id and of several coordinators, with a real agent (simulated
 * device-mapper) against scripted coordinators: the id of the first Welcome is kept in
 * cluster-session.json and sent in every Hello; a coordinator of another cluster is not used
 * (the log says why, the session's health is NOT_SERVING) and the next one is tried; a pool held
 * through the first coordinator stays held, unfenced, when its stream dies and the session is
 * resumed at the second.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { poolDeviceNames } from '@thinfleet/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/wait-until.js';
import { startClusterAgent, token, type ClusterAgent } from './support/cluster-agent.js';
import { ScriptedCoordinator } from './support/scripted-coordinator.js';

const coordinators: ScriptedCoordinator[] = [];
let t: ClusterAgent | null = null;

afterEach(async () => {
  await t?.dispose();
  t = null;
  for (const c of coordinators.splice(0)) await c.stop();
});

async function scripted(clusterId: string): Promise<ScriptedCoordinator> {
  const c = await ScriptedCoordinator.start({ ttlSeconds: 3, marginMs: 1000 });
  c.clusterId = clusterId;
  coordinators.push(c);
  return c;
}

const saved = (a: ClusterAgent): { session: string; clusterId: string; held: Record<string, string> } =>
  JSON.parse(readFileSync(join(a.stateDir, 'cluster-session.json'), 'utf8')) as { session: string; clusterId: string; held: Record<string, string> };

const sessionHealth = (a: ClusterAgent): Promise<{ status: string }> => a.c.call<{ status: string }>(a.c.health, 'Check', { service: 'thinfleet.coordinator.v1.SessionService' });

describe('cluster id and several coordinators', () => {
  it('keeps the first Welcome’s cluster id, and refuses a coordinator of another cluster for the next one', async () => {
    const home = await scripted('home-cluster');
    t = await startClusterAgent({ coordinator: home });
    await waitUntil('the id saved', () => saved(t!).clusterId === 'home-cluster', 5000);
    expect((await sessionHealth(t)).status).toBe('SERVING');
    const other = await scripted('other-cluster');
    // Restarted against [other, home]: the other cluster's Welcome is not used.
    t = await t.restart({ config: { cluster: { coordinators: [other.address, home.address], nodeId: 'node-a' } } });
    await home.waitFor((m) => m.message === 'hello' && m.hello!.clusterId === 'home-cluster', { from: home.received.length });
    expect(other.received.find((m) => m.message === 'hello')!.hello!.clusterId).toBe('home-cluster');
    expect(saved(t).clusterId).toBe('home-cluster');
    expect(t.agent.cluster!.session.address).toBe(home.address);
    // Only the other cluster answers now: the agent keeps refusing it, and says so in its health.
    await home.stop();
    await waitUntil('the session health to go', async () => ((await sessionHealth(t!)).status === 'NOT_SERVING' ? true : null), 5000);
    await waitUntil('a refusal', () => t!.agent.cluster!.session.refused, 10_000);
    expect(t.agent.cluster!.session.refused).toBe(`the coordinator ${other.address} serves cluster other-cluster, not this host's cluster home-cluster`);
    expect(saved(t).clusterId).toBe('home-cluster');
    expect((await t.c.call<{ status: string }>(t.c.health, 'Check', { service: '' })).status).toBe('SERVING');
  });

  it('a pool held through the first coordinator stays held, not fenced, when that coordinator dies and the second resumes the session', async () => {
    const first = await scripted('c');
    const second = await scripted('c');
    t = await startClusterAgent({ coordinator: first, config: { cluster: { coordinators: [first.address, second.address], nodeId: 'node-a' } } });
    await waitUntil('the session', () => t!.agent.cluster!.session.live || null, 5000);
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    const token = first.granted.get('p')!;
    const session = saved(t).session;
    second.sessions.add(session); // one etcd behind both
    second.granted.set('p', token);
    const states: string[] = [];
    t.agent.cluster!.ownership.onChange(() => states.push(t!.agent.cluster!.ownership.state('p').kind));
    await first.stop();
    await second.waitFor((m) => m.message === 'poolReady' && m.poolReady!.pool === 'p');
    expect(second.received.find((m) => m.message === 'hello')!.hello!.resumeSession).toBe(session);
    expect(t.agent.cluster!.ownership.state('p').kind).toBe('held');
    expect(states).not.toContain('fenced');
    const names = poolDeviceNames('p');
    expect(await t.tableType(names.meta)).not.toBe('error');
    expect(await t.tableType(names.data)).not.toBe('error');
    expect(Object.keys(saved(t).held)).toEqual(['p']);
  });

  it("writes the pool's catalog under the grant with the session's cluster id (tokens compare only within one lock space)", async () => {
    const home = await scripted('home-cluster');
    t = await startClusterAgent({ coordinator: home });
    await waitUntil('the session', () => t!.agent.cluster!.session.live || null, 5000);
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    expect(t.agent.engine.pool('p').writer).toEqual({ token: BigInt(home.granted.get('p')!), nodeId: 'node-a', clusterId: 'home-cluster' });
    expect(saved(t).clusterId).toBe('home-cluster');
  });

  it('serves a pool moved to a new lock space whose tokens restarted near 1 (the etcd replaced)', async () => {
    const old = await scripted('old-cluster');
    old.nextToken = 900n;
    t = await startClusterAgent({ coordinator: old });
    await waitUntil('the session', () => t!.agent.cluster!.session.live || null, 5000);
    const disk = t.disk();
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [disk] });
    await t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: 1024 * 1024 }, token(900));
    await t.c.call(t.c.pool, 'DeactivatePool', { name: 'p' });
    // The operator moves the host to the new cluster: its saved session and cluster id go.
    const fresh = await scripted('new-cluster');
    fresh.nextToken = 5n;
    await t.stop();
    rmSync(join(t.stateDir, 'cluster-session.json'));
    t = await t.restart({ coordinator: fresh, config: { cluster: { coordinator: fresh.address, nodeId: 'node-a' } } });
    await waitUntil('the new session', () => t!.agent.cluster!.session.live || null, 5000);
    await t.c.call(t.c.pool, 'ActivatePool', { name: 'p', devices: [disk] });
    expect(fresh.granted.get('p')).toBe('5');
    expect(t.agent.engine.pool('p').writer).toEqual({ token: 5n, nodeId: 'node-a', clusterId: 'new-cluster' });
    await t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'w', sizeBytes: 1024 * 1024 }, token(5));
    expect(t.agent.engine.pool('p').volumeCount).toBe(2);
  });
});
