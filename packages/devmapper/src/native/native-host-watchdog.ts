/**
 * HostWatchdog over dm-native's watchdog thread (fencing/host-watchdog.ts): a real
 * `/dev/watchdog` in production, a FIFO or plain file in tests (pets are then one-byte writes,
 * the magic close a `V`). The thread is the process's one: use one NativeHostWatchdog per
 * process. Errors keep the addon's errno (DmError with the native error as cause).
 */
import * as native from '@thinfleet/dm-native';
import { checkArmOptions, defaultPetIntervalMs } from '../fencing/arm-options.js';
import type { HostWatchdog, HostWatchdogArmOptions, HostWatchdogStatus } from '../fencing/host-watchdog.js';
import { DEFAULT_VOLUME_SUSPEND_WAIT_MS, type PoolFencePlan } from '../fencing/pool-fence-plan.js';
import { toPoolFenceReport } from './native-dm-client.js';
import { callNative } from './native-error.js';

/** Options of NativeHostWatchdog. */
export interface NativeHostWatchdogOptions {
  /** The expiry fence's wait for volume suspends, in ms (default 500). */
  readonly volumeSuspendWaitMs?: number;
}

/** The native host watchdog; see the module comment. */
export class NativeHostWatchdog implements HostWatchdog {
  constructor(
    readonly devicePath: string = '/dev/watchdog',
    private readonly options: NativeHostWatchdogOptions = {},
  ) {}

  /**
   * See HostWatchdog.arm. Refused with EPERM for a character device while
   * THINFLEET_NO_REAL_WATCHDOG=1 (the test tiers set it).
   * @throws RangeError naming the option; DmError with the errno of open or ioctl
   */
  async arm(options: HostWatchdogArmOptions): Promise<{ readonly timeoutSeconds: number }> {
    checkArmOptions(options);
    const petIntervalMs = options.petIntervalMs ?? defaultPetIntervalMs(options.timeoutSeconds);
    return callNative('watchdogArm', this.devicePath, () => native.watchdogArm(this.devicePath, options.timeoutSeconds, petIntervalMs));
  }

  nowMs(): number {
    return native.monotonicNowMs();
  }

  setDeadline(deadlineMs: number): void {
    native.watchdogSetDeadline(Math.max(0, Math.ceil(deadlineMs)));
  }

  setFencePlans(plans: readonly PoolFencePlan[]): void {
    native.watchdogSetFencePlans(
      plans.map((p) => ({ pool: p.pool, devicePrefix: p.devicePrefix, metaDevice: p.metaDevice, dataDevice: p.dataDevice, poolDevice: p.poolDevice })),
      this.options.volumeSuspendWaitMs ?? DEFAULT_VOLUME_SUSPEND_WAIT_MS,
    );
  }

  status(): HostWatchdogStatus {
    const s = native.watchdogStatus();
    return {
      armed: s.armed,
      timeoutSeconds: s.timeoutSeconds,
      deadlineMs: s.deadlineMs,
      lastPetMs: s.lastPetMs,
      pets: s.pets,
      expired: s.expired,
      fenceHealthy: s.fenceHealthy,
      fenced: s.fenced.map(toPoolFenceReport),
      fenceErrors: s.fenceErrors,
    };
  }

  async disarm(): Promise<void> {
    await callNative('watchdogDisarm', this.devicePath, () => native.watchdogDisarm());
  }
}
