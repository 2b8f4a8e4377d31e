/** Job ids as the agent makes them (nanoid): short, typeable, never a flag, a valid record file name. */
import { describe, expect, it } from 'vitest';
import { JOB_ID_PATTERN, newJobId } from '../src/jobs/job-record.js';

describe('newJobId', () => {
  it('makes 12 lower-case letters and digits that the record format accepts, and does not repeat', () => {
    const ids = Array.from({ length: 20_000 }, () => newJobId());
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-z]{12}$/);
      expect(JOB_ID_PATTERN.test(id)).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
