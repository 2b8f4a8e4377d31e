/** The lock against a real etcd: grants, tokens, dirty, FIFO, contention, release, lost sessions. */
import { once } from 'node:events';
import type { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { waitUntil } from '../../../test/support/wait-until.js';
import { connectEtcd, LockSession, type LockGrant } from '../src/index.js';

let etcd: EtcdServer;
const clients: Etcd3[] = [];
const sessions: LockSession[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd.dispose();
});
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  for (const c of clients.splice(0)) c.close();
});

let prefixCounter = 0;
let prefix = '';
async function node(nodeId: string, options: { ttlSeconds?: number; marginMs?: number; lockDelayMs?: number } = {}): Promise<LockSession> {
  const client = connectEtcd({ endpoints: [etcd.endpoint] });
  clients.push(client);
  const session = await LockSession.open({ etcd: client, nodeId, prefix, ttlSeconds: 4, marginMs: 1000, lockDelayMs: 300, ...options });
  sessions.push(session);
  return session;
}

describe('pool lock on etcd', () => {
  beforeAll(() => {
    prefix = `t${Date.now()}-${prefixCounter++}/`;
  });

  it('grants a free lock, dirty the first time, clean after its own release, dirty after another holder', async () => {
    const a = await node('a');
    const b = await node('b');
    const first = await a.lock('p1').take();
    expect(first).toMatchObject({ name: 'p1', dirty: true, previousHolderDied: false, previousHolder: null });
    expect(await a.lock('p1').release()).toBe(true);
    const again = await a.lock('p1').take();
    expect(again.dirty).toBe(false);
    expect(again.token).toBeGreaterThan(first.token);
    await a.lock('p1').release();
    const other = await b.lock('p1').take();
    expect(other).toMatchObject({ dirty: true, previousHolder: 'a', previousHolderDied: false });
    await b.lock('p1').release();
    const back = await a.lock('p1').take();
    expect(back.dirty).toBe(true);
    expect(back.token).toBeGreaterThan(other.token);
  });

  it('grants waiters in FIFO order and tells the holder someone waits', async () => {
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((n) => node(n)));
    await a!.lock('p2').take();
    const contention: number[] = [];
    a!.lock('p2').on('contention', (n) => contention.push(n));
    const order: string[] = [];
    const grants: Promise<LockGrant>[] = [];
    for (const s of [b!, c!, d!]) {
      grants.push(
        s
          .lock('p2')
          .take()
          .then(async (g) => {
            order.push(s.nodeId);
            await new Promise((r) => setTimeout(r, 20));
            await s.lock('p2').release();
            return g;
          }),
      );
      // each waiter is queued before the next one starts
      await waitUntil(`${grants.length} waiter(s) on p2`, async () => (await a!.lock('p2').waiters()) >= grants.length, { intervalMs: 5 });
    }
    expect(await a!.lock('p2').waiters()).toBe(3);
    // the query reads etcd; the event comes later through the holder's watch
    await vi.waitFor(() => expect(contention.at(-1)).toBe(3), { timeout: 5_000, interval: 10 });
    expect(a!.lock('p2').contended).toBe(3);
    await a!.lock('p2').release();
    const granted = await Promise.all(grants);
    expect(order).toEqual(['b', 'c', 'd']);
    for (let i = 1; i < granted.length; i++) expect(granted[i]!.token).toBeGreaterThan(granted[i - 1]!.token);
  });

  it('refuses a second take by the same session and withdraws an aborted take', async () => {
    const a = await node('a');
    const b = await node('b');
    await a.lock('p3').take();
    await expect(a.lock('p3').take()).rejects.toMatchObject({ code: 'ALREADY_HELD' });
    const abort = new AbortController();
    const watching = once(b.lock('p3'), 'waiting');
    const waiting = b.lock('p3').take({ signal: abort.signal });
    // The take is queued and watches a's queue key: the abort hits a take that waits.
    await watching;
    expect(await a.lock('p3').waiters()).toBe(1);
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await a.lock('p3').waiters()).toBe(0);
  });

  it("grants a dead holder's lock after its lease expires and the lock delay, dirty, naming the dead holder", async () => {
    const dead = await node('dead', { ttlSeconds: 2, marginMs: 500 });
    const b = await node('b', { lockDelayMs: 300 });
    const held = await dead.lock('p4').take();
    // The holder dies: its keepalives stop, nothing is released (its client is cut off).
    (dead as unknown as { stopTimers(): void }).stopTimers();
    const lost = new Promise<number>((resolve) => dead.on('lost', () => resolve(performance.now())));
    const started = performance.now();
    const grant = await b.lock('p4').take();
    const grantedAt = performance.now();
    expect(grant).toMatchObject({ dirty: true, previousHolderDied: true, previousHolder: 'dead' });
    expect(grant.token).toBeGreaterThan(held.token);
    expect(grantedAt - started).toBeLessThan(2000 + 300 + 2000);
    expect(grantedAt - started).toBeGreaterThanOrEqual(300);
    // The dead holder's own deadline passed before anyone else was granted the lock.
    const lostAt = await Promise.race([lost, new Promise<number>((r) => setTimeout(() => r(Infinity), 3000))]);
    expect(lostAt).toBeLessThan(grantedAt);
  });

  it("runs whileDelayed during a dead holder's lock delay, and grants once both the delay and it are done", async () => {
    const dead = await node('dead');
    const b = await node('b', { lockDelayMs: 300 });
    await dead.lock('p4d').take();
    // The holder dies: its lease goes at once (revoked, as etcd expires it), nothing released.
    (dead as unknown as { stopTimers(): void }).stopTimers();
    await dead.etcd.leaseClient.leaseRevoke({ ID: dead.leaseId });
    const started = performance.now();
    let calledAfterMs = -1;
    let settledAfterMs = -1;
    const grant = await b.lock('p4d').take({
      whileDelayed: async (g) => {
        expect(g).toMatchObject({ previousHolderDied: true, previousHolder: 'dead' });
        calledAfterMs = performance.now() - started;
        // Longer than the lock delay: the grant waits for it too.
        await new Promise((resolve) => setTimeout(resolve, 600));
        settledAfterMs = performance.now() - started;
        throw new Error('ignored by take');
      },
    });
    const grantedAfterMs = performance.now() - started;
    expect(grant).toMatchObject({ dirty: true, previousHolderDied: true, previousHolder: 'dead' });
    // Called as the delay started, not after it; the grant came after both.
    expect(calledAfterMs).toBeGreaterThanOrEqual(0);
    expect(calledAfterMs).toBeLessThan(300);
    expect(settledAfterMs).toBeGreaterThan(calledAfterMs);
    expect(grantedAfterMs).toBeGreaterThanOrEqual(settledAfterMs);
    // Not called for a grant whose previous holder released: a clean take.
    await b.lock('p4d').release();
    let called = false;
    await b.lock('p4d').take({ whileDelayed: async () => void (called = true) });
    expect(called).toBe(false);
  });

  it('keeps a lazily released lock until a waiter appears, then releases it after the minimum hold', async () => {
    const a = await node('a');
    const b = await node('b');
    const first = await a.lock('p5').take();
    const grantedAt = performance.now();
    expect(await a.lock('p5').release({ lazy: true, minHoldMs: 300 })).toBe(true);
    expect(a.lock('p5').current).toBe('lazy');
    const again = await a.lock('p5').take();
    expect(again).toMatchObject({ token: first.token, dirty: false });
    await a.lock('p5').release({ lazy: true, minHoldMs: 300 });
    const other = await b.lock('p5').take();
    // The minimum hold counts from a's grant (its lock never left it in between).
    expect(performance.now() - grantedAt).toBeGreaterThanOrEqual(300);
    expect(other).toMatchObject({ dirty: true, previousHolder: 'a', previousHolderDied: false });
    // b is granted when etcd commits a's release, which can be before a has read the answer to
    // it (state 'releasing' until then): a's lazy release ends idle, not necessarily first.
    await waitUntil('a idle after its lazy release', async () => a.lock('p5').current === 'idle', { intervalMs: 5 });
    await b.lock('p5').release();
    expect((await a.lock('p5').take()).dirty).toBe(true);
  });

  it('does not keep a lock lazily when someone already waits', async () => {
    const a = await node('a');
    const b = await node('b');
    await a.lock('p6').take();
    const waiting = b.lock('p6').take();
    await waitUntil('a waiter on p6', async () => (await a.lock('p6').waiters()) >= 1, { intervalMs: 5 });
    await a.lock('p6').release({ lazy: true });
    expect(a.lock('p6').current).toBe('idle');
    expect((await waiting).dirty).toBe(true);
  });
});
