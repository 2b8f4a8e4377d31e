/**
 * Cluster mode: an agent whose lease deadline passes stops writing to its pools at once (volume
 * devices suspended, error tables under the pool) and refuses calls; a later grant discards the
 * stale devices and activates the pool afresh with its volumes intact; an agent that restarts
 * fences whatever the kernel kept of its pools before it serves, and activates them again under
 * the session's grant if the coordinator resumes the session. A standalone agent is unchanged.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { poolDeviceNames, volumeDeviceName } from '@thinfleet/engine';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expectSameBytes, pattern } from '../../../packages/engine/test/support/engine-test-host.js';
import { waitUntil } from '../../../test/support/wait-until.js';
import { failure } from './support/raw-clients.js';
import { MiB, startClusterAgent, token, type ClusterAgent } from './support/cluster-agent.js';
import { ScriptedCoordinator } from './support/scripted-coordinator.js';

const CHECK = 64 * 1024;

let coordinator: ScriptedCoordinator | null = null;
let t: ClusterAgent | null = null;

afterEach(async () => {
  await t?.dispose();
  t = null;
  await coordinator?.stop();
  coordinator = null;
});

const names = poolDeviceNames('p');
const volumeDevice = volumeDeviceName('p', 'v');

/** A pool `p` with an active volume `v` holding pattern 1, made under token 100. */
async function poolWithData(a: ClusterAgent): Promise<void> {
  await a.c.call(a.c.pool, 'CreatePool', { name: 'p', devices: [a.disk()] });
  const v = await a.c.call<{ volume: { devicePath: string } }>(a.c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: MiB, activate: true }, token(100));
  await a.block.write(v.volume.devicePath, 0, pattern(1, CHECK));
}

async function expectFenced(a: ClusterAgent): Promise<void> {
  expect(await a.tableType(names.meta)).toBe('error');
  expect(await a.tableType(names.data)).toBe('error');
  expect((await a.dm.info(volumeDevice)).suspended).toBe(true);
  expect((await a.dm.info(names.pool)).suspended).toBe(false);
}

async function readV(a: ClusterAgent, tokenValue: string): Promise<Buffer> {
  const v = await a.c.call<{ volume: { devicePath: string } }>(a.c.volume, 'ActivateVolume', { pool: 'p', name: 'v' }, token(tokenValue));
  return a.block.read(v.volume.devicePath, 0, CHECK);
}

