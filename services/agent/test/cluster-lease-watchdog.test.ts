/**
 * The host watchdog coupled to the lease (lease-watchdog.ts), on a fake clock with the simulated
 * watchdog and device-mapper: armed with the cluster's timeout before a pool comes up, refused
 * when the device's timeout is longer, the deadline passed on in the watchdog's clock, kept armed
 * while a fence after a loss has not succeeded (so the host is reset when it fails), disarmed
 * once no pool may write here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSimHost, SimHostWatchdog, type SimHost } from '@thinfleet/devmapper';
import { poolFencePlan } from '@thinfleet/engine';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseWatchdog } from '../src/cluster/lease-watchdog.js';
import type { OwnershipState } from '../src/cluster/pool-ownership.js';
import { FakeClock } from './support/fake-clock.js';

const log = pino({ level: 'silent' });
let dir: string;
let host: SimHost;
let clock: FakeClock;
let fired: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tf-lease-wd-'));
  host = await openSimHost(join(dir, 'sim-kernel'));
  clock = new FakeClock();
  fired = 0;
});

afterEach(() => {
  host.close();
  rmSync(dir, { recursive: true, force: true });
});

function watchdog(deviceTimeoutSeconds?: number): SimHostWatchdog {
  return new SimHostWatchdog({ dm: host.dm, clock, onFire: () => void (fired += 1), ...(deviceTimeoutSeconds === undefined ? {} : { deviceTimeoutSeconds }) });
}

const held = (token: bigint): OwnershipState => ({ kind: 'held', token });
const fenced: OwnershipState = { kind: 'fenced', heldToken: null };

/** Lets the watchdog's queued arm/disarm run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Pool p held under an armed 1 s watchdog, then the deadline cleared (`how` 'deadline': a fence
 * after a lock loss) or the lease lost ('leaseLost'), p's fence started (not finished: `done`
 * finishes it) and p recorded fenced.
 */
async function heldThenLost(how: 'deadline' | 'leaseLost' = 'deadline'): Promise<{ wd: SimHostWatchdog; lease: LeaseWatchdog; done: (ok: boolean) => void }> {
  const wd = watchdog();
  const lease = new LeaseWatchdog({ watchdog: wd, clock, log });
  lease.welcome(1);
  lease.poolsChanged([['p', { kind: 'activating', token: 1n }]]);
  await lease.beforeBringUp('p', clock.nowMs() + 5_000);
  lease.poolsChanged([['p', held(1n)]]);
  await settle();
  if (how === 'leaseLost') lease.leaseLost();
  else lease.deadline(0);
  const done = lease.fenceStarted('p');
  lease.poolsChanged([['p', fenced]]);
  await settle();
  expect(wd.status().armed).toBe(true);
  return { wd, lease, done };
}

/** `wd` is disarmed, and stays quiet however long the clock runs. */
function expectDisarmedForGood(wd: SimHostWatchdog): void {
  expect(wd.status().armed).toBe(false);
  clock.advance(10_000);
  expect(fired).toBe(0);
}

