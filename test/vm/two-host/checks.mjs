/**
 * A scenario's verdicts: each check is recorded (name, passed, detail) rather than thrown, so a
 * failing run still reports everything it saw (what a missing fence lets through is the point of
 * the tier); `failed` says whether any did not pass.
 */
export class Checks {
  constructor(scenario) {
    this.scenario = scenario;
    this.results = [];
  }

  /** Records a check; returns `ok`. */
  check(name, ok, detail = '') {
    this.results.push({ name, ok: Boolean(ok), detail });
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
    return Boolean(ok);
  }

  /** Records a check that could not be made because a step failed. */
  broken(name, err) {
    return this.check(name, false, `could not check: ${err.message.split('\n')[0]}`);
  }

  get failed() {
    return this.results.some((r) => !r.ok);
  }
}

/** Seconds with one decimal from milliseconds. */
export const secs = (ms) => (ms === undefined || Number.isNaN(ms) ? '?' : `${(ms / 1000).toFixed(1)} s`);
