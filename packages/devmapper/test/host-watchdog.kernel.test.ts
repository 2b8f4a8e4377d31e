/**
 * Kernel tier: NativeHostWatchdog on the guest's real /dev/watchdog (qemu's i6300esb, whose
 * action the kernel tier sets to power off: a test that left it armed would power the guest
 * off and fail the tier). Arms it with a 30 s timeout, sees the thread pet it, lets the lease
 * deadline pass and sees petting stop and the thread's own fence of a live pool, then disarms
 * with the magic close well within the timeout.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NativeHostWatchdog } from '@thinfleet/devmapper';
import { watchdogStatus } from '@thinfleet/dm-native';
import { waitUntil } from '../../../test/support/wait-until.js';
import { DmTestHost } from './conformance/dm-test-host.js';
import { livePool } from './conformance/fence-pool-layout.js';

const PET_INTERVAL_MS = 200;

let host: DmTestHost;
beforeEach(async () => {
  host = await DmTestHost.open();
});
afterEach(async () => {
  await host.teardown();
});

describe('NativeHostWatchdog on a real watchdog device', () => {
  it('pets while the deadline lies ahead, fences and stops at the deadline, and disarms with the magic close', async () => {
    const { plan, volumes } = await livePool(host);
    const wd = new NativeHostWatchdog('/dev/watchdog', { volumeSuspendWaitMs: 5000 });
    wd.setDeadline(wd.nowMs() + 600_000);
    wd.setFencePlans([plan]);
    const started = Date.now();
    const step = (what: string): void => console.log(`host-watchdog.kernel: ${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
    try {
      const { timeoutSeconds } = await wd.arm({ timeoutSeconds: 30, petIntervalMs: PET_INTERVAL_MS });
      step(`armed, device timeout ${timeoutSeconds} s`);
      expect(timeoutSeconds).toBe(30);
      expect(watchdogStatus()).toMatchObject({ armed: true, isWatchdog: true, path: '/dev/watchdog', lastPetError: null });
      await waitUntil('five pets', () => wd.status().pets >= 5, 20_000);
      step(`${wd.status().pets} pets`);

      wd.setDeadline(wd.nowMs() - 1);
      await waitUntil('the expiry fence', () => wd.status().fenced.length + wd.status().fenceErrors.length > 0, 20_000);
      const expired = wd.status();
      step(`expired after ${expired.pets} pets; fence ${JSON.stringify(expired.fenced)}`);
      expect(expired).toMatchObject({ armed: true, expired: true, fenceHealthy: true, fenceErrors: [] });
      expect(expired.fenced).toEqual([{ suspendedVolumes: [...volumes].sort(), erroredDevices: [plan.metaDevice, plan.dataDevice], slowVolumes: [] }]);
      for (const v of volumes) expect((await host.dm.info(v)).suspended).toBe(true);
      expect((await host.dm.table(plan.metaDevice)).map((t) => t.type)).toEqual(['error']);
      expect((await host.dm.info(plan.poolDevice)).suspended).toBe(false);

      // Five pet intervals on the thread's own clock: not one pet more.
      const end = wd.nowMs() + 5 * PET_INTERVAL_MS;
      await waitUntil('five pet intervals', () => wd.nowMs() >= end, 10_000);
      expect(wd.status().pets).toBe(expired.pets);
    } finally {
      await wd.disarm();
      step('disarmed');
    }
    expect(wd.status().armed).toBe(false);
    expect(Date.now() - started).toBeLessThan(25_000);
  });
});
