/**
 * Crash injection at the I/O boundary. Every call that changes the kernel or a disk (dm
 * create/remove/suspend/resume/load/clear/message, block write/discard/zeroOut, loop attach and
 * detach) is one step. A plan kills the "process" at step N: before the call (it never
 * happens), after it (it happened, the caller never learns), or, for a multi-sector write, torn
 * (only its first half lands). From then on every call fails with SimulatedCrash, the way a
 * dead process does nothing more; finally paths in the engine run but reach nothing.
 */
import type { BlockClient, DmClient } from '@thinfleet/devmapper';

export class SimulatedCrash extends Error {
  constructor(step: string) {
    super(`simulated crash at ${step}`);
    this.name = 'SimulatedCrash';
  }
}

export type CrashMode = 'before' | 'after' | 'torn';

export class CrashPlan {
  /** Steps taken since arm(). */
  steps = 0;
  dead = false;
  armed = false;
  /** Labels of the steps taken, for failure messages. */
  readonly log: string[] = [];

  constructor(
    readonly crashAt: number | null,
    readonly mode: CrashMode = 'before',
  ) {}

  /** Starts counting steps (after the test's setup). */
  arm(): void {
    this.armed = true;
  }

  /** Throws when the process is dead. */
  check(label: string): void {
    if (this.dead) throw new SimulatedCrash(`${label} (after death)`);
  }

  async step<T>(label: string, run: () => Promise<T>, tear?: () => Promise<void>): Promise<T> {
    this.check(label);
    if (!this.armed) return run();
    this.steps += 1;
    this.log.push(label);
    if (this.steps !== this.crashAt) return run();
    if (this.mode === 'before') {
      this.dead = true;
      throw new SimulatedCrash(`before ${label}`);
    }
    if (this.mode === 'torn' && tear) {
      await tear();
      this.dead = true;
      throw new SimulatedCrash(`torn ${label}`);
    }
    await run();
    this.dead = true;
    throw new SimulatedCrash(`after ${label}`);
  }
}

const DM_MUTATING = new Set(['create', 'remove', 'rename', 'suspend', 'resume', 'load', 'clear', 'message', 'ensureNode']);

/** A DmClient whose mutating calls are steps of `plan`; reads fail once the process is dead. */
export function crashingDm(dm: DmClient, plan: CrashPlan): DmClient {
  return new Proxy(dm, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'devicePath') return typeof value === 'function' ? (value.bind(target) as unknown) : value;
      const name = String(prop);
      return (...args: unknown[]) => {
        const call = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (!DM_MUTATING.has(name)) {
          plan.check(name);
          return call();
        }
        return plan.step(`dm.${name}(${args.filter((a) => typeof a !== 'object').join(' ')})`, call);
      };
    },
  });
}

/** A BlockClient whose writes are steps of `plan`; a torn write lands its first half. */
export function crashingBlock(block: BlockClient, plan: CrashPlan): BlockClient {
  return {
    sizeBytes: (p) => (plan.check('sizeBytes'), block.sizeBytes(p)),
    deviceNumber: (p) => (plan.check('deviceNumber'), block.deviceNumber(p)),
    read: (p, o, l) => (plan.check('read'), block.read(p, o, l)),
    loopBackingFile: (p) => (plan.check('loopBackingFile'), block.loopBackingFile(p)),
    discard: (p, o, l) => plan.step(`block.discard(${p})`, () => block.discard(p, o, l)),
    zeroOut: (p, o, l) => plan.step(`block.zeroOut(${p})`, () => block.zeroOut(p, o, l)),
    attachLoop: (f, opts) => plan.step(`block.attachLoop(${f})`, () => block.attachLoop(f, opts)),
    detachLoop: (p) => plan.step(`block.detachLoop(${p})`, () => block.detachLoop(p)),
    write: (p, o, data) =>
      plan.step(
        `block.write(${p} @${o} ${data.length}B)`,
        () => block.write(p, o, data),
        data.length > 512 ? () => block.write(p, o, data.subarray(0, Math.floor(data.length / 1024) * 512)) : undefined,
      ),
  };
}
