/**
 * handover-scheduler.ts, without a coordinator: a release that fails is sent again every
 * `retryMs` (one retry waiting at a time) until it succeeds, a LOCK_FAILED answer ends it, and
 * nothing is tried again once the node stops. Driven by the fake clock.
 */
import { describe, expect, it } from 'vitest';
import { AgentError } from '../src/agent-error.js';
import type { ClusterContext } from '../src/cluster/cluster-context.js';
import { HandoverScheduler } from '../src/cluster/handover-scheduler.js';
import { PoolOwnership } from '../src/cluster/pool-ownership.js';
import type { PoolFencing } from '../src/pool-fencing.js';
import { FakeClock } from './support/fake-clock.js';
import { captureLog } from './support/log-capture.js';

function scheduler(answers: Array<Error | null>) {
  const clock = new FakeClock();
  const ownership = new PoolOwnership({} as PoolFencing, () => true);
  const releases: string[] = [];
  let reports = 0;
  let stopping = false;
  const ctx = {
    ownership,
    clock,
    log: captureLog().log,
    retryMs: 1000,
    stopping: () => stopping,
    serial: <T>(_pool: string, fn: () => Promise<T>) => fn(),
    session: {
      release: async (pool: string) => {
        releases.push(pool);
        const answer = answers.shift() ?? null;
        if (answer !== null) throw answer;
      },
      reportPools: async () => {
        reports += 1;
      },
    },
  } as unknown as ClusterContext;
  const handover = new HandoverScheduler(ctx);
  const releasing = ownership.set('tank', { kind: 'releasing', token: 5n });
  return { clock, ownership, releases, handover, releasing, reports: () => reports, stop: () => (stopping = true) };
}

/** Lets the promise callbacks a timer started run (no real time passes). */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
};

describe('hand-over scheduler: releasing a pool', () => {
  it('sends a failed release again every retryMs until it succeeds, then forgets the pool', async () => {
    const unavailable = new AgentError('CLUSTER_UNAVAILABLE', 'no session now; retry');
    const t = scheduler([unavailable, unavailable, null]);
    await t.handover.finishRelease('tank', t.releasing, 'DeactivatePool');
    expect(t.releases).toEqual(['tank']);
    expect(t.ownership.state('tank').kind).toBe('releasing');
    t.clock.advance(999);
    await flush();
    expect(t.releases).toHaveLength(1);
    t.clock.advance(1);
    await flush();
    expect(t.releases).toHaveLength(2);
    t.clock.advance(1000);
    await flush();
    expect(t.releases).toHaveLength(3);
    expect(t.ownership.state('tank').kind).toBe('standby');
    expect(t.reports()).toBe(1);
    expect(t.clock.pending).toBe(0);
  });

  it('keeps one retry waiting however often the release fails meanwhile', async () => {
    const unavailable = new AgentError('CLUSTER_UNAVAILABLE', 'no session now; retry');
    const t = scheduler([unavailable, unavailable]);
    await t.handover.finishRelease('tank', t.releasing, 'DeactivatePool');
    await t.handover.finishRelease('tank', t.releasing, 'DestroyPool');
    expect(t.clock.pending).toBe(1);
  });

  it("ends at a LOCK_FAILED answer: the lock is not this session's", async () => {
    const t = scheduler([new AgentError('LOCK_FAILED', 'not held')]);
    await t.handover.finishRelease('tank', t.releasing, 'DeactivatePool');
    expect(t.ownership.state('tank').kind).toBe('standby');
    expect(t.clock.pending).toBe(0);
  });

  it('tries nothing again once stopped', async () => {
    const unavailable = new AgentError('CLUSTER_UNAVAILABLE', 'no session now; retry');
    const t = scheduler([unavailable, unavailable]);
    await t.handover.finishRelease('tank', t.releasing, 'DeactivatePool');
    expect(t.clock.pending).toBe(1);
    t.stop();
    t.handover.stop();
    expect(t.clock.pending).toBe(0);
    await t.handover.finishRelease('tank', t.releasing, 'DeactivatePool');
    expect(t.clock.pending).toBe(0);
    expect(t.releases).toHaveLength(2);
    expect(t.ownership.state('tank').kind).toBe('releasing');
  });
});
