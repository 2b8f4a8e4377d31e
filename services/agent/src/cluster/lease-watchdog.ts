/**
 * Couples the host watchdog to the session's lease (the sanlock/wdmd model; docs/agent.md,
 * "Fencing"): while this host may write to a pool, the watchdog is armed and its thread pets it
 * only while the lease deadline lies ahead, so a killed, stopped or hung agent, or a lost lease,
 * ends in a host reset before the coordinator's lock delay lets anyone else in.
 *
 * - Arming: before a pool's devices are brought up under a grant (`beforeBringUp`), with the
 *   cluster's timeout from the Welcome. A device that reports a longer timeout is disarmed and
 *   the grant refused: this host would be reset too late.
 * - The deadline: every change of the session's LeaseDeadline (Welcome, acknowledged keepalive,
 *   loss) is passed on, converted from the session clock to the watchdog's (`nowMs()`).
 * - A lost lease (`leaseLost`) while a pool could write here stops the petting at once and for
 *   good: the pools are fenced (by the agent and by the thread), and the host is still reset
 *   when the timeout passes, whether or not the fences worked. A host cut off from the
 *   coordinator is thus off before anyone else can be granted its pools, as a killed, stopped
 *   or hung one is, and never serves a fenced pool's stuck I/O again.
 * - The plans: the pools whose devices may write here (activating, held, releasing, and those
 *   whose fence after a loss has not succeeded), by device name (engine names.ts), so the
 *   thread fences them itself when the deadline passes.
 * - Disarming (the magic close): once no pool needs it any more (released, handed over, fenced
 *   at stop) and no lease was lost while one could write. A pool whose fence failed keeps it
 *   armed: with the deadline past the host is reset, which is the point.
 *
 * With fencing "none" there is no watchdog: every call is a no-op and the status says so.
 *
 * Crash story: nothing here is durable. A killed agent closes the device without the magic
 * close and the host is reset after the timeout; a host that comes back has no devices live.
 * Arm and disarm run one at a time, in call order.
 */
import type { HostWatchdog, HostWatchdogStatus, PoolFencePlan } from '@thinfleet/devmapper';
import { Mutex, poolFencePlan } from '@thinfleet/engine';
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.js';
import type { FencingKind } from '../agent-config.js';
import type { OwnershipState } from './pool-ownership.js';
import type { SessionClock } from './session-clock.js';

/** The fencing as health, metrics and the Hello report it. */
export interface LeaseWatchdogStatus {
  readonly fencing: FencingKind;
  /** The device's timeout as it reported it when last armed (arming sets the cluster's); 0 before, or with fencing "none". */
  readonly deviceTimeoutSeconds: number;
  /** The watchdog's own status; null with fencing "none". */
  readonly watchdog: HostWatchdogStatus | null;
}

export interface LeaseWatchdogOptions {
  /** null: fencing "none". */
  readonly watchdog: HostWatchdog | null;
  /** The session's clock (the lease deadline is on it). */
  readonly clock: SessionClock;
  readonly log: Logger;
}

/** The timeout set while the device is opened only to be closed cleanly at start (whole seconds). */
const CLEAR_TIMEOUT_SECONDS = 60;

/** The states in which a pool's devices may be live and writing here. */
const LIVE = new Set<OwnershipState['kind']>(['activating', 'held', 'releasing']);

/** See the module comment. One per cluster node. */
export class LeaseWatchdog {
  private clusterTimeoutSeconds = 0;
  private deviceTimeoutSeconds = 0;
  private armed = false;
  /** The pools whose devices may write here, by the ownership states. */
  private live: readonly string[] = [];
  /** Pools whose fence after a loss has not succeeded (yet). */
  private readonly unfenced = new Set<string>();
  /** The lease was lost while a pool could write here: the host is being reset; never disarmed again. */
  private resetPending = false;
  private readonly mutex = new Mutex();

  constructor(private readonly options: LeaseWatchdogOptions) {}

  get fencing(): FencingKind {
    return this.options.watchdog === null ? 'none' : 'watchdog';
  }

  status(): LeaseWatchdogStatus {
    const watchdog = this.options.watchdog?.status() ?? null;
    return { fencing: this.fencing, deviceTimeoutSeconds: watchdog === null ? 0 : this.deviceTimeoutSeconds, watchdog };
  }

  /** The Welcome's watchdog timeout (0 from a coordinator that does not send one). */
  welcome(watchdogTimeoutSeconds: number): void {
    this.clusterTimeoutSeconds = watchdogTimeoutSeconds;
  }

  /**
   * The session's lease deadline changed (on the session clock; 0: nothing is held). Passed on
   * to the watchdog on its own clock; 0 and past deadlines stop the petting, and so does every
   * deadline after `leaseLost` while a pool could write here.
   */
  deadline(deadlineMs: number): void {
    const wd = this.options.watchdog;
    if (wd === null) return;
    // After a lease lost while holding, no later session's deadline restarts the petting.
    wd.setDeadline(deadlineMs <= 0 || this.resetPending ? 0 : Math.max(0, wd.nowMs() + (deadlineMs - this.options.clock.nowMs())));
  }

  /**
   * The session's lease is lost (the coordinator said so, or its deadline passed). Petting stops
   * now; if the watchdog is armed for a pool that could write here, it is never disarmed again
   * in this process: the host is reset within the timeout. Idempotent.
   */
  leaseLost(): void {
    this.deadline(0);
    if (this.armed && this.plans([]).length > 0 && !this.resetPending) {
      this.resetPending = true;
      this.options.log.fatal(
        { device: this.options.watchdog?.devicePath, pools: this.plans([]).map((p) => p.pool) },
        'lease lost while holding pools: the host watchdog is no longer petted and resets this host',
      );
    }
  }

