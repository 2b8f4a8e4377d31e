/** Percentages as the CLI prints them (parsing and byte formatting are tested in @thinfleet/units). */
import { describe, expect, it } from 'vitest';
import { formatPercent } from '../src/index.js';

describe('formatPercent', () => {
  it('prints one decimal, and a dash for an empty total', () => {
    expect(formatPercent(1, 8)).toBe('12.5%');
    expect(formatPercent(0, 0)).toBe('-');
    expect(formatPercent(5, 5)).toBe('100.0%');
  });
});
