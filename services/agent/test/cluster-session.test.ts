/**
 * The agent's session with the coordinator, on a fake monotonic clock against a scripted
 * coordinator: the lease deadline arithmetic, keepalives every TTL/3, reconnecting with
 * resume_session, and the three ways a session is lost (deadline, SessionLost, a refused resume).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { CoordinatorSession, type CoordinatorSessionOptions, type SessionEvents } from '../src/cluster/coordinator-session.js';
import { LeaseDeadline } from '../src/cluster/lease-deadline.js';
import { waitUntil } from '../../../test/support/wait-until.js';
import { FakeClock } from './support/fake-clock.js';
import { ScriptedCoordinator } from './support/scripted-coordinator.js';

describe('lease deadline', () => {
  it('counts a new session from the Hello and moves with the send time of each acknowledged keepalive', () => {
    const lease = new LeaseDeadline();
    lease.helloSent(1_000);
    expect(lease.welcome(10, 2_000, false)).toBe(9_000);
    expect(lease.keepAliveIntervalMs).toBe(3_333);
    lease.keepAliveSent(1, 1_100);
    lease.keepAliveSent(2, 4_400);
    expect(lease.acked(2)).toBe(true);
    expect(lease.deadlineMs).toBe(12_400);
    // An older ack arriving late never moves the deadline back (and was forgotten anyway).
    expect(lease.acked(1)).toBe(false);
    expect(lease.deadlineMs).toBe(12_400);
    expect(lease.holds(12_399)).toBe(true);
    expect(lease.holds(12_400)).toBe(false);
    expect(lease.acked(9)).toBe(false);
  });

  it('keeps the deadline of a resumed session until an ack, and has none after a reset', () => {
    const lease = new LeaseDeadline();
    lease.helloSent(0);
    lease.welcome(10, 2_000, false);
    lease.helloSent(5_000);
    expect(lease.welcome(10, 2_000, true)).toBe(8_000);
    lease.reset();
    expect(lease.deadlineMs).toBe(0);
    expect(lease.holds(0)).toBe(false);
    // A restarted agent resuming its session holds nothing until the first ack.
    const fresh = new LeaseDeadline();
    fresh.helloSent(100);
    expect(fresh.welcome(10, 2_000, true)).toBe(0);
    fresh.keepAliveSent(1, 200);
    fresh.acked(1);
    expect(fresh.deadlineMs).toBe(8_200);
  });
});

interface Recorded {
  readonly events: string[];
  readonly handlers: SessionEvents;
}

function recorder(): Recorded {
  const events: string[] = [];
  return {
    events,
    handlers: {
      onWelcome: (w) => events.push(`welcome ${w.session} resumed=${w.resumed}`),
      onRenewed: () => events.push('renewed'),
      onLost: (reason) => events.push(`lost: ${reason}`),
      onAcquire: (pool) => events.push(`acquire ${pool}`),
      onContention: (pool, waiters) => events.push(`contention ${pool} ${waiters}`),
      onDisconnected: () => events.push('disconnected'),
    },
  };
}

/** Waits (real I/O; the fake clock does not move) for what the session or the coordinator received. */
const until = (what: string, check: () => boolean): Promise<boolean> => waitUntil(what, check, { timeoutMs: 5_000, intervalMs: 10 });

