/**
 * Waiting for etcd keys to change: a put or delete under a watched key wakes the waiter, also
 * one that came before the wait; the wait ends at its time or on abort.
 */
import type { Etcd3 } from 'etcd3';
import { connectEtcd } from '@thinfleet/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { KeyChanges } from '../src/key-changes.js';
import { testPrefix } from './support/test-coordinator.js';

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

describe('KeyChanges', () => {
  it('wakes at a put or delete of a watched key or prefix, and misses none that came before the wait', async () => {
    const prefix = testPrefix();
    const changes = await KeyChanges.open(client, [{ key: `${prefix}owners/tank` }, { prefix: `${prefix}locks/tank/` }], Date.now() + 5_000);
    try {
      // Before anyone waits: remembered.
      await client.put(`${prefix}locks/tank/epoch`).value('1');
      await expect.poll(() => changes.next(Date.now() + 5_000), { timeout: 5_000 }).toBe(true);
      // While waiting.
      const waited = changes.next(Date.now() + 5_000);
      await client.delete().key(`${prefix}locks/tank/epoch`);
      expect(await waited).toBe(true);
      const owner = changes.next(Date.now() + 5_000);
      await client.put(`${prefix}owners/tank`).value('{}');
      expect(await owner).toBe(true);
    } finally {
      await changes.close();
    }
  });

  it('ends at its time, or at once when aborted, with no change', async () => {
    const prefix = testPrefix();
    const changes = await KeyChanges.open(client, [{ key: `${prefix}owners/tank` }], Date.now() + 5_000);
    try {
      expect(await changes.next(Date.now())).toBe(false);
      const aborted = new AbortController();
      const waiting = changes.next(Date.now() + 60_000, aborted.signal);
      aborted.abort();
      expect(await waiting).toBe(false);
    } finally {
      await changes.close();
    }
  });
});
