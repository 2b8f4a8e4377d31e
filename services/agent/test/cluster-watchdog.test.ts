/**
 * Cluster mode with fencing "watchdog" (the simulated host watchdog on the session's fake clock,
 * a scripted coordinator): the watchdog is armed when the first pool is held, follows the lease
 * deadline as keepalives are acknowledged, stops petting when they stop (a cut) while the pools
 * are fenced, and is disarmed after the last release. Start-up refuses a host without a watchdog
 * device unless fencing is "none", which is warned about at every start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { poolDeviceNames } from '@thinfleet/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test/support/wait-until.js';
import { checkWatchdogDevice } from '../src/cluster/watchdog-device.js';
import { FakeClock } from './support/fake-clock.js';
import { captureLog, LEVEL } from './support/log-capture.js';
import { MiB, startClusterAgent, token, type ClusterAgent } from './support/cluster-agent.js';
import { ScriptedCoordinator } from './support/scripted-coordinator.js';

let coordinator: ScriptedCoordinator | null = null;
let t: ClusterAgent | null = null;

// The agent goes before the coordinator it talks to.
afterEach(async () => {
  const [agent, scripted] = [t, coordinator];
  [t, coordinator] = [null, null];
  await agent?.dispose();
  await scripted?.stop();
});

const names = poolDeviceNames('p');

/** Runs the fake clock forward in steps of `stepMs`, letting the gRPC stream deliver between steps. */
async function advance(clock: FakeClock, ms: number, stepMs = 50): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('cluster mode: the host watchdog follows the lease', () => {
  it('arms on the first held pool, follows the deadline as keepalives are acknowledged, and disarms after the last release', async () => {
    const clock = new FakeClock();
    coordinator = await ScriptedCoordinator.start({ ttlSeconds: 3, marginMs: 500, watchdogTimeoutSeconds: 1 });
    t = await startClusterAgent({ coordinator, clock, config: { metricsListen: '127.0.0.1:0' } });
    await coordinator.waitConnected();
    expect(coordinator.received[0]!.hello).toMatchObject({ fencing: 'watchdog', watchdogTimeoutSeconds: 0 });
    const wd = t.watchdog!;
    const session = t.agent.cluster!.session;
    expect(wd.status().armed).toBe(false);
    await waitUntil('the first keepalive to be acknowledged', () => coordinator!.received.some((m) => m.message === 'keepAlive') && session.holdsNow());

    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    expect(wd.status()).toMatchObject({ armed: true, timeoutSeconds: 1, expired: false, deadlineMs: session.deadlineMs });
    const armedDeadline = session.deadlineMs;

    // A keepalive every TTL/3: each ack moves the lease deadline, and the watchdog's with it.
    await advance(clock, 1_000);
    await waitUntil('an acknowledged keepalive to move the deadline', () => session.deadlineMs > armedDeadline);
    expect(wd.status().deadlineMs).toBe(session.deadlineMs);
    expect(wd.status().pets).toBeGreaterThanOrEqual(4);
    const metrics = await (await fetch(t.agent.metricsUrl!)).text();
    expect(metrics).toMatch(/^thinfleet_fencing_info\{fencing="watchdog"\} 1$/m);
    expect(metrics).toMatch(/^thinfleet_host_watchdog_armed 1$/m);
    expect(metrics).toMatch(/^thinfleet_host_watchdog_timeout_seconds 1$/m);

    // A reconnect's Hello carries the device's timeout, now known.
    const from = coordinator.received.length;
    coordinator.drop();
    await advance(clock, 300);
    expect(await coordinator.waitFor((m) => m.hello, { from })).toMatchObject({ fencing: 'watchdog', watchdogTimeoutSeconds: 1 });

    await t.c.call(t.c.pool, 'DeactivatePool', { name: 'p' });
    await waitUntil('the watchdog to be disarmed', () => !wd.status().armed);
    await advance(clock, 3_000, 250);
    expect(t.fired()).toBe(0);
  });

  it('stops petting once acknowledgements stop (a cut), fences the pool, and never disarms: the host is reset within the timeout', async () => {
    const clock = new FakeClock();
    coordinator = await ScriptedCoordinator.start({ ttlSeconds: 3, marginMs: 500, watchdogTimeoutSeconds: 1 });
    t = await startClusterAgent({ coordinator, clock });
    await coordinator.waitConnected();
    const session = t.agent.cluster!.session;
    await waitUntil('the first keepalive to be acknowledged', () => session.holdsNow());
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    await t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: MiB, activate: true }, token(100));
    const wd = t.watchdog!;
    expect(wd.status().armed).toBe(true);

    coordinator.ackKeepAlives = false;
    const deadline = session.deadlineMs;
    await advance(clock, deadline - clock.nowMs() + 500);
    await waitUntil('the pool to be fenced', async () => (await t!.tableType(names.meta)) === 'error');
    expect(await t.tableType(names.data)).toBe('error');
    // No pet at or after the lease deadline; the watchdog's own expiry fence ran too.
    expect(wd.status().expired).toBe(true);
    expect(wd.status().lastPetMs).toBeLessThan(deadline);
    // A lost lease while a pool could write here: never disarmed, so the watchdog fires (1 s
    // after the last pet) although the fence succeeded.
    await advance(clock, 2_000, 250);
    expect(t.fired()).toBe(1);
  });
});

