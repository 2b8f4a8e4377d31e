/**
 * Sessions whose lease someone else renews (`keepalive: 'external'`, the coordinator's case) and
 * sessions that adopt a lease an earlier session granted (`resume`, an agent reconnecting).
 */
import { performance } from 'node:perf_hooks';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { clusterIdKey, connectEtcd, ensureClusterId, LockSession } from '../src/index.js';

let etcd: EtcdServer;
let client: Etcd3;
const prefix = `resume-${Date.now()}/`;

beforeAll(async () => {
  etcd = await startEtcd();
  client = connectEtcd({ endpoints: [etcd.endpoint] });
});
afterAll(async () => {
  client.close();
  await etcd.dispose();
});

const open = (nodeId: string, extra: { resume?: string; ttlSeconds?: number; now?: () => number; credential?: string } = {}): Promise<LockSession> =>
  LockSession.open({ etcd: client, nodeId, prefix, ttlSeconds: 2, marginMs: 500, lockDelayMs: 200, keepalive: 'external', ...extra });

describe('lock sessions renewed from outside and resumed', () => {
  it('an external session is lost at its deadline unless renew() is called, and renew() moves the deadline', async () => {
    // The session's monotonic clock, moved on by the test instead of sleeping.
    let movedMs = 0;
    const s = await open('ext', { now: () => performance.now() + movedMs });
    const first = s.deadlineMs;
    movedMs += 300;
    expect(await s.renew()).toBeGreaterThan(0);
    expect(s.deadlineMs).toBeGreaterThan(first);
    const lost = new Promise<string>((resolve) => s.on('lost', (err) => resolve(err.code)));
    expect(await lost).toBe('LOST'); // nobody renews: 2 s - 0.5 s after the last renewal
    expect(s.alive).toBe(false);
    await s.close();
  });

  it('a resumed lease keeps its queue key: the lock is granted again at once with a newer token, not blocked by itself', async () => {
    const first = await open('agent-1');
    await first.renew();
    const grant = await first.lock('pool-r').take();
    first.detach(); // the stream broke: nothing released, the lease stays
    const again = await open('agent-1', { resume: first.leaseHex });
    expect(again.resumed).toBe(true);
    expect(again.leaseHex).toBe(first.leaseHex);
    const regrant = await again.lock('pool-r').take();
    expect(regrant.token).toBeGreaterThan(grant.token);
    expect(regrant.previousHolderDied).toBe(false); // the same lease held it
    expect(regrant.dirty).toBe(false); // the lease held it throughout: no one came between
    await again.close();
  });

  it('resuming a lease etcd no longer has grants a new one (resumed false)', async () => {
    const first = await open('agent-2');
    const hex = first.leaseHex;
    await first.close(); // revokes the lease
    const again = await open('agent-2', { resume: hex });
    expect(again.resumed).toBe(false);
    expect(again.leaseHex).not.toBe(hex);
    await again.close();
  });

  it('refuses a resume id that is not a lease id', async () => {
    await expect(open('agent-3', { resume: 'not-hex!' })).rejects.toThrow(RangeError);
  });

  it('a lease is resumed only by the node id and credential it was granted to; another claimant gets a new lease and does not renew the old', async () => {
    const ttlOf = async (id: string): Promise<number> => Number((await client.leaseClient.leaseTimeToLive({ ID: id })).TTL);
    const owner = await open('host-a', { credential: 'sha256-of-a' });
    await owner.renew();
    const grant = await owner.lock('pool-id').take();
    const ttlBefore = await ttlOf(owner.leaseId);
    owner.detach();
    const copied = await open('host-c', { resume: owner.leaseHex, credential: 'sha256-of-a' });
    expect(copied).toMatchObject({ resumed: false, resumeRefused: 'another node' });
    expect(copied.leaseHex).not.toBe(owner.leaseHex);
    const stolenCert = await open('host-a', { resume: owner.leaseHex, credential: 'sha256-of-c' });
    expect(stolenCert).toMatchObject({ resumed: false, resumeRefused: 'another credential' });
    // The refused attempts did not renew the owner's lease: its TTL only ran down.
    expect(await ttlOf(owner.leaseId)).toBeLessThanOrEqual(ttlBefore);
    // Neither claimant holds the lock: a take queues behind the owner's lease.
    const controller = new AbortController();
    const waiting = copied.lock('pool-id').take({ signal: controller.signal });
    await new Promise<void>((resolve) => copied.lock('pool-id').once('waiting', () => resolve()));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    // The owner itself resumes it, with the lock in place.
    const again = await open('host-a', { resume: owner.leaseHex, credential: 'sha256-of-a' });
    expect(again).toMatchObject({ resumed: true, resumeRefused: null, leaseHex: owner.leaseHex });
    expect((await again.lock('pool-id').take()).token).toBeGreaterThan(grant.token);
    await Promise.all([again.close(), copied.close(), stolenCert.close()]);
  });

  it('one cluster id per lock space: created once, the same for concurrent first callers, another prefix another id', async () => {
    const space = `cid-${Date.now()}/`;
    const ids = await Promise.all([1, 2, 3, 4].map(() => ensureClusterId(client, space)));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(await ensureClusterId(client, space)).toBe(ids[0]);
    expect((await client.get(clusterIdKey(space).toString()).string()) ?? '').toBe(ids[0]);
    expect(await ensureClusterId(client, `other-${space}`)).not.toBe(ids[0]);
  });

  it('a resumed lease keeps the TTL it was granted with, whatever TTL the resuming side asks for', async () => {
    const first = await open('agent-ttl', { ttlSeconds: 2 });
    first.detach();
    const again = await LockSession.open({ etcd: client, nodeId: 'agent-ttl', prefix, ttlSeconds: 10, marginMs: 500, keepalive: 'external', resume: first.leaseHex });
    expect(again).toMatchObject({ resumed: true, ttlSeconds: 2 });
    // Its deadline counts with 2 s, not 10 s.
    expect(again.deadlineMs - performance.now()).toBeLessThanOrEqual(2000 - 500);
    await again.close();
  });
});
