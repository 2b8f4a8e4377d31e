/**
 * The lock's fast paths keep its guarantees: the one-transaction take of an empty queue, the
 * release that hands the lock to the next waiter in its own transaction, and the session's watch
 * on its owner record. Against a real etcd.
 */
import { once } from 'node:events';
import type { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { connectEtcd, lockKeys, LockSession, parseEpoch, type LockGrant } from '../src/index.js';
import { LockTransactions } from '../src/lock-transactions.js';

let etcd: EtcdServer;
let direct: Etcd3;
const clients: Etcd3[] = [];
const sessions: LockSession[] = [];
const prefix = `fast-${Date.now()}/`;

beforeAll(async () => {
  etcd = await startEtcd();
  direct = connectEtcd({ endpoints: [etcd.endpoint] });
});
afterAll(async () => {
  direct.close();
  await etcd.dispose();
});
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
  for (const c of clients.splice(0)) c.close();
});

async function node(nodeId: string, lockDelayMs = 5000): Promise<LockSession> {
  const client = connectEtcd({ endpoints: [etcd.endpoint] });
  clients.push(client);
  const session = await LockSession.open({ etcd: client, nodeId, prefix, ttlSeconds: 6, marginMs: 1000, lockDelayMs });
  sessions.push(session);
  return session;
}

/** The epoch of lock `name` as etcd has it, with its revision. */
async function epochOf(name: string): Promise<{ value: ReturnType<typeof parseEpoch>; revision: bigint }> {
  const kv = (await direct.kv.range({ key: lockKeys(prefix, name).epoch })).kvs[0]!;
  return { value: parseEpoch(kv.value), revision: BigInt(kv.mod_revision) };
}

/** The create revision of `session`'s queue key for lock `name`. */
async function queuedAt(session: LockSession, name: string): Promise<bigint> {
  const kv = (await direct.kv.range({ key: lockKeys(prefix, name).queueKey(session.leaseHex) })).kvs[0]!;
  return BigInt(kv.create_revision);
}

