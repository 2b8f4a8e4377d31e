import { describe, expect, it } from 'vitest';
import { MAX_POOL_NAME_CHARS, NAME_PATTERN, POOL_NAME_PATTERN } from '@thinfleet/units';

describe('the naming rule', () => {
  it('accepts the characters LVM allows, starting with a letter or digit', () => {
    for (const name of ['a', 'tank', 'vm1-disk.0', 'A+b_c', '9lives']) expect(NAME_PATTERN.test(name), name).toBe(true);
    for (const name of ['', '-a', '_a', '.a', 'a b', 'a/b', 'a\nb', 'ä']) expect(NAME_PATTERN.test(name), JSON.stringify(name)).toBe(false);
  });

  it('bounds a pool name at MAX_POOL_NAME_CHARS and otherwise agrees with NAME_PATTERN', () => {
    expect(POOL_NAME_PATTERN.test('p'.repeat(MAX_POOL_NAME_CHARS))).toBe(true);
    expect(POOL_NAME_PATTERN.test('p'.repeat(MAX_POOL_NAME_CHARS + 1))).toBe(false);
    for (const name of ['tank', '-tank', 'ta nk', 'a.b+c_d-e']) expect(POOL_NAME_PATTERN.test(name), name).toBe(NAME_PATTERN.test(name));
  });
});
