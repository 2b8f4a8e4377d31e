/**
 * The one polling wait of the test tree: `waitUntil(what, probe)` asks `probe` until it answers,
 * and fails after a timeout with a message naming what was awaited. Plain TypeScript with no
 * imports, so unit tests (which resolve workspace packages to their sources) and integration
 * tests (which run built binaries) import it alike, by a relative path.
 *
 * Use it to wait for something to happen. To show that something did NOT happen, do not wait
 * and then look: drive an injectable clock, or wait for the named event that proves the code
 * decided (see the tests that use FakeClock, PoolOwnership.onChange or a lock's events).
 */

/** Options of {@link waitUntil}; all optional. */
export interface WaitUntilOptions {
  /** How long to keep asking, in milliseconds; default 10 000. */
  readonly timeoutMs?: number;
  /** The pause between two asks, in milliseconds; default 20. */
  readonly intervalMs?: number;
  /**
   * Called once on a timeout; its answer is added to the error message (e.g. what was received
   * meanwhile). Bound its length: it goes into a test failure.
   */
  readonly detail?: () => string | Promise<string>;
}

/** What a probe answers while the awaited thing has not happened. */
export type NotYet = null | undefined | false;

/** Thrown by {@link waitUntil} on a timeout. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

/**
 * Asks `probe` (at once, then every `intervalMs`) until it answers something other than null,
 * undefined or false, and resolves with that answer (so `waitUntil('x', () => found ?? null)`
 * returns the thing found; a boolean probe resolves with `true`). A probe that throws (or
 * rejects) ends the wait with its error: throw from the probe to give up early, e.g. when the
 * process being waited on has exited. Probes run one at a time, never overlapping; nothing is
 * left running once it settles.
 *
 * @param what what is awaited, for the message: `timed out after 10000 ms waiting for <what>`
 * @param options a timeout in milliseconds, or {@link WaitUntilOptions}
 * @throws WaitTimeoutError when `probe` has not answered within the timeout; whatever `probe` throws
 */
export async function waitUntil<T>(what: string, probe: () => T | NotYet | Promise<T | NotYet>, options: number | WaitUntilOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 20, detail } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await probe();
    if (answer !== null && answer !== undefined && answer !== false) return answer;
    if (Date.now() >= deadline) {
      const extra = detail === undefined ? '' : `; ${await detail()}`;
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${extra}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
