/** pool-timers.ts: at most one timer per pool and kind, on the session clock. */
import { describe, expect, it } from 'vitest';
import { PoolTimers } from '../src/cluster/pool-timers.js';
import { FakeClock } from './support/fake-clock.js';

describe('pool timers', () => {
  it('keeps one timer per pool and kind, each kind and pool apart', () => {
    const clock = new FakeClock();
    const timers = new PoolTimers(clock);
    const ran: string[] = [];
    expect(timers.schedule('tank', 'handover', 100, () => ran.push('tank handover'))).toBe(true);
    expect(timers.schedule('tank', 'handover', 10, () => ran.push('tank handover again'))).toBe(false);
    expect(timers.schedule('tank', 'release', 50, () => ran.push('tank release'))).toBe(true);
    // Names that a composed key `release:<pool>` would mix up stay apart.
    expect(timers.schedule('release:tank', 'handover', 50, () => ran.push('release:tank handover'))).toBe(true);
    expect(timers.has('tank', 'handover')).toBe(true);
    clock.advance(99);
    expect(ran).toEqual(['tank release', 'release:tank handover']);
    clock.advance(1);
    expect(ran).toEqual(['tank release', 'release:tank handover', 'tank handover']);
    expect(timers.has('tank', 'handover')).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('forgets a timer before it runs, so that it may set the next', () => {
    const clock = new FakeClock();
    const timers = new PoolTimers(clock);
    let runs = 0;
    const again = (): void => {
      runs += 1;
      if (runs < 3) expect(timers.schedule('tank', 'handover', 10, again)).toBe(true);
    };
    timers.schedule('tank', 'handover', 10, again);
    clock.advance(100);
    expect(runs).toBe(3);
  });

  it('cancels every timer of a pool, or of all pools', () => {
    const clock = new FakeClock();
    const timers = new PoolTimers(clock);
    const ran: string[] = [];
    timers.schedule('tank', 'handover', 10, () => ran.push('tank handover'));
    timers.schedule('tank', 'release', 10, () => ran.push('tank release'));
    timers.schedule('pond', 'release', 10, () => ran.push('pond release'));
    timers.cancel('tank');
    timers.cancel('tank');
    expect(timers.has('tank', 'release')).toBe(false);
    clock.advance(10);
    expect(ran).toEqual(['pond release']);
    timers.schedule('tank', 'handover', 10, () => ran.push('tank handover'));
    timers.schedule('pond', 'handover', 10, () => ran.push('pond handover'));
    timers.cancelAll();
    clock.advance(10);
    expect(ran).toEqual(['pond release']);
    expect(clock.pending).toBe(0);
  });
});
