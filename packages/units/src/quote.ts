/**
 * The one way thinfleet repeats a caller's value in a message: quoted, with at most a short
 * prefix of it. A bad value can be megabytes long; messages end up in gRPC status trailers and
 * log lines, where an unbounded value blocks the status (see @thinfleet/proto trailer-values.ts)
 * or floods the log.
 */

/** Characters of a value a message repeats. */
export const QUOTED_PREFIX_CHARS = 80;

/**
 * `value` as a message shows it: a JSON string of at most QUOTED_PREFIX_CHARS characters
 * (control characters escaped), followed by `… (N characters)` when it was longer. Non-strings
 * are shown by `String(value)`, bounded the same way.
 * @example quoted('a'.repeat(200000)) // '"aaaa…aaa"… (200000 characters)'
 */
export function quoted(value: unknown, maxChars: number = QUOTED_PREFIX_CHARS): string {
  const text = typeof value === 'string' ? value : String(value);
  const chars = [...text];
  if (chars.length <= maxChars) return JSON.stringify(text);
  return `${JSON.stringify(chars.slice(0, maxChars).join(''))}… (${chars.length} characters)`;
}
