/**
 * A crash plan (packages/engine/test/support/crash-plan.ts) that runs `freeze` at the moment the
 * "process" dies, e.g. to copy the agent's job records as they were then: what a real crash
 * leaves on disk, before the dying run's own error handling writes anything more.
 */
import { CrashPlan, type CrashMode } from '../../../../packages/engine/test/support/crash-plan.js';

export class FreezingPlan extends CrashPlan {
  /** The label of the step the process died at, or null. */
  diedAt: string | null = null;

  constructor(
    crashAt: number,
    mode: CrashMode,
    private readonly freeze: () => void,
  ) {
    super(crashAt, mode);
  }

  override async step<T>(label: string, run: () => Promise<T>, tear?: () => Promise<void>): Promise<T> {
    try {
      return await super.step(label, run, tear);
    } catch (err) {
      if (this.dead && this.diedAt === null) {
        this.diedAt = label;
        this.freeze();
      }
      throw err;
    }
  }
}
