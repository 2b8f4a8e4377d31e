/**
 * The host watchdogs: the contract suite (conformance/host-watchdog-contract.ts) against
 * SimHostWatchdog on a fake clock and against NativeHostWatchdog on a FIFO in a temp dir (the
 * test reads the pets, `.` each, and the magic close `V` from it), then what only one of them
 * shows: the simulated device firing, the sim's expiry fence through its SimDmClient, and the
 * native guard against ever arming a real watchdog in a test.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, constants as fsConstants, openSync, closeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DmError, isDmError, NativeHostWatchdog, openSimHost, SimHostWatchdog, type DmClient, type PoolFencePlan } from '@thinfleet/devmapper';
import { FakeClock } from '../../../services/agent/test/support/fake-clock.js';
import { waitUntil } from '../../../test/support/wait-until.js';
import { hostWatchdogContract, type HostWatchdogHarness } from './conformance/host-watchdog-contract.js';

const noDm = { fencePool: () => Promise.reject(new Error('no plans were set')) } as unknown as DmClient;

function simHarness(): Promise<HostWatchdogHarness> {
  const clock = new FakeClock();
  const watchdog = new SimHostWatchdog({ dm: noDm, clock });
  return Promise.resolve({
    watchdog,
    petIntervalMs: 100,
    pass: async (ms) => {
      clock.advance(ms);
      await watchdog.fenceSettled();
    },
    until: async (what, probe) => {
      if (!(await probe())) throw new Error(`on the fake clock, ${what} did not happen`);
    },
    devicePets: async () => watchdog.status().pets,
    magicClosed: async () => !watchdog.status().armed && !watchdog.fired,
    close: () => watchdog.disarm(),
  });
}

/** Opens and closes a writer of `fifo` without blocking; false while it has no reader yet. */
function releaseReader(fifo: string): boolean {
  try {
    closeSync(openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') return false;
    throw err;
  }
}

async function nativeHarness(): Promise<HostWatchdogHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'thinfleet-wd-'));
  const fifo = join(dir, 'watchdog');
  execFileSync('mkfifo', [fifo]);
  let bytes = '';
  // The read end opens now (on libuv's pool, waiting for a writer): the watchdog's open then
  // finds a reader, and every byte it writes is seen here.
  const stream = createReadStream(fifo);
  stream.on('data', (chunk) => (bytes += chunk.toString('latin1')));
  const ended = new Promise<void>((resolve) => stream.on('close', () => resolve()));
  const watchdog = new NativeHostWatchdog(fifo);
  const until = (what: string, probe: () => boolean | Promise<boolean>): Promise<void> =>
    waitUntil(what, async () => (await probe()) || null, { intervalMs: 5, detail: () => `device saw ${JSON.stringify(bytes.slice(-40))}` }).then(() => undefined);
  return {
    watchdog,
    petIntervalMs: 20,
    pass: async (ms) => {
      const end = watchdog.nowMs() + ms;
      await until(`${ms} ms on the monotonic clock`, () => watchdog.nowMs() >= end);
    },
    until,
    devicePets: async () => bytes.replaceAll('V', '').length,
    magicClosed: async () => {
      await ended;
      return bytes.endsWith('V') && !bytes.slice(0, -1).includes('V');
    },
    close: async () => {
      await watchdog.disarm();
      // A test that never armed leaves the reader waiting in open: a writer releases it.
      // (ENXIO until libuv's thread has started that open: ask again. ENXIO also once the
      // reader saw the watchdog's close and closed itself, between two probes: then it is done.)
      await until('the reader to open or close', () => stream.closed || releaseReader(fifo));
      await ended;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

hostWatchdogContract('sim, fake clock', simHarness);
hostWatchdogContract('native, FIFO', nativeHarness);

describe('SimHostWatchdog', () => {
  it('fires exactly when the timeout passed since the last pet while armed, and not while pets go on', async () => {
    const clock = new FakeClock();
    let fires = 0;
    const wd = new SimHostWatchdog({ dm: noDm, clock, onFire: () => (fires += 1) });
    wd.setDeadline(clock.nowMs() + 20_000);
    await wd.arm({ timeoutSeconds: 5, petIntervalMs: 1000 });
    clock.advance(19_000);
    expect(fires).toBe(0);
    const lastPet = wd.status().lastPetMs;
    expect(wd.status().expired).toBe(false);
    clock.advance(1000); // the deadline: expired, no more pets
    expect(wd.status().expired).toBe(true);
    clock.advance(lastPet + 5000 - clock.nowMs() - 1);
    expect(fires).toBe(0);
    clock.advance(1);
    expect(fires).toBe(1);
    expect(wd.fired).toBe(true);
    expect(wd.status().armed).toBe(false);
    clock.advance(60_000);
    expect(fires).toBe(1);
  });

  it('does not fire after a disarm', async () => {
    const clock = new FakeClock();
    let fires = 0;
    const wd = new SimHostWatchdog({ dm: noDm, clock, onFire: () => (fires += 1) });
    wd.setDeadline(clock.nowMs() + 1000);
    await wd.arm({ timeoutSeconds: 5 });
    await wd.disarm();
    clock.advance(60_000);
    expect(fires).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('fences its plans through the simulated device-mapper when the deadline passes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'thinfleet-wd-'));
    const sim = await openSimHost(join(dir, 'kernel'));
    try {
      const plan: PoolFencePlan = { pool: 'tank', devicePrefix: 'tf-tank-', metaDevice: 'tf-tank-_tmeta', dataDevice: 'tf-tank-_tdata', poolDevice: 'tf-tank-_tpool' };
      for (const name of [plan.metaDevice, plan.dataDevice, 'tf-tank-vol', 'tf-other-vol']) {
        await sim.dm.create(name);
        await sim.dm.load(name, [{ startSector: 0, lengthSectors: 2048, type: 'zero', params: '' }]);
        await sim.dm.resume(name);
      }
      const clock = new FakeClock();
      const wd = new SimHostWatchdog({ dm: sim.dm, clock });
      wd.setFencePlans([plan]);
      wd.setDeadline(clock.nowMs() + 1500);
      await wd.arm({ timeoutSeconds: 4 });
      clock.advance(1000);
      expect(wd.status().fenced).toEqual([]);
      clock.advance(500);
      await wd.fenceSettled();
      expect(wd.status()).toMatchObject({
        expired: true,
        fenceHealthy: true,
        fenced: [{ suspendedVolumes: ['tf-tank-vol'], erroredDevices: [plan.metaDevice, plan.dataDevice], slowVolumes: [] }],
      });
      expect((await sim.dm.info('tf-other-vol')).suspended).toBe(false);
      expect(await sim.dm.table(plan.metaDevice)).toEqual([{ startSector: 0, lengthSectors: 2048, type: 'error', params: '' }]);
      await wd.disarm();
    } finally {
      sim.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a failed expiry fence makes the fence path unhealthy and records the errno', async () => {
    const clock = new FakeClock();
    const failing = { fencePool: () => Promise.reject(new DmError('EIO', 'DM_TABLE_LOAD', 'tf-tank-_tmeta')) } as unknown as DmClient;
    const wd = new SimHostWatchdog({ dm: failing, clock });
    wd.setFencePlans([{ pool: 'tank', devicePrefix: 'tf-tank-', metaDevice: 'tf-tank-_tmeta', dataDevice: 'tf-tank-_tdata', poolDevice: 'tf-tank-_tpool' }]);
    wd.setDeadline(clock.nowMs() + 500);
    await wd.arm({ timeoutSeconds: 4, petIntervalMs: 1000 });
    clock.advance(1000);
    await wd.fenceSettled();
    expect(wd.status()).toMatchObject({ expired: true, fenceHealthy: false, fenceErrors: [{ pool: 'tank', device: 'tf-tank-_tmeta', errno: 'EIO' }] });
    await wd.disarm();
  });
});

describe('NativeHostWatchdog', () => {
  let wd: NativeHostWatchdog | undefined;
  afterEach(async () => {
    await wd?.disarm();
  });

  it('refuses a character device while THINFLEET_NO_REAL_WATCHDOG=1 (the test tiers set it), before opening it', async () => {
    expect(process.env.THINFLEET_NO_REAL_WATCHDOG).toBe('1');
    wd = new NativeHostWatchdog('/dev/null');
    const err: unknown = await wd.arm({ timeoutSeconds: 10 }).catch((e: unknown) => e);
    expect(isDmError(err, 'EPERM'), String(err)).toBe(true);
    expect(String(err)).toMatch(/THINFLEET_NO_REAL_WATCHDOG/);
    expect(wd.status().armed).toBe(false);
  });

  it('rejects with the errno when the device cannot be opened', async () => {
    wd = new NativeHostWatchdog('/nonexistent/thinfleet/watchdog');
    const err: unknown = await wd.arm({ timeoutSeconds: 10 }).catch((e: unknown) => e);
    expect(isDmError(err, 'ENOENT'), String(err)).toBe(true);
    expect(wd.status().armed).toBe(false);
  });

  it('a disarm during a failed arm does not cut short the next arm', async () => {
    const missing = new NativeHostWatchdog('/nonexistent/thinfleet/watchdog');
    const [armed, disarmed] = await Promise.allSettled([missing.arm({ timeoutSeconds: 10 }), missing.disarm()]);
    expect(armed.status).toBe('rejected');
    expect(disarmed.status).toBe('fulfilled');
    const h = await nativeHarness();
    try {
      h.watchdog.setDeadline(h.watchdog.nowMs() + 600_000);
      await h.watchdog.arm({ timeoutSeconds: 10, petIntervalMs: h.petIntervalMs });
      await h.until('three pets', () => h.watchdog.status().pets >= 3);
      expect(h.watchdog.status().armed).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('keeps its deadline on the monotonic clock it reports', () => {
    wd = new NativeHostWatchdog('/nonexistent/thinfleet/watchdog');
    const a = wd.nowMs();
    wd.setDeadline(a + 1234);
    expect(wd.status().deadlineMs).toBe(Math.ceil(a + 1234));
    expect(wd.nowMs()).toBeGreaterThanOrEqual(a);
  });
});
