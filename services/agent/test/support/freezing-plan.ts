/**
 * A crash plan (packages/engine/test/support/crash-plan.ts) that runs `freeze` at the moment the
 * "process" dies, e.g. to copy the jobs directory as it was then: the crash tests of the job
 * kinds restart a new manager over that copy.
 */
import { CrashPlan, type CrashMode } from '../../../../packages/engine/test/support/crash-plan.js';

/** A crash plan that calls `freeze` once, when the step it dies at fails. */
export class FreezingPlan extends CrashPlan {
  /** The label of the step the process died at, once it died. */
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
