/**
 * The contract every HostWatchdog keeps (fencing/host-watchdog.ts), as a suite run against each
 * implementation through a harness: SimHostWatchdog on a fake clock, NativeHostWatchdog on a
 * FIFO in a temp dir (host-watchdog.test.ts). "Pets stop" is shown on the watchdog's own clock:
 * the fake one is advanced; for the native thread the test waits until its monotonic clock has
 * passed several pet intervals, and the device's byte stream then shows no pet after expiry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostWatchdog } from '@thinfleet/devmapper';

/** One implementation under test, with a view of its device. */
export interface HostWatchdogHarness {
  readonly watchdog: HostWatchdog;
  /** The pet interval the tests arm with, in ms. */
  readonly petIntervalMs: number;
  /** Lets `ms` pass on the watchdog's clock (and whatever it started then settle). */
  pass(ms: number): Promise<void>;
  /** Resolves once `probe` holds (the native thread runs on its own time; the sim at once). */
  until(what: string, probe: () => boolean | Promise<boolean>): Promise<void>;
  /** How many pets the device itself has seen. */
  devicePets(): Promise<number>;
  /** Resolves true once the device was closed with the magic close (after disarm). */
  magicClosed(): Promise<boolean>;
  /** Disarms and frees what the harness made. */
  close(): Promise<void>;
}

/** Registers the contract suite for one implementation. */
export function hostWatchdogContract(label: string, open: () => Promise<HostWatchdogHarness>): void {
  describe(`HostWatchdog contract (${label})`, () => {
    let h: HostWatchdogHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    const arm = (): Promise<{ readonly timeoutSeconds: number }> => h.watchdog.arm({ timeoutSeconds: 10, petIntervalMs: h.petIntervalMs });

    it('pets at once on arm, returns the timeout, and keeps petting while the deadline lies ahead', async () => {
      const wd = h.watchdog;
      wd.setDeadline(wd.nowMs() + 600_000);
      expect(await arm()).toEqual({ timeoutSeconds: 10 });
      const first = wd.status();
      expect(first).toMatchObject({ armed: true, timeoutSeconds: 10, expired: false, fenceHealthy: true });
      expect(first.pets).toBeGreaterThanOrEqual(1);
      expect(first.lastPetMs).toBeGreaterThan(0);
      await h.pass(6 * h.petIntervalMs);
      await h.until('three more pets', () => wd.status().pets >= first.pets + 3);
      const pets = wd.status().pets;
      await h.until('the device to see them', async () => (await h.devicePets()) >= pets);
      expect(await h.devicePets()).toBeGreaterThanOrEqual(pets);
    });

    it('stops petting for good once the deadline passes, and says so', async () => {
      const wd = h.watchdog;
      wd.setDeadline(wd.nowMs() + 600_000);
      await arm();
      wd.setDeadline(wd.nowMs() - 1);
      await h.pass(h.petIntervalMs);
      await h.until('expired', () => wd.status().expired);
      const pets = wd.status().pets;
      await h.pass(6 * h.petIntervalMs);
      expect(wd.status()).toMatchObject({ armed: true, expired: true, pets });
      // A later deadline does not bring petting back: the lease ran out once.
      wd.setDeadline(wd.nowMs() + 600_000);
      await h.pass(6 * h.petIntervalMs);
      expect(wd.status().pets).toBe(pets);
      await wd.disarm();
      expect(await h.magicClosed()).toBe(true);
      expect(await h.devicePets()).toBe(pets);
    });

    it('arming while armed is idempotent: same timeout, petting goes on, one device open', async () => {
      const wd = h.watchdog;
      wd.setDeadline(wd.nowMs() + 600_000);
      await arm();
      const before = wd.status().pets;
      expect(await wd.arm({ timeoutSeconds: 30 })).toEqual({ timeoutSeconds: 10 });
      expect(wd.status().pets).toBeGreaterThanOrEqual(before);
      expect(wd.status().armed).toBe(true);
      await wd.disarm();
      expect(await h.magicClosed()).toBe(true);
    });

    it('disarm closes with the magic close and is idempotent; a watchdog never armed disarms at once', async () => {
      const wd = h.watchdog;
      await wd.disarm();
      expect(wd.status().armed).toBe(false);
      wd.setDeadline(wd.nowMs() + 600_000);
      await arm();
      await wd.disarm();
      expect(wd.status().armed).toBe(false);
      await wd.disarm();
      expect(await h.magicClosed()).toBe(true);
    });

    it('refuses bad arm options, naming the field, and stays disarmed', async () => {
      await expect(h.watchdog.arm({ timeoutSeconds: 0 })).rejects.toThrow(/timeoutSeconds/);
      await expect(h.watchdog.arm({ timeoutSeconds: 5, petIntervalMs: 6000 })).rejects.toThrow(/petIntervalMs/);
      expect(h.watchdog.status().armed).toBe(false);
    });
  });
}
