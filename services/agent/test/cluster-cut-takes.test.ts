/**
 * cut-takes.ts: a take cut by a broken stream is made again after a resume, and then served only
 * if its reason says the pool is still wanted (a flag set where the take is made, not read back
 * from its log text).
 */
import { describe, expect, it } from 'vitest';
import { COORDINATOR_ASKED, CutTakes, localCall, RELEASING_CUT_TAKE, RETAKEN_AFTER_RESUME } from '../src/cluster/cut-takes.js';

describe('cut takes', () => {
  it('gives back the takes of the resumed session with their still-wanted flag, and forgets them all', () => {
    const cut = new CutTakes();
    cut.record('tank', 's1', COORDINATOR_ASKED);
    cut.record('pond', 's1', localCall('CreatePool'));
    cut.record('lake', 's0', COORDINATOR_ASKED);
    expect(cut.settle('s1', true)).toEqual([
      { pool: 'tank', stillWanted: true },
      { pool: 'pond', stillWanted: false },
    ]);
    expect(cut.settle('s1', true)).toEqual([]);
  });

  it('settles nothing when the session was not resumed, and records nothing without a session', () => {
    const cut = new CutTakes();
    cut.record('tank', 's1', COORDINATOR_ASKED);
    expect(cut.settle('s1', false)).toEqual([]);
    expect(cut.settle('s1', true)).toEqual([]);
    cut.record('tank', '', COORDINATOR_ASKED);
    expect(cut.settle('', true)).toEqual([]);
  });

  it('takes the flag from the reason, whatever its text says', () => {
    const cut = new CutTakes();
    cut.record('tank', 's1', { why: `${COORDINATOR_ASKED.why}, said nobody`, stillWanted: false });
    cut.record('pond', 's1', { why: 'ActivatePool', stillWanted: true });
    expect(cut.settle('s1', true)).toEqual([
      { pool: 'tank', stillWanted: false },
      { pool: 'pond', stillWanted: true },
    ]);
    // A take made again after a resume keeps the flag of the take it settles.
    expect([RETAKEN_AFTER_RESUME.stillWanted, RELEASING_CUT_TAKE.stillWanted]).toEqual([true, false]);
  });
});
