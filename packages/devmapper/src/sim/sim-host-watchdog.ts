/**
 * The host watchdog of a simulated host (HostWatchdog, fencing/host-watchdog.ts) on an
 * injectable clock: it "pets" on the clock's timers exactly as the native thread does on its
 * own, fences its plans through the simulated device-mapper when the deadline passes, and
 * calls `onFire` when a real device would fire (its timeout passed since the last pet while
 * armed). What a fired watchdog does to a simulated host is the caller's choice (`onFire`).
 *
 * Nothing here depends on the event loop being alive any more than the simulated host does:
 * it models the device, not the native thread's independence from JavaScript.
 */
import type { DmClient } from '../dm-client.js';
import { isDmError } from '../dm-error.js';
import type { HostWatchdog, HostWatchdogArmOptions, HostWatchdogStatus } from '../fencing/host-watchdog.js';
import type { PoolFencePlan, PoolFenceReport } from '../fencing/pool-fence-plan.js';
import { checkArmOptions, defaultPetIntervalMs } from '../fencing/arm-options.js';

/** Monotonic milliseconds and one-shot timers (the shape of the agent's SessionClock). */
export interface WatchdogClock {
  /** Monotonic milliseconds since an arbitrary origin. */
  nowMs(): number;
  /** Runs `fn` once after `delayMs`; the returned function cancels it (idempotent). */
  after(delayMs: number, fn: () => void): () => void;
}

/** Options of SimHostWatchdog. */
export interface SimHostWatchdogOptions {
  /** The client the expiry fence runs on (the simulated host's). */
  readonly dm: DmClient;
  /** The clock pets, deadlines and the device's timeout are counted on. */
  readonly clock: WatchdogClock;
  /** Reported as `devicePath` (default `/dev/watchdog`); nothing is opened. */
  readonly devicePath?: string;
  /** Called once when the device fires: armed, and `timeoutSeconds` passed since the last pet. */
  readonly onFire?: () => void;
  /** The expiry fence's wait for volume suspends (PoolFenceOptions), default its default. */
  readonly volumeSuspendWaitMs?: number;
  /** The timeout the simulated device reports, when it differs from the one asked for. */
  readonly deviceTimeoutSeconds?: number;
}

type FenceError = HostWatchdogStatus['fenceErrors'][number];

/** A simulated host watchdog; see the module comment. One per simulated host. */
export class SimHostWatchdog implements HostWatchdog {
  readonly devicePath: string;
  private armed = false;
  private timeoutSeconds = 0;
  private petIntervalMs = 0;
  private deadlineMs = 0;
  private lastPetMs = 0;
  private pets = 0;
  private expired = false;
  private fenceHealthy = true;
  private plans: readonly PoolFencePlan[] = [];
  private readonly fenced: PoolFenceReport[] = [];
  private readonly fenceErrors: FenceError[] = [];
  private cancelTick: () => void = () => {};
  private cancelFire: () => void = () => {};
  private firedFlag = false;
  private nextPetMs = 0;
  private fencing: Promise<void> = Promise.resolve();

  constructor(private readonly options: SimHostWatchdogOptions) {
    this.devicePath = options.devicePath ?? '/dev/watchdog';
  }

  /** True once the simulated device fired (the host would have been reset). */
  get fired(): boolean {
    return this.firedFlag;
  }

  /** Settles when the expiry fence, if one started, is done (tests wait on it). */
  fenceSettled(): Promise<void> {
    return this.fencing;
  }

  nowMs(): number {
    return this.options.clock.nowMs();
  }

  /** See HostWatchdog.arm. Idempotent while armed; after the device fired it may be armed afresh (the host came back). */
  async arm(options: HostWatchdogArmOptions): Promise<{ readonly timeoutSeconds: number }> {
    if (this.armed) return { timeoutSeconds: this.timeoutSeconds };
    checkArmOptions(options);
    this.armed = true;
    this.firedFlag = false;
    this.expired = false;
    this.fenceHealthy = true;
    this.pets = 0;
    this.lastPetMs = 0;
    this.fenced.length = 0;
    this.fenceErrors.length = 0;
    this.timeoutSeconds = this.options.deviceTimeoutSeconds ?? options.timeoutSeconds;
    this.petIntervalMs = options.petIntervalMs ?? defaultPetIntervalMs(options.timeoutSeconds);
    this.pet();
    this.nextPetMs = this.nowMs() + this.petIntervalMs;
    this.scheduleTick();
    return { timeoutSeconds: this.timeoutSeconds };
  }

  setDeadline(deadlineMs: number): void {
    this.deadlineMs = deadlineMs;
    // As the native thread is woken: a new deadline is acted on at once.
    if (this.armed) this.scheduleTick();
  }

  setFencePlans(plans: readonly PoolFencePlan[]): void {
    this.plans = plans.map((p) => ({ ...p }));
  }

  status(): HostWatchdogStatus {
    return {
      armed: this.armed,
      timeoutSeconds: this.timeoutSeconds,
      deadlineMs: this.deadlineMs,
      lastPetMs: this.lastPetMs,
      pets: this.pets,
      expired: this.expired,
      fenceHealthy: this.fenceHealthy,
      fenced: [...this.fenced],
      fenceErrors: [...this.fenceErrors],
    };
  }

  /** See HostWatchdog.disarm: the magic close; waits for an expiry fence in progress first. */
  async disarm(): Promise<void> {
    if (!this.armed) return;
    await this.fencing;
    this.stop();
  }

  private stop(): void {
    this.armed = false;
    this.cancelTick();
    this.cancelFire();
  }

  private pet(): void {
    this.pets += 1;
    this.lastPetMs = this.nowMs();
    this.cancelFire();
    this.cancelFire = this.options.clock.after(this.timeoutSeconds * 1000, () => this.fire());
  }

  private fire(): void {
    if (!this.armed) return;
    this.stop();
    this.firedFlag = true;
    this.options.onFire?.();
  }

  /** The native thread's wait: until the next pet is due, or the deadline if that is sooner. */
  private scheduleTick(): void {
    this.cancelTick();
    const wakeMs = this.expired ? this.nextPetMs : Math.min(this.nextPetMs, this.deadlineMs);
    this.cancelTick = this.options.clock.after(wakeMs - this.nowMs(), () => this.tick());
  }

  /** One round of the native thread's loop. */
  private tick(): void {
    if (!this.armed) return;
    const now = this.nowMs();
    if (!this.expired && now >= this.deadlineMs) {
      this.expired = true;
      this.fencing = this.fenceAll();
    } else if (now >= this.nextPetMs) {
      this.nextPetMs = now + this.petIntervalMs;
      if (!this.expired && this.fenceHealthy) this.pet();
    }
    this.scheduleTick();
  }

  private async fenceAll(): Promise<void> {
    for (const plan of this.plans) {
      try {
        this.fenced.push(await this.options.dm.fencePool(plan, { volumeSuspendWaitMs: this.options.volumeSuspendWaitMs }));
      } catch (err) {
        this.fenceHealthy = false;
        this.fenceErrors.push({
          pool: plan.pool,
          device: isDmError(err) ? (err.device ?? '') : '',
          errno: isDmError(err) ? err.code : 'EIO',
          message: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}
