/** Sizes as typed (binary units, whole bytes only), the size rule, and sizes as printed. */
import { describe, expect, it } from 'vitest';
import { formatBytes, MAX_SIZE_BYTES, parseSize, SIZE_RULE, sizeProblem } from '../src/index.js';

describe('parseSize', () => {
  it.each([
    ['4096', 4096],
    ['512B', 512],
    ['64KiB', 65536],
    ['64k', 65536],
    ['64K', 65536],
    ['1kib', 1024],
    ['512M', 512 * 2 ** 20],
    ['10GiB', 10 * 2 ** 30],
    ['10 GiB', 10 * 2 ** 30],
    ['10g', 10 * 2 ** 30],
    ['2T', 2 * 2 ** 40],
    ['1TiB', 2 ** 40],
    ['1PiB', 2 ** 50],
    ['8191.75TiB', 2 ** 53 - 2 ** 38],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['0.5K', 512],
    ['1.25KiB', 1280],
    ['007', 7],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    ['-1', /negative/],
    ['-10GiB', /negative/],
    ['0', /zero/],
    ['0GiB', /zero/],
    ['1.3B', /whole number of bytes/],
    ['0.1K', /whole number of bytes/],
    ['8.0000001PiB', /too large|whole number/],
    ['9PiB', /too large/],
    ['8PiB', /too large: sizes must be below 8 PiB/],
    ['10GB', /decimal units are ambiguous.*GiB/],
    ['10mb', /decimal units are ambiguous.*MiB/],
    ['10XiB', /unknown unit "XiB"/],
    ['', /not a size/],
    ['GiB', /not a size/],
    ['1e6', /not a size/],
    ['1,5G', /not a size/],
    ['.5G', /not a size/],
  ])('rejects %j', (text, message) => {
    expect(() => parseSize(text)).toThrow(message);
  });

  it('accepts zero only when asked to', () => {
    expect(parseSize('0', { allowZero: true })).toBe(0);
  });

  it('stops below 2^53 bytes (8 PiB), the largest exact integer the API carries', () => {
    expect(MAX_SIZE_BYTES).toBe(2 ** 53 - 1);
    expect(parseSize(String(2 ** 53 - 1))).toBe(2 ** 53 - 1);
    expect(() => parseSize(String(2 ** 53))).toThrow(/too large/);
  });

  it('quotes at most a short prefix of what it rejects', () => {
    const long = `${'9'.repeat(5000)}!`;
    let message = '';
    try {
      parseSize(long);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/not a size/);
    expect(message.length).toBeLessThan(120);
  });
});

describe('sizeProblem (the size rule for byte counts on the wire)', () => {
  it.each([
    [1, null],
    [1000, null],
    [2 ** 53 - 1, null],
    [0, /at least 1 byte/],
    [-512, /at least 1 byte/],
    [2 ** 53, /below 8 PiB/],
    [1.5, /whole number/],
    ['4096', /whole number/],
  ])('%j: %s', (value, problem) => {
    const got = sizeProblem(value);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toMatch(problem);
  });

  it('names a larger minimum in units', () => {
    expect(sizeProblem(4096, 65536)).toBe('must be at least 64.0 KiB');
  });

  it('is stated once, in words the CLI help and the docs repeat', () => {
    expect(SIZE_RULE).toMatch(/whole number of bytes from 1 B to below 8 PiB/);
    expect(SIZE_RULE).toMatch(/rounded up to its pool's data block size/);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 2 ** 30, '10.0 GiB'],
    [1.2 * 2 ** 30, '1.2 GiB'],
    [2 ** 20 - 1, '1.0 MiB'],
    [2 ** 53, '8.0 PiB'],
    [2 ** 60, '1024.0 PiB'],
  ])('%d is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('round-trips its own output for whole units', () => {
    for (const text of ['1.0 KiB', '10.0 GiB', '3.0 TiB']) expect(formatBytes(parseSize(text))).toBe(text);
  });
});