describe('cluster mode: a watchdog too slow for the cluster', () => {
  it('refuses to hold a pool when the device reports a longer timeout: the grant is given back, nothing comes up', async () => {
    coordinator = await ScriptedCoordinator.start({ ttlSeconds: 3, marginMs: 500, watchdogTimeoutSeconds: 1 });
    t = await startClusterAgent({ coordinator, deviceTimeoutSeconds: 2 });
    await coordinator.waitConnected();
    const failed = await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] }).catch((err: unknown) => err);
    expect(failed).toMatchObject({ message: expect.stringMatching(/reports a 2 s timeout, longer than the cluster's 1 s/) });
    await coordinator.waitFor((m) => m.message === 'release' && m.release!.pool === 'p');
    expect(t.watchdog!.status().armed).toBe(false);
    expect(t.agent.cluster!.ownership.state('p').kind).toBe('standby');
    expect(await t.dm.list()).toEqual([]);
  });
});

describe('cluster mode: the watchdog device at start', () => {
  it('refuses to start without a watchdog device, naming watchdogDevice and the fixes', async () => {
    coordinator = await ScriptedCoordinator.start();
    await expect(startClusterAgent({ coordinator, config: { watchdogDevice: '/nonexistent/watchdog' } })).rejects.toMatchObject({
      name: 'AgentConfigError',
      key: 'watchdogDevice',
      message: expect.stringMatching(/^watchdogDevice \/nonexistent\/watchdog: cannot use it \(ENOENT\).*modprobe softdog.*"fencing": "none"/),
    });
    const dir = mkdtempSync(join(tmpdir(), 'tf-wd-'));
    try {
      await expect(startClusterAgent({ coordinator, config: { watchdogDevice: dir } })).rejects.toMatchObject({
        key: 'watchdogDevice',
        message: expect.stringMatching(/not a character device/),
      });
      // Nothing connected: the refusal came before the session.
      expect(coordinator.connects).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts only a character device for the kernel device-mapper; a FIFO or a plain file stands in for the simulated one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-wd-'));
    try {
      const file = join(dir, 'file');
      writeFileSync(file, '');
      const fifo = join(dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      expect(() => checkWatchdogDevice(file, false)).toThrow(/not a character device/);
      expect(() => checkWatchdogDevice(fifo, false)).toThrow(/not a character device/);
      // /dev/null is a character device; the check only looks at it (it opens nothing).
      expect(() => checkWatchdogDevice('/dev/null', false)).not.toThrow();
      expect(() => checkWatchdogDevice(file, true)).not.toThrow();
      expect(() => checkWatchdogDevice(fifo, true)).not.toThrow();
      expect(() => checkWatchdogDevice(dir, true)).toThrow(/not a character device/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with fencing "none": starts without a device, warns at every start, and says so in the Hello and the metrics', async () => {
    coordinator = await ScriptedCoordinator.start();
    const { log, records } = captureLog();
    t = await startClusterAgent({ coordinator, logger: log, config: { fencing: 'none', watchdogDevice: '/nonexistent/watchdog', metricsListen: '127.0.0.1:0' } });
    await coordinator.waitConnected();
    expect(records.filter((r) => r.level === LEVEL.warn && r['fencing'] === 'none')).toHaveLength(1);
    expect(coordinator.received[0]!.hello).toMatchObject({ fencing: 'none', watchdogTimeoutSeconds: 0 });
    expect(t.watchdog).toBeNull();
    const metrics = await (await fetch(t.agent.metricsUrl!)).text();
    expect(metrics).toMatch(/^thinfleet_fencing_info\{fencing="none"\} 1$/m);
    expect(metrics).toMatch(/^thinfleet_host_watchdog_armed 0$/m);
    // Pools are still served (the JS fence is all there is).
    await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
    t = await t.restart({ coordinator, logger: log, config: { fencing: 'none', watchdogDevice: '/nonexistent/watchdog' } });
    expect(records.filter((r) => r.level === LEVEL.warn && r['fencing'] === 'none')).toHaveLength(2);
  });
});