describe('lease watchdog', () => {
  it('after a lease lost while a pool could write here: never disarmed, and no new pool is brought up until the reset', async () => {
    const { wd, lease, done } = await heldThenLost('leaseLost');
    done(true);
    await settle();
    // Every pool fenced, none live: still armed and unpetted.
    expect(wd.status().armed).toBe(true);
    await expect(lease.beforeBringUp('q', clock.nowMs() + 5_000)).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE' });
    // A new session's Welcome and acknowledgements do not restart the petting either.
    lease.deadline(clock.nowMs() + 5_000);
    clock.advance(250);
    await wd.fenceSettled();
    await settle();
    clock.advance(1_000);
    expect(fired).toBe(1);
  });

  it('arms with the cluster timeout before the first pool comes up, follows the deadline, and disarms after the last pool is gone', async () => {
    const wd = watchdog();
    // Before the first arm the timeout is unknown (0): arming sets the cluster's; then the device's.
    const lease = new LeaseWatchdog({ watchdog: wd, clock, log });
    lease.welcome(2);
    expect(lease.status()).toMatchObject({ fencing: 'watchdog', deviceTimeoutSeconds: 0, watchdog: { armed: false } });
    lease.poolsChanged([['p', { kind: 'activating', token: 5n }]]);
    await lease.beforeBringUp('p', clock.nowMs() + 3_000);
    expect(wd.status()).toMatchObject({ armed: true, timeoutSeconds: 2, deadlineMs: clock.nowMs() + 3_000, pets: 1 });
    expect(lease.status().deviceTimeoutSeconds).toBe(2);
    lease.poolsChanged([['p', held(5n)]]);
    await settle();
    // A second pool: no second arm; both pools are in the plans.
    lease.poolsChanged([
      ['p', held(5n)],
      ['q', { kind: 'activating', token: 6n }],
    ]);
    await lease.beforeBringUp('q', clock.nowMs() + 3_000);
    // Pets every quarter of the timeout while the deadline lies ahead; moved deadlines keep it going.
    clock.advance(2_000);
    lease.deadline(clock.nowMs() + 3_000);
    clock.advance(2_000);
    expect(wd.status()).toMatchObject({ armed: true, expired: false, pets: 9 });
    expect(fired).toBe(0);
    // The deadline is converted to the watchdog's clock (here the same one).
    expect(wd.status().deadlineMs).toBe(clock.nowMs() + 1_000);
    lease.poolsChanged([['q', { kind: 'releasing', token: 6n }]]);
    await settle();
    expect(wd.status().armed).toBe(true);
    lease.poolsChanged([]);
    await settle();
    expectDisarmedForGood(wd);
  });

  it('gives the watchdog the fence plans of the pools that may write here', async () => {
    const wd = watchdog();
    const plans: string[][] = [];
    const setFencePlans = wd.setFencePlans.bind(wd);
    wd.setFencePlans = (p) => {
      plans.push(p.map((x) => x.pool));
      setFencePlans(p);
    };
    const lease = new LeaseWatchdog({ watchdog: wd, clock, log });
    lease.welcome(1);
    lease.poolsChanged([['a', { kind: 'activating', token: 1n }]]);
    await lease.beforeBringUp('a', clock.nowMs() + 1_000);
    lease.poolsChanged([
      ['a', held(1n)],
      ['b', { kind: 'acquiring' }],
      ['c', fenced],
    ]);
    await settle();
    expect(plans.at(-1)).toEqual(['a']);
    expect(poolFencePlan('a')).toMatchObject({ pool: 'a', metaDevice: 'tf-a-_tmeta', dataDevice: 'tf-a-_tdata', poolDevice: 'tf-a-_tpool' });
  });

  it('refuses to hold a pool when the device reports a longer timeout than the cluster, or the coordinator sent none', async () => {
    const slow = watchdog(3);
    const lease = new LeaseWatchdog({ watchdog: slow, clock, log });
    lease.welcome(0);
    await expect(lease.beforeBringUp('p', clock.nowMs() + 1_000)).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE', message: expect.stringMatching(/sent no watchdog timeout/) });
    expect(slow.status().armed).toBe(false);
    lease.welcome(2);
    await expect(lease.beforeBringUp('p', clock.nowMs() + 1_000)).rejects.toMatchObject({
      code: 'CLUSTER_UNAVAILABLE',
      message: expect.stringMatching(/reports a 3 s timeout, longer than the cluster's 2 s/),
    });
    expect(slow.status().armed).toBe(false);
    clock.advance(10_000);
    expect(fired).toBe(0);
  });

  it('stops petting when the lease is lost, stays armed while a fence fails (the host is reset), and disarms once it succeeds', async () => {
    const { wd, done } = await heldThenLost();
    const lostAt = clock.nowMs();
    clock.advance(250);
    await wd.fenceSettled();
    expect(wd.status()).toMatchObject({ armed: true, expired: true });
    expect(wd.status().lastPetMs).toBeLessThanOrEqual(lostAt);
    // The agent's own fence failed: nothing disarms, and the device fires one timeout after the last pet.
    done(false);
    await settle();
    clock.advance(1_000);
    expect(fired).toBe(1);
  });

  it('disarms after a loss once every fence succeeded, before the device fires', async () => {
    const { wd, done } = await heldThenLost();
    done(true);
    await settle();
    expectDisarmedForGood(wd);
  });

  it('closes the device cleanly at start (what a killed agent left counting) once nothing is live, and never while a pool is', async () => {
    const wd = watchdog();
    const lease = new LeaseWatchdog({ watchdog: wd, clock, log });
    await lease.clearAfterStartupFence();
    // Opened (one pet), closed with the magic close: nothing fires.
    expect(wd.status()).toMatchObject({ armed: false, pets: 1 });
    clock.advance(120_000);
    expect(fired).toBe(0);
    // Armed for a pool: left alone.
    lease.welcome(1);
    lease.poolsChanged([['p', { kind: 'activating', token: 1n }]]);
    await lease.beforeBringUp('p', clock.nowMs() + 5_000);
    await lease.clearAfterStartupFence();
    expect(wd.status().armed).toBe(true);
  });

  it('does nothing with fencing "none"', async () => {
    const lease = new LeaseWatchdog({ watchdog: null, clock, log });
    lease.welcome(1);
    await lease.beforeBringUp('p', clock.nowMs() + 1_000);
    lease.poolsChanged([['p', held(1n)]]);
    lease.deadline(0);
    await lease.clearAfterStartupFence();
    await lease.stop();
    expect(lease.status()).toEqual({ fencing: 'none', deviceTimeoutSeconds: 0, watchdog: null });
  });
});