describe('coordinator session', () => {
  let coordinator: ScriptedCoordinator;
  let session: CoordinatorSession | null = null;

  afterEach(async () => {
    session?.close();
    session = null;
    await coordinator?.stop();
  });

  /** A session of node-a with no pools, on the scripted coordinator, not yet started. */
  function poolLessSession(rec: Recorded, clock: FakeClock, extra: Partial<CoordinatorSessionOptions> = {}): CoordinatorSession {
    return new CoordinatorSession({
      addresses: [coordinator.address],
      tls: null,
      nodeId: 'node-a',
      advertise: 'unix:/run/a.sock',
      version: '0',
      resumeSession: '',
      pools: async () => [],
      events: rec.handlers,
      logger: pino({ level: 'silent' }),
      clock,
      ...extra,
    });
  }

  async function open(options: { resumeSession?: string; ttlSeconds?: number; marginMs?: number } = {}) {
    coordinator = await ScriptedCoordinator.start({ ttlSeconds: options.ttlSeconds ?? 9, marginMs: options.marginMs ?? 1_500 });
    const clock = new FakeClock();
    const rec = recorder();
    session = new CoordinatorSession({
      addresses: [coordinator.address],
      tls: null,
      nodeId: 'node-a',
      advertise: 'unix:/run/a.sock',
      version: '0.0.0-test',
      resumeSession: options.resumeSession ?? '',
      pools: async () => [{ name: 'tank', uuid: 'u1', devices: ['/dev/sdb'], active: false, dataSizeBytes: 0, dataUsedBytes: 0 }],
      events: rec.handlers,
      logger: pino({ level: 'silent' }),
      clock,
    });
    const helloAt = clock.nowMs();
    session.start();
    await until('the welcome', () => rec.events.some((e) => e.startsWith('welcome')));
    return { clock, rec, helloAt, s: session };
  }

  it('sends a Hello with the pools, a keepalive at once and every TTL/3, and moves the deadline with each ack', async () => {
    const { clock, rec, helloAt, s } = await open();
    const hello = coordinator.received[0]!.hello!;
    expect(hello).toMatchObject({ nodeId: 'node-a', address: 'unix:/run/a.sock', resumeSession: '', version: '0.0.0-test' });
    expect(hello.pools.map((p) => p.name)).toEqual(['tank']);
    expect(rec.events[0]).toBe('welcome s1 resumed=false');
    // First keepalive at once; the ack moves the deadline to its send time + TTL - margin.
    await until('the first ack', () => rec.events.includes('renewed'));
    expect(s.deadlineMs).toBe(helloAt + 9_000 - 1_500);
    expect(s.holdsNow()).toBe(true);
    clock.advance(3_000);
    await until('the second keepalive', () => coordinator.received.filter((m) => m.message === 'keepAlive').length === 2);
    await until('its ack', () => s.deadlineMs === helloAt + 3_000 + 9_000 - 1_500);
    // Without acks the deadline stays where it is, and the session is lost when it passes.
    coordinator.ackKeepAlives = false;
    clock.advance(3_000);
    // The third keepalive reached the coordinator, which sends no ack: the deadline stays.
    await until('the third keepalive', () => coordinator.received.filter((m) => m.message === 'keepAlive').length === 3);
    expect(s.deadlineMs).toBe(helloAt + 10_500);
    clock.advance(4_499);
    expect(s.holdsNow()).toBe(true);
    expect(rec.events.some((e) => e.startsWith('lost'))).toBe(false);
    clock.advance(1);
    expect(s.holdsNow()).toBe(false);
    expect(rec.events.filter((e) => e.startsWith('lost'))).toEqual(['lost: the lease deadline passed without an acknowledged keepalive']);
    // The next stream asks for a new session.
    coordinator.ackKeepAlives = true;
    clock.advance(200);
    await until('a new session', () => rec.events.includes('welcome s2 resumed=false'));
    expect(coordinator.received.filter((m) => m.message === 'hello').map((m) => m.hello!.resumeSession)).toEqual(['', '']);
  });

  it('reconnects with resume_session after a broken stream, keeping its deadline and failing requests in flight', async () => {
    const { clock, rec, s } = await open();
    await until('the first ack', () => rec.events.includes('renewed'));
    const deadline = s.deadlineMs;
    coordinator.autoGrant = false;
    const take = s.take('tank');
    await coordinator.waitFor((m) => m.message === 'take');
    coordinator.drop();
    await expect(take).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE' });
    await until('the disconnect', () => rec.events.includes('disconnected'));
    await expect(s.take('tank')).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE' });
    clock.advance(200);
    await until('the resumed welcome', () => rec.events.includes('welcome s1 resumed=true'));
    expect(coordinator.received.filter((m) => m.message === 'hello').map((m) => m.hello!.resumeSession)).toEqual(['', 's1']);
    expect(s.deadlineMs).toBeGreaterThanOrEqual(deadline);
    expect(rec.events.some((e) => e.startsWith('lost'))).toBe(false);
    // Takes and releases work on the new stream.
    coordinator.autoGrant = true;
    coordinator.dirty = false;
    await expect(s.take('tank')).resolves.toMatchObject({ pool: 'tank', token: 100n, dirty: false });
    await expect(s.release('tank')).resolves.toBeUndefined();
    expect(coordinator.granted.size).toBe(0);
  });

  it('is lost before the new session is used when the coordinator does not resume it', async () => {
    const { rec } = await open({ resumeSession: 'old-session' });
    expect(coordinator.received[0]!.hello!.resumeSession).toBe('old-session');
    expect(rec.events.slice(0, 2)).toEqual(['lost: the coordinator did not resume session old-session', 'welcome s1 resumed=false']);
  });

  it('is lost on SessionLost, fails what is pending, and starts a new session', async () => {
    const { clock, rec, s } = await open();
    coordinator.autoGrant = false;
    const take = s.take('tank');
    await coordinator.waitFor((m) => m.message === 'take');
    coordinator.push({ sessionLost: { reason: 'lease expired' } });
    await expect(take).rejects.toMatchObject({ code: 'CLUSTER_UNAVAILABLE' });
    expect(rec.events).toContain('lost: the coordinator ended the session: lease expired');
    expect(s.holdsNow()).toBe(false);
    coordinator.sessions.clear();
    clock.advance(200);
    await until('a new session', () => rec.events.includes('welcome s2 resumed=false'));
    expect(coordinator.received.filter((m) => m.message === 'hello').at(-1)!.hello!.resumeSession).toBe('');
  });

  it('opens the stream again when no Welcome comes', async () => {
    coordinator = await ScriptedCoordinator.start();
    coordinator.welcome = false;
    const clock = new FakeClock();
    const rec = recorder();
    session = poolLessSession(rec, clock);
    session.start();
    await coordinator.waitFor((m) => m.message === 'hello');
    // 1 ms before the Welcome wait ends nothing happens: the wait is still pending on the clock
    // (a timer due falls in advance(), at once), no disconnect, no second Hello.
    clock.advance(4_999);
    expect(clock.dueInMs()).toEqual([1]);
    expect(rec.events).toEqual([]);
    expect(coordinator.received.filter((m) => m.message === 'hello')).toHaveLength(1);
    coordinator.welcome = true;
    clock.advance(1);
    expect(rec.events).toEqual(['disconnected']);
    clock.advance(200);
    await until('the welcome', () => rec.events.includes('welcome s1 resumed=false'));
  });

  it('waits backoffMs.min before reopening a stream, doubling per failed stream up to backoffMs.max, and starts again from min after a Welcome', async () => {
    coordinator = await ScriptedCoordinator.start();
    coordinator.welcome = false;
    const clock = new FakeClock();
    const delays: number[] = [];
    const after = clock.after.bind(clock);
    // Every timer but the 5 s wait for a Welcome is a reconnect (no keepalive runs without a Welcome).
    clock.after = (delayMs, fn) => {
      if (delayMs !== 5_000) delays.push(delayMs);
      return after(delayMs, fn);
    };
    const rec = recorder();
    session = poolLessSession(rec, clock, { backoffMs: { min: 100, max: 300 } });
    const hellos = (): number => coordinator.received.filter((m) => m.message === 'hello').length;
    session.start();
    await until('the first hello', () => hellos() === 1);
    for (const [i, delay] of [100, 200, 300, 300].entries()) {
      clock.advance(5_000);
      expect(delays.at(-1)).toBe(delay);
      clock.advance(delay);
      await until(`hello ${i + 2}`, () => hellos() === i + 2);
    }
    coordinator.welcome = true;
    clock.advance(5_000);
    clock.advance(300);
    await until('the welcome', () => rec.events.includes('welcome s1 resumed=false'));
    coordinator.ackKeepAlives = false;
    const before = delays.length;
    coordinator.drop();
    await until('the disconnect', () => rec.events.filter((e) => e === 'disconnected').length === 6);
    // The keepalive after the Welcome set a timer of TTL/3 too; the reconnect is the last one.
    expect(delays.slice(0, 5)).toEqual([100, 200, 300, 300, 300]);
    expect(delays.slice(before).at(-1)).toBe(100);
  });

  it('passes Acquire and Contention on, refuses a failed take with its code, and releases a grant no one waits for', async () => {
    const { rec, s } = await open();
    coordinator.push({ acquire: { pool: 'tank' } });
    coordinator.push({ contention: { pool: 'tank', waiters: 2 } });
    await until('the pushes', () => rec.events.includes('contention tank 2'));
    expect(rec.events).toContain('acquire tank');
    coordinator.autoGrant = false;
    const take = s.take('tank');
    const requestId = await coordinator.waitFor((m) => m.message === 'take' && m.take!.requestId);
    coordinator.push({ failed: { requestId, pool: 'tank', code: 'ETCD', message: 'etcd is down' } });
    await expect(take).rejects.toMatchObject({ code: 'LOCK_FAILED', message: expect.stringContaining('(ETCD): etcd is down') });
    const from = coordinator.received.length;
    coordinator.push({ granted: { requestId: 999, pool: 'other', token: '5', dirty: true, previousHolderDied: false, previousHolder: '' } });
    await coordinator.waitFor((m) => m.message === 'release' && m.release!.pool === 'other', { from });
  });

  it('takes every timing from the Welcome: with TTL 3 s, keepalives every 1 s and a Welcome awaited 1 s (one coordinator), not the 5 s used before any TTL is known', async () => {
    const { clock, rec, helloAt, s } = await open({ ttlSeconds: 3, marginMs: 1_000 });
    await until('the first ack', () => rec.events.includes('renewed'));
    expect(s.leaseTtlMs).toBe(3_000);
    expect(s.deadlineMs).toBe(helloAt + 3_000 - 1_000);
    clock.advance(999);
    expect(coordinator.received.filter((m) => m.message === 'keepAlive')).toHaveLength(1);
    clock.advance(1);
    await until('the second keepalive after TTL/3', () => coordinator.received.filter((m) => m.message === 'keepAlive').length === 2);
    // The stream breaks and the next coordinator hangs: it is given up after TTL/3.
    coordinator.welcome = false;
    coordinator.drop();
    await until('the disconnect', () => rec.events.includes('disconnected'));
    clock.advance(200);
    await coordinator.waitFor((m) => m.message === 'hello' && m.hello!.resumeSession === 's1');
    clock.advance(999);
    expect(rec.events.filter((e) => e === 'disconnected')).toHaveLength(1);
    clock.advance(1);
    expect(rec.events.filter((e) => e === 'disconnected')).toHaveLength(2);
    expect(rec.events.some((e) => e.startsWith('lost'))).toBe(false);
  });

  it('while the lease holds, reconnects within TTL/6 whatever the configured backoff says', async () => {
    coordinator = await ScriptedCoordinator.start({ ttlSeconds: 3, marginMs: 1_000 });
    const clock = new FakeClock();
    const rec = recorder();
    session = poolLessSession(rec, clock, { backoffMs: { min: 1_500, max: 4_000 } });
    session.start();
    await until('the first ack', () => rec.events.includes('renewed'));
    coordinator.drop();
    await until('the disconnect', () => rec.events.includes('disconnected'));
    const hellos = (): number => coordinator.received.filter((m) => m.message === 'hello').length;
    clock.advance(499);
    expect(hellos()).toBe(1);
    clock.advance(1);
    await until('the resume', () => rec.events.includes('welcome s1 resumed=true'));
    expect(rec.events.some((e) => e.startsWith('lost'))).toBe(false);
  });

  describe('several coordinators and the cluster id', () => {
    let second: ScriptedCoordinator | null = null;
    afterEach(async () => {
      await second?.stop();
      second = null;
    });

    async function openTwo(options: { clusterId?: string; ttlSeconds?: number; marginMs?: number } = {}) {
      coordinator = await ScriptedCoordinator.start({ ttlSeconds: options.ttlSeconds ?? 3, marginMs: options.marginMs ?? 1_000 });
      second = await ScriptedCoordinator.start({ ttlSeconds: options.ttlSeconds ?? 3, marginMs: options.marginMs ?? 1_000 });
      const clock = new FakeClock();
      const rec = recorder();
      session = poolLessSession(rec, clock, { addresses: [coordinator.address, second.address], clusterId: options.clusterId ?? '' });
      return { clock, rec, s: session, first: coordinator, other: second };
    }

    it('moves to the next coordinator when the stream breaks and resumes the session there, keeping the deadline', async () => {
      const { clock, rec, s, first, other } = await openTwo();
      first.clusterId = other.clusterId = 'cluster-1';
      s.start();
      await until('the first ack', () => rec.events.includes('renewed'));
      expect(s.clusterId).toBe('cluster-1');
      const deadline = s.deadlineMs;
      // The second coordinator shares the etcd: it knows the session.
      other.sessions.add('s1');
      first.drop();
      await until('the disconnect', () => rec.events.includes('disconnected'));
      clock.advance(200);
      await until('the welcome from the second', () => rec.events.includes('welcome s1 resumed=true'));
      expect(other.received[0]!.hello).toMatchObject({ resumeSession: 's1', clusterId: 'cluster-1' });
      expect(s.address).toBe(other.address);
      expect(s.deadlineMs).toBeGreaterThanOrEqual(deadline);
      expect(rec.events.some((e) => e.startsWith('lost'))).toBe(false);
      // Round robin: the next break goes back to the first.
      other.drop();
      await until('the second disconnect', () => rec.events.filter((e) => e === 'disconnected').length === 2);
      clock.advance(200);
      await until('a hello at the first again', () => first.received.filter((m) => m.message === 'hello').length === 2);
    });

    it('drops a coordinator that stops acknowledging keepalives after TTL/6 and resumes at the next before the deadline', async () => {
      const { clock, rec, s, first, other } = await openTwo();
      s.start();
      await until('the first ack', () => rec.events.includes('renewed'));
      const deadline = s.deadlineMs;
      first.ackKeepAlives = false; // the first coordinator hangs
      other.sessions.add('s1');
      clock.advance(1_000);
      await until('the second keepalive', () => first.received.filter((m) => m.message === 'keepAlive').length === 2);
      clock.advance(499);
      expect(rec.events.includes('disconnected')).toBe(false);
      clock.advance(1);
      expect(rec.events).toContain('disconnected');
      clock.advance(200);
      await until('the resume at the second', () => rec.events.includes('welcome s1 resumed=true'));
      await until('an ack from the second', () => s.deadlineMs > deadline);
      expect(rec.events.some((e) => e.startsWith('lost'))).toBe(false);
    });

    it('does not use a Welcome from another cluster: it says why and tries the next coordinator', async () => {
      const { clock, rec, s, first, other } = await openTwo({ clusterId: 'home' });
      first.clusterId = 'elsewhere';
      other.clusterId = 'home';
      s.start();
      await until('the refusal', () => rec.events.includes('disconnected'));
      expect(first.received[0]!.hello!.clusterId).toBe('home');
      expect(s.refused).toBe(`the coordinator ${first.address} serves cluster elsewhere, not this host's cluster home`);
      expect(rec.events).toEqual(['disconnected']); // no welcome, no loss
      expect(s.live).toBe(false);
      clock.advance(200);
      await until('the welcome from the second', () => rec.events.includes('welcome s1 resumed=false'));
      expect(s.refused).toBeNull();
      expect(s.address).toBe(other.address);
      expect(s.clusterId).toBe('home');
    });

    it('takes the cluster id of its first Welcome when it has none, and sends it from then on', async () => {
      const { clock, rec, s, first, other } = await openTwo();
      first.clusterId = 'first-seen';
      other.clusterId = 'another';
      s.start();
      await until('the welcome', () => rec.events.includes('welcome s1 resumed=false'));
      expect(first.received[0]!.hello!.clusterId).toBe('');
      expect(s.clusterId).toBe('first-seen');
      first.drop();
      await until('the disconnect', () => rec.events.includes('disconnected'));
      clock.advance(200);
      await until('the refusal of the other cluster', () => s.refused !== null);
      expect(other.received[0]!.hello!.clusterId).toBe('first-seen');
    });
  });
});