describe('cluster mode: fencing', () => {
  it('fences the pool when the lease deadline passes, and (without a watchdog to reset the host) activates it afresh on the next grant', async () => {
    coordinator = await ScriptedCoordinator.start({ ttlSeconds: 1, marginMs: 300 });
    // With fencing "watchdog" a lost lease ends in a host reset instead (cluster-watchdog.test.ts).
    t = await startClusterAgent({ coordinator, config: { fencing: 'none' } });
    await coordinator.waitConnected();
    await poolWithData(t);

    coordinator.ackKeepAlives = false;
    const a = t;
    await vi.waitFor(async () => expect(await a.tableType(names.meta)).toBe('error'), { timeout: 5_000, interval: 25 });
    await expectFenced(t);
    expect(await failure(t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'w', sizeBytes: MiB }, token(100)))).toMatchObject({ errorCode: 'NOT_OWNER' });
    expect(JSON.parse(readFileSync(join(t.stateDir, 'cluster-session.json'), 'utf8'))).toMatchObject({ held: {} });

    // The agent starts a new session; the coordinator grants the pool to it again (dirty).
    coordinator.ackKeepAlives = true;
    const c = coordinator;
    await vi.waitFor(() => expect(c.received.some((m) => m.hello?.resumeSession === '' && c.received.indexOf(m) > 0)).toBe(true), { timeout: 5_000 });
    await vi.waitFor(() => expect(c.connected).toBe(true));
    const from = coordinator.received.length;
    coordinator.push({ acquire: { pool: 'p' } });
    expect(await coordinator.waitFor((m) => m.poolReady, { from })).toMatchObject({ pool: 'p', token: '101', volumeCount: 1 });

    expect(await t.tableType(names.meta)).toBe('linear');
    expect(await t.tableType(names.data)).toBe('linear');
    // The pool's catalog is written under the new grant, by this node (split-brain evidence).
    expect(t.agent.engine.pool('p').writer).toEqual({ token: 101n, nodeId: 'node-a', clusterId: '' });
    expectSameBytes(await readV(t, '101'), pattern(1, CHECK));
    expect(await failure(t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'w', sizeBytes: MiB }, token(100)))).toMatchObject({ errorCode: 'STALE_TOKEN' });
    await t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'w', sizeBytes: MiB }, token(101));
  });

  it('fences live pools at start before serving, and re-activates them when the session is resumed', async () => {
    // A standalone agent leaves pool p (with an active volume) and pool q live in the kernel.
    t = await startClusterAgent({ coordinator: null });
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    const v = await t.c.call<{ volume: { devicePath: string } }>(t.c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: MiB, activate: true });
    await t.block.write(v.volume.devicePath, 0, pattern(1, CHECK));
    await t.c.call(t.c.pool, 'CreatePool', { name: 'q', devices: [t.disk('disk1.img')] });
    await t.stop();
    // As if the agent had been in cluster mode with session "old" holding p under token 100.
    writeFileSync(join(t.stateDir, 'cluster-session.json'), JSON.stringify({ version: 1, session: 'old', held: { p: '100' } }));

    coordinator = await ScriptedCoordinator.start({ ttlSeconds: 2, marginMs: 500 });
    coordinator.sessions.add('old');
    coordinator.granted.set('p', '100');
    coordinator.nextToken = 300n;
    coordinator.ackKeepAlives = false; // hold the resumed session at "not renewed yet"
    t = await startClusterAgent({ coordinator, stateDir: t.stateDir });
    // Fenced before serving, whether or not the file names the pool.
    await expectFenced(t);
    expect(await t.tableType(poolDeviceNames('q').meta)).toBe('error');
    await coordinator.waitConnected();
    expect(coordinator.received[0]!.hello!.resumeSession).toBe('old');
    expect(await failure(t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'w', sizeBytes: MiB }, token(100)))).toMatchObject({ errorCode: 'NOT_OWNER' });

    // The resumed session takes p again at once (clean), but touches nothing before its first
    // acknowledged keepalive; then p comes back under the new token.
    await coordinator.waitFor((m) => m.message === 'take' && m.take!.pool === 'p');
    // Granted (activating under token 300), and the session holds nothing before an ack: the
    // activation waits for the deadline to lie ahead, which no ack moves while acks are off.
    const ownership = t.agent.cluster!.ownership;
    await waitUntil('p to be activating under the grant', () => {
      const state = ownership.state('p');
      return state.kind === 'activating' && state.token === 300n;
    });
    expect(t.agent.cluster!.session.holdsNow()).toBe(false);
    expect(coordinator.received.some((m) => m.message === 'poolReady')).toBe(false);
    await expectFenced(t);
    coordinator.ackKeepAlives = true;
    expect(await coordinator.waitFor((m) => m.poolReady)).toMatchObject({ pool: 'p', token: '300' });
    expectSameBytes(await readV(t, '300'), pattern(1, CHECK));
    expect(await failure(t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'w', sizeBytes: MiB }, token(100)))).toMatchObject({ errorCode: 'STALE_TOKEN' });
    // q's lock was never this session's: it stays fenced until a grant.
    expect(await t.tableType(poolDeviceNames('q').meta)).toBe('error');
    const from = coordinator.received.length;
    coordinator.push({ acquire: { pool: 'q' } });
    expect(await coordinator.waitFor((m) => m.poolReady, { from })).toMatchObject({ pool: 'q', token: '301' });
    expect(await t.tableType(poolDeviceNames('q').meta)).toBe('linear');
  });

  it('gives up the held pools of a session the coordinator did not resume, and serves them again only after a new grant', async () => {
    coordinator = await ScriptedCoordinator.start({ ttlSeconds: 2, marginMs: 500 });
    t = await startClusterAgent({ coordinator });
    await coordinator.waitConnected();
    await poolWithData(t);
    // Stopping with an active volume fences the pool and keeps its lock for a resumed session.
    await t.stop();
    await expectFenced(t);
    expect(JSON.parse(readFileSync(join(t.stateDir, 'cluster-session.json'), 'utf8'))).toMatchObject({ session: 's1', held: { p: '100' } });

    coordinator.forgetSessions();
    coordinator.nextToken = 200n;
    t = await t.restart({ coordinator });
    await coordinator.waitConnected();
    const c = coordinator;
    await vi.waitFor(() => expect(c.received.filter((m) => m.hello?.resumeSession === 's1')).toHaveLength(1));
    await vi.waitFor(() => expect(JSON.parse(readFileSync(join(t!.stateDir, 'cluster-session.json'), 'utf8'))).toMatchObject({ held: {} }));
    await expectFenced(t);
    const from = coordinator.received.length;
    coordinator.push({ acquire: { pool: 'p' } });
    expect(await coordinator.waitFor((m) => m.poolReady, { from })).toMatchObject({ pool: 'p', token: '200' });
    expectSameBytes(await readV(t, '200'), pattern(1, CHECK));
  });

  it('leaves a standalone agent as it was: pools active at start, no tokens needed', async () => {
    t = await startClusterAgent({ coordinator: null });
    expect(t.agent.cluster).toBeNull();
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    await t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: MiB });
    t = await t.restart();
    expect((await t.c.call<{ pool: { active: boolean } }>(t.c.pool, 'GetPool', { name: 'p' })).pool.active).toBe(true);
    await t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'w', sizeBytes: MiB });
  });
});
