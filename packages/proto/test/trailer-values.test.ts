/** tf-* trailer values and status messages always fit what grpc can send. */
import { describe, expect, it } from 'vitest';
import { boundedDetails, decodeTrailerValue, encodeTrailerValue, MAX_STATUS_DETAILS_BYTES, MAX_TRAILER_VALUE_BYTES } from '../src/trailer-values.js';

const legal = /^[ -~]*$/;

describe('trailer values', () => {
  it('keeps ASCII names as they are and round-trips anything else', () => {
    expect(encodeTrailerValue('ops[3].create.name')).toBe('ops[3].create.name');
    for (const v of ['é', 'a%b', '100%', '😀 x', '\u0000\n', 'mixé%41']) {
      const encoded = encodeTrailerValue(v);
      expect(encoded).toMatch(legal);
      expect(decodeTrailerValue(encoded)).toBe(v);
    }
  });

  it('bounds long values at a whole character', () => {
    for (const v of ['a'.repeat(200_000), 'é'.repeat(20_000), '😀'.repeat(20_000)]) {
      const encoded = encodeTrailerValue(v);
      expect(encoded.length).toBeLessThanOrEqual(MAX_TRAILER_VALUE_BYTES);
      expect(encoded).toMatch(legal);
      const decoded = decodeTrailerValue(encoded);
      expect(decoded.endsWith('…')).toBe(true);
      expect(v.startsWith(decoded.slice(0, -1))).toBe(true);
    }
  });

  it('decodes an older agent raw value as it is', () => {
    expect(decodeTrailerValue('50% off')).toBe('50% off');
  });

  it('bounds status messages and escapes control characters', () => {
    expect(boundedDetails('short')).toBe('short');
    expect(boundedDetails('a\nb')).toBe('a\\u000ab');
    const long = boundedDetails(`x${'😀'.repeat(10_000)}`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_STATUS_DETAILS_BYTES);
    expect(long.endsWith('…')).toBe(true);
    expect(long).not.toContain('\ufffd');
  });
});
