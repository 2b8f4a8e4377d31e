/** IndexRefresher: index refreshes after PoolReady run a few at a time, one per pool waiting. */
import { describe, expect, it } from 'vitest';
import { IndexRefresher } from '../src/index-refresher.js';
import type { OwnerRecord } from '../src/registry.js';

const owner = (nodeId: string, token: string): OwnerRecord => ({ nodeId, address: `unix:/run/${nodeId}.sock`, token });

/** A refresh the test finishes by hand: records what ran and how many ran at once. */
function controlled(): { refresh: (pool: string, o: OwnerRecord) => Promise<void>; ran: string[]; running: () => number; peak: () => number; finishAll: () => void } {
  const ran: string[] = [];
  const open: Array<() => void> = [];
  let running = 0;
  let peak = 0;
  return {
    ran,
    running: () => running,
    peak: () => peak,
    finishAll: () => open.splice(0).forEach((f) => f()),
    refresh: (pool, o) => {
      ran.push(`${pool}@${o.token}`);
      running += 1;
      peak = Math.max(peak, running);
      return new Promise<void>((resolve) =>
        open.push(() => {
          running -= 1;
          resolve();
        }),
      );
    },
  };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('IndexRefresher', () => {
  it('runs at most `concurrency` refreshes at once and the rest as they finish', async () => {
    const c = controlled();
    const refresher = new IndexRefresher(c.refresh, 2);
    for (let i = 0; i < 5; i++) refresher.request(`p${i}`, owner('a', String(i)));
    await settle();
    expect(c.ran).toEqual(['p0@0', 'p1@1']);
    expect(refresher.queued).toBe(3);
    while (c.ran.length < 5 || c.running() > 0) {
      c.finishAll();
      await settle();
    }
    expect(c.ran).toEqual(['p0@0', 'p1@1', 'p2@2', 'p3@3', 'p4@4']);
    expect(c.peak()).toBe(2);
  });

  it('refreshes a pool that is asked for again while it waits once, for the newest owner', async () => {
    const c = controlled();
    const refresher = new IndexRefresher(c.refresh, 1);
    refresher.request('busy', owner('a', '1'));
    refresher.request('tank', owner('a', '2'));
    refresher.request('tank', owner('b', '3'));
    await settle();
    expect(c.ran).toEqual(['busy@1']);
    c.finishAll();
    await settle();
    await settle();
    expect(c.ran).toEqual(['busy@1', 'tank@3']);
    c.finishAll();
    await settle();
    expect(refresher.queued).toBe(0);
  });
});