describe('the lock fast paths', () => {
  it('concurrent takes of a free lock, one transaction each: exactly one is granted, the others queue behind it', async () => {
    const nodes = await Promise.all(['a', 'b', 'c', 'd'].map((n) => node(n)));
    const granted: string[] = [];
    const queued = new Map(nodes.map((s) => [s.nodeId, once(s.lock('race'), 'waiting')]));
    const takes = new Map(
      nodes.map((s) => [
        s.nodeId,
        s
          .lock('race')
          .take()
          .then((g) => (granted.push(s.nodeId), g)),
      ]),
    );
    const first = await Promise.race(takes.values());
    // The other three watch their predecessor (the named event): each decided it does not hold.
    await Promise.all(nodes.filter((s) => s.nodeId !== granted[0]).map((s) => queued.get(s.nodeId)!));
    expect(granted).toHaveLength(1);
    expect(nodes.filter((s) => s.lock('race').current === 'queued')).toHaveLength(3);
    expect(first.dirty).toBe(true);
    // Then one at a time, each token larger than the last.
    let token = first.token;
    for (let i = 1; i < nodes.length; i++) {
      await nodes
        .find((s) => s.nodeId === granted.at(-1))!
        .lock('race')
        .release();
      const next = await Promise.race([...takes].filter(([id]) => !granted.slice(0, i).includes(id)).map(([, t]) => t));
      expect(granted).toHaveLength(i + 1);
      expect(next.token).toBeGreaterThan(token);
      token = next.token;
    }
    await nodes
      .find((s) => s.nodeId === granted.at(-1))!
      .lock('race')
      .release();
  });

  it("a release hands the lock to the waiter in its own transaction: the waiter's grant is that revision, dirty, naming the holder", async () => {
    const a = await node('a');
    const b = await node('b');
    const held = a.lock('hand').take();
    const holding = once(a.lock('hand'), 'holding');
    const first = await held;
    await holding;
    const contended = once(a.lock('hand'), 'contention');
    const taking = b.lock('hand').take();
    await contended; // a's view of the queue has b
    expect(await a.lock('hand').release()).toBe(true);
    const grant = await taking;
    const epoch = await epochOf('hand');
    // The fast path: the epoch is b's grant, written by a's release (handedBy), at b's token.
    expect(epoch.value).toEqual({ holder: 'b', lease: b.leaseHex, released: false, handedBy: 'a' });
    expect(epoch.revision).toBe(grant.token);
    expect(grant).toMatchObject({ dirty: true, previousHolder: 'a', previousHolderDied: false });
    expect(grant.token).toBeGreaterThan(first.token);
    // a takes it back: dirty (b held it), and its own next take after its own release is clean.
    const back = a.lock('hand').take();
    await once(b.lock('hand'), 'contention');
    await b.lock('hand').release();
    expect((await back).dirty).toBe(true);
    await a.lock('hand').release();
    expect((await a.lock('hand').take()).dirty).toBe(false);
    await a.lock('hand').release();
  });

  it('a holder that handed the lock over takes it back dirty even when the one it handed to died holding it', async () => {
    const a = await node('a', 200);
    const b = await node('b');
    await a.lock('died').take();
    const contended = once(a.lock('died'), 'contention');
    const taking = b.lock('died').take();
    await contended;
    await a.lock('died').release();
    await taking; // b holds it by the hand-over, whose revision is also a's release
    await direct.leaseClient.leaseRevoke({ ID: b.leaseId }); // b dies holding it
    const back = await a.lock('died').take();
    expect(back).toMatchObject({ dirty: true, previousHolder: 'b', previousHolderDied: true });
    await a.lock('died').release();
  });

  it('a holder granted behind others learns them from the queue at its grant and hands on in FIFO order', async () => {
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((n) => node(n)));
    await a!.lock('chain').take();
    const order: string[] = [];
    const grants: Array<Promise<LockGrant>> = [];
    for (const s of [b!, c!, d!]) {
      // Each waiter queues (and is seen by a) before the next: c and d queue before b's grant.
      const seen = once(a!.lock('chain'), 'contention');
      grants.push(
        s
          .lock('chain')
          .take()
          .then((g) => (order.push(s.nodeId), g)),
      );
      await seen;
    }
    for (const [i, s] of [a!, b!, c!].entries()) {
      if (i > 0) {
        await grants[i - 1];
        await once(s.lock('chain'), 'holding');
      }
      await s.lock('chain').release();
      // Each release handed over: the epoch names the next waiter, written by this holder.
      expect((await epochOf('chain')).value).toMatchObject({ holder: [b, c, d][i]!.nodeId, released: false, handedBy: s.nodeId });
    }
    const last = await grants[2];
    expect(order).toEqual(['b', 'c', 'd']);
    expect(last).toMatchObject({ dirty: true, previousHolder: 'c', previousHolderDied: false });
    await d!.lock('chain').release();
  });

  it('a hand-over to a waiter that left meanwhile does not give it the lock: the release falls back to released, the next waiter is granted without a lock delay', async () => {
    const a = await node('a');
    const b = await node('b');
    const c = await node('c');
    await a.lock('gone').take();
    const bTaking = b.lock('gone').take();
    bTaking.catch(() => {});
    await once(b.lock('gone'), 'waiting');
    const cTaking = c.lock('gone').take();
    await once(c.lock('gone'), 'waiting');
    const keys = lockKeys(prefix, 'gone');
    const bAt = await queuedAt(b, 'gone');
    const aAt = await queuedAt(a, 'gone');
    // b dies (its lease is revoked) after a chose it as its successor: a's release still names b.
    await direct.leaseClient.leaseRevoke({ ID: b.leaseId });
    await expect(bTaking).rejects.toMatchObject({ code: 'LOST' });
    const txns = new LockTransactions(a, 'gone', keys, keys.queueKey(a.leaseHex));
    const released = await txns.release(aAt, { key: keys.queueKey(b.leaseHex), createRevision: bAt, leaseHex: b.leaseHex, nodeId: 'b' });
    expect(released).toMatchObject({ succeeded: true, handedOver: false });
    // c is granted as after any release: the epoch it replaced is a's release, not a grant to b
    // (which would name b as a holder that died, and cost the lock delay, 5 s here).
    const grant = await cTaking;
    expect(grant).toMatchObject({ dirty: true, previousHolder: 'a', previousHolderDied: false });
    await c.lock('gone').release();
  });

  it('a hand-over left in the epoch for an earlier take of the same session is not a grant for its next take', async () => {
    const h = await node('h');
    const s = await node('s');
    await h.lock('stale').take();
    // What a take of s that gave up (aborted) just as h handed it the lock leaves behind: the
    // epoch names s, handed over, never released. Then h holds the lock again (its own grant is
    // not rewritten here: the queue says h is first).
    await direct.put(lockKeys(prefix, 'stale').epoch.toString()).value(JSON.stringify({ holder: 's', lease: s.leaseHex, released: false, handedBy: 'h' }));
    const waiting = once(s.lock('stale'), 'waiting');
    const contended = once(h.lock('stale'), 'contention');
    const taking = s.lock('stale').take();
    let granted = false;
    void taking.then(() => (granted = true));
    // The take read the queue and the epoch and decided to wait behind h (the named event), not
    // that the stale hand-over was its grant.
    await Promise.race([waiting, taking]);
    expect(granted).toBe(false);
    expect(s.lock('stale').current).toBe('queued');
    await contended;
    await h.lock('stale').release();
    expect(await taking).toMatchObject({ dirty: true, previousHolder: 'h' });
    await s.lock('stale').release();
  });

  it("a session whose lease etcd revokes is lost at once, holding no lock, from its owner record's deletion", async () => {
    const a = await node('a');
    const lost = once(a, 'lost');
    await direct.leaseClient.leaseRevoke({ ID: a.leaseId });
    const [err] = (await lost) as [{ code: string }];
    expect(err.code).toBe('LOST');
    // Long before its deadline (TTL 6 s - margin 1 s): the watch, not the keepalive timer, saw it.
    expect(performance.now()).toBeLessThan(a.deadlineMs);
    expect(a.alive).toBe(false);
  });
});
