/**
 * Several coordinators on one etcd (issue 13, item 4): an agent (simulated device-mapper) is
 * given both; it holds two pools through the first when the first is killed with -9. It moves to
 * the second, resumes its session there and keeps its pools: nothing is fenced, its lease never
 * lapsed, and a routed change goes through the second. Then a host that starts with a copy of
 * that agent's cluster-session.json (another node id) is not given the session: it gets a new
 * one, the coordinator warns, and the pools stay with their holder.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectEtcd } from '@thinfleet/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawClients } from '../../agent/test/support/raw-clients.js';
import { waitUntil } from '../../../test/support/wait-until.js';
import { startTestCluster, type TestCluster } from './support/cluster-processes.js';

const MiB = 1024 * 1024;
const TTL_SECONDS = 3;
const MARGIN_MS = 1000;

let cluster: TestCluster;
let viaSecond: RawClients;

beforeAll(async () => {
  cluster = await startTestCluster({ ttlSeconds: TTL_SECONDS, marginMs: MARGIN_MS, lockDelayMs: 1000, watchdogTimeoutSeconds: 1, coordinators: 2 });
  viaSecond = cluster.viaCoordinator(1);
});
afterAll(async () => {
  await cluster?.dispose();
});

type Line = Record<string, unknown>;
const FENCE_MESSAGES = new Set(['pool lock lost: fencing the pool', 'pool fenced', 'coordinator session lost', 'pool devices live in the kernel at start: fencing them before serving']);
const established = (log: Line[]): Line[] => log.filter((l) => l['msg'] === 'coordinator session established');

describe('an agent given several coordinators', () => {
  it('moves to the second coordinator when the first is killed -9, resumes its session and keeps its pools unfenced', async () => {
    const [first, second] = cluster.coordinatorAddresses as [string, string];
    const a = await cluster.startAgent('node-a');
    const welcome = established(a.log)[0]!;
    expect(welcome).toMatchObject({ coordinator: first, resumed: false });
    expect(welcome['clusterId']).toMatch(/^[A-Za-z0-9_-]{21}$/);
    for (const pool of ['tank', 'vault']) await a.clients.call(a.clients.pool, 'CreatePool', { name: pool, devices: [cluster.sharedDisk(`${pool}.img`, 128 * MiB)] });
    const viaFirst = cluster.viaCoordinator(0);
    await viaFirst.call(viaFirst.volume, 'CreateVolume', { pool: 'tank', name: 'vm', sizeBytes: 4 * MiB, activate: true });
    const saved = JSON.parse(readFileSync(join(a.stateDir, 'cluster-session.json'), 'utf8')) as { session: string; clusterId: string; held: Record<string, string> };
    expect(saved).toMatchObject({ session: welcome['session'], clusterId: welcome['clusterId'] });
    expect(Object.keys(saved.held).sort()).toEqual(['tank', 'vault']);

    cluster.coordinators[0]!.kill('SIGKILL');
    const killedAt = performance.now();
    await cluster.coordinators[0]!.exited;
    const resumed = await waitUntil('the session resumed at the second coordinator', () => established(a.log).find((l) => l['coordinator'] === second) ?? null, 20_000);
    const resumedAt = performance.now();
    expect(resumed).toMatchObject({ session: welcome['session'], resumed: true, clusterId: welcome['clusterId'] });
    console.log(`session resumed at the second coordinator ${Math.round(resumedAt - killedAt)} ms after the kill (deadline TTL - margin = ${TTL_SECONDS * 1000 - MARGIN_MS} ms)`);
    for (const pool of ['tank', 'vault']) {
      await waitUntil(`${pool} held again`, () => a.log.find((l) => l['msg'] === 'pool held again under the resumed session' && l['pool'] === pool) ?? null, 20_000);
    }
    expect(a.log.filter((l) => FENCE_MESSAGES.has(String(l['msg'])))).toEqual([]);
    const open = cluster.coordinators[1]!.log.find((l) => l['msg'] === 'agent session open' && l['node'] === 'node-a');
    expect(open).toMatchObject({ session: welcome['session'], resumed: true });

    // The lease never lapsed: etcd still has it, and the pools' lock entries are its.
    const etcd = connectEtcd({ endpoints: [cluster.etcd.endpoint] });
    try {
      const ttl = Number((await etcd.leaseClient.leaseTimeToLive({ ID: BigInt(`0x${String(welcome['session'])}`).toString() })).TTL);
      expect(ttl).toBeGreaterThan(0);
    } finally {
      etcd.close();
    }

    // A change routed through the second coordinator reaches the holder under its new token.
    const made = await viaSecond.call<{ volume: { name: string } }>(viaSecond.volume, 'CreateVolume', { pool: 'tank', name: 'after', sizeBytes: 4 * MiB });
    expect(made.volume.name).toBe('after');
    const vm = await viaSecond.call<{ volume: { active: boolean; wasActive: boolean } }>(viaSecond.volume, 'GetVolume', { pool: 'tank', name: 'vm' });
    expect(vm.volume).toMatchObject({ active: true });
    expect(vm.volume.wasActive ?? false).toBe(false);
    expect(a.log.filter((l) => FENCE_MESSAGES.has(String(l['msg'])))).toEqual([]);
  });

  it('a copy of that cluster-session.json used by a host with another node id gets a new session, and the pools stay with their holder', async () => {
    const a = cluster.agents.get('node-a')!;
    const session = String(established(a.log)[0]!['session']);
    const grantsBefore = cluster.coordinators[1]!.log.filter((l) => l['msg'] === 'lock granted').length;
    const c = await cluster.startAgent('node-c', (stateDir) => copyFileSync(join(a.stateDir, 'cluster-session.json'), join(stateDir, 'cluster-session.json')));
    const hello = established(c.log)[0]!;
    expect(hello['resumed']).toBe(false);
    expect(hello['session']).not.toBe(session);
    const refused = await waitUntil(
      'the coordinator to warn',
      () => cluster.coordinators[1]!.log.find((l) => l['node'] === 'node-c' && String(l['msg']).startsWith('resume refused')) ?? null,
      10_000,
    );
    expect(refused).toMatchObject({ level: 40, refused: 'another node' });
    // node-a still holds and serves both pools; nobody was granted anything.
    const status = await viaSecond.call<{ volume: { name: string } }>(viaSecond.volume, 'CreateVolume', { pool: 'vault', name: 'still-a', sizeBytes: 4 * MiB });
    expect(status.volume.name).toBe('still-a');
    expect(cluster.coordinators[1]!.log.filter((l) => l['msg'] === 'lock granted').slice(grantsBefore)).toEqual([]);
    expect(a.log.filter((l) => FENCE_MESSAGES.has(String(l['msg'])))).toEqual([]);
    expect(established(a.log).at(-1)).toMatchObject({ session, resumed: true });
  });
});