  /**
   * The pools' states changed: the plans follow the pools that may write here, and the watchdog
   * is disarmed once there are none. Call after every change (PoolOwnership.onChange).
   */
  poolsChanged(states: ReadonlyArray<readonly [string, OwnershipState]>): void {
    this.live = states.filter(([, s]) => LIVE.has(s.kind)).map(([pool]) => pool);
    void this.sync();
  }

  /**
   * A fence of `pool` after a loss started: the watchdog stays armed for the pool until it
   * succeeds (`ok`), and for good when it fails (the host is reset once the deadline passed).
   */
  fenceStarted(pool: string): (ok: boolean) => void {
    this.unfenced.add(pool);
    return (ok) => {
      if (!ok) return;
      this.unfenced.delete(pool);
      void this.sync();
    };
  }

  /**
   * Arms the watchdog, if it is not armed, before `pool`'s devices are brought up: with the
   * deadline and the plans set first (the pool's included), and the cluster's timeout. Call
   * once the lease deadline lies ahead.
   * @throws AgentError CLUSTER_UNAVAILABLE when the coordinator sent no watchdog timeout, the
   *   device cannot be opened (its errno in the message), or it reports a longer timeout than
   *   the cluster's (then it is disarmed again)
   */
  async beforeBringUp(pool: string, deadlineMs: number): Promise<void> {
    const wd = this.options.watchdog;
    if (wd === null) return;
    await this.mutex.run(async () => {
      if (this.resetPending) {
        throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool}: this host lost its lease while holding pools and is about to be reset by its watchdog`);
      }
      this.deadline(deadlineMs);
      wd.setFencePlans(this.plans([pool]));
      if (this.armed && wd.status().expired) {
        // An expired watchdog never pets again: re-armed only when nothing else may write here.
        if (this.plans([]).some((p) => p.pool !== pool)) {
          throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool}: the host watchdog expired while other pools may still write here; this host is about to be reset`);
        }
        await this.disarmNow('re-armed for a new grant after its deadline passed');
      }
      if (this.armed) return;
      const limit = this.clusterTimeoutSeconds;
      if (limit <= 0) {
        throw new AgentError(
          'CLUSTER_UNAVAILABLE',
          `pool ${pool}: the coordinator sent no watchdog timeout (an older coordinator?); with "fencing": "watchdog" this host holds no pool without one`,
        );
      }
      let reported: number;
      try {
        reported = (await wd.arm({ timeoutSeconds: limit })).timeoutSeconds;
      } catch (err) {
        const errno = (err as { code?: unknown }).code;
        throw new AgentError('CLUSTER_UNAVAILABLE', `pool ${pool}: cannot arm the host watchdog ${wd.devicePath} (${typeof errno === 'string' ? errno : (err as Error).message})`, {
          cause: err,
        });
      }
      this.armed = true;
      this.deviceTimeoutSeconds = reported;
      if (reported > limit) {
        await this.disarmNow("its timeout is longer than the cluster's");
        throw new AgentError(
          'CLUSTER_UNAVAILABLE',
          `pool ${pool}: the host watchdog ${wd.devicePath} reports a ${reported} s timeout, longer than the cluster's ${limit} s (coordinator lock.watchdogTimeoutSeconds): this host would be reset after another could be granted the pool; holding no pool`,
        );
      }
      this.options.log.info({ device: wd.devicePath, timeoutSeconds: reported, pool }, 'host watchdog armed: this host is reset if its lease runs out while it holds pools');
    });
  }

  /**
   * At start, once every pool the kernel had live is fenced: opens the device and closes it
   * with the magic close, so the countdown a killed agent left running (its device closed
   * without the magic close) does not reset a host that writes to no pool any more. Call only
   * when no pool may write here. A device that cannot be opened is logged (the host may then be
   * reset, which is safe); never throws.
   */
  async clearAfterStartupFence(): Promise<void> {
    const wd = this.options.watchdog;
    if (wd === null) return;
    await this.mutex.run(async () => {
      if (this.armed) return;
      try {
        wd.setFencePlans([]);
        wd.setDeadline(wd.nowMs() + CLEAR_TIMEOUT_SECONDS * 1000);
        await wd.arm({ timeoutSeconds: CLEAR_TIMEOUT_SECONDS });
        await wd.disarm();
        this.options.log.info({ device: wd.devicePath }, 'host watchdog closed cleanly at start: no pool is live here');
      } catch (err) {
        this.options.log.warn({ err, device: wd.devicePath }, 'could not close the host watchdog at start; if an earlier agent left it counting, the host is reset');
      }
    });
  }

  /** Stops (disarms) at agent stop, once every pool is released or fenced; a pool still live keeps it armed. */
  async stop(): Promise<void> {
    await this.sync();
  }

  private plans(extra: readonly string[]): PoolFencePlan[] {
    return [...new Set([...this.live, ...this.unfenced, ...extra])].sort().map((pool) => poolFencePlan(pool));
  }

  private sync(): Promise<void> {
    const wd = this.options.watchdog;
    if (wd === null) return Promise.resolve();
    return this.mutex
      .run(async () => {
        const plans = this.plans([]);
        wd.setFencePlans(plans);
        if (plans.length === 0 && this.armed && !this.resetPending) await this.disarmNow('no pool is held here any more');
      })
      .catch((err: unknown) => this.options.log.error({ err }, 'could not disarm the host watchdog: the host is reset when its timeout passes'));
  }

  private async disarmNow(why: string): Promise<void> {
    const wd = this.options.watchdog!;
    await wd.disarm();
    this.armed = false;
    this.options.log.info({ device: wd.devicePath, why }, 'host watchdog disarmed');
  }
}
