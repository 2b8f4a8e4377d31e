/**
 * The snapshot critical section: suspend every origin once, run the body (the create_snap
 * messages), resume every origin. Resume runs in a finally path and when the deadline passes,
 * whichever comes first, so no path returns with an origin suspended. A suspend or message
 * already in flight when the deadline passes is waited for, and anything it suspended is
 * resumed too, before the error reaches the caller.
 *
 * Crash story: a process killed inside the window leaves origins suspended in the kernel; the
 * pool's start-up resumes every suspended device of the pool (see recovery.ts).
 */
import type { DmClient } from '@thinfleet/devmapper';
import { EngineError } from './engine-error.js';

/** Tells the body whether the deadline has passed, so it sends no more messages. */
export interface WindowSignal {
  readonly expired: boolean;
}

const RESUME_ATTEMPTS = 3;

async function resumeAll(dm: DmClient, names: readonly string[]): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const name of [...names].reverse()) {
    let lastError: unknown;
    for (let attempt = 0; attempt < RESUME_ATTEMPTS; attempt++) {
      try {
        await dm.resume(name);
        lastError = undefined;
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (lastError !== undefined) errors.push(lastError);
  }
  return errors;
}

/**
 * Runs `body` with the devices in `names` suspended.
 * @throws EngineError DEADLINE_EXCEEDED when `deadlineMs` passes first (after resuming), the
 *   body's own error otherwise; KERNEL_FAILED when an origin could not be resumed.
 */
export async function withSuspended<T>(dm: DmClient, names: readonly string[], deadlineMs: number, body: (signal: WindowSignal) => Promise<T>): Promise<T> {
  const signal = { expired: false };
  const suspended: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      signal.expired = true;
      reject(new EngineError('DEADLINE_EXCEEDED', `snapshot window passed its ${deadlineMs} ms deadline; origins resumed`));
    }, deadlineMs);
  });
  const work = (async () => {
    for (const name of names) {
      if (signal.expired) throw new EngineError('DEADLINE_EXCEEDED', 'deadline passed while suspending origins');
      await dm.suspend(name);
      suspended.push(name);
    }
    return body(signal);
  })();
  work.catch(() => undefined);
  let resumed = 0;
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    const errors = await resumeAll(dm, suspended.slice(resumed));
    resumed = suspended.length;
    if (signal.expired) {
      await work.catch(() => undefined);
      errors.push(...(await resumeAll(dm, suspended.slice(resumed))));
    }
    if (errors.length > 0) {
      // eslint-disable-next-line no-unsafe-finally
      throw new EngineError('KERNEL_FAILED', `could not resume ${errors.length} origin(s) after the snapshot window`, { cause: errors[0] });
    }
  }
}
