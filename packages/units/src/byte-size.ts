/**
 * Byte sizes: the one rule every size in thinfleet's API follows, how people type them
 * (`64KiB`, `10G`, `1.5GiB`, `4096`) and how messages and the CLI print them (`10.0 GiB`).
 * Units are binary: K, KiB, k and kib all mean 1024.
 *
 * The rule, stated once (SIZE_RULE): a size is a whole number of bytes, at least 1 and below
 * 8 PiB (2^53, the largest exact integer of JavaScript and so of the API's JSON and protobuf
 * numbers). A volume's size is rounded up to its pool's data block size, and a pool refuses a
 * volume beyond its own limit (1 PiB unless the pool was made with another). The CLI checks the
 * first part before it sends anything; the agent checks it again, then the pool the rest.
 */

/** The largest size anything in thinfleet accepts: 2^53 - 1 bytes (just below 8 PiB). */
export const MAX_SIZE_BYTES = Number.MAX_SAFE_INTEGER;

/** The size rule in one sentence, for help texts and messages. */
export const SIZE_RULE =
  'a size is a whole number of bytes from 1 B to below 8 PiB, with an optional binary unit (B, KiB, MiB, GiB, TiB, PiB; K, M, G, T, P mean the same); ' +
  "a volume's size is rounded up to its pool's data block size";

const UNIT_POWERS: Readonly<Record<string, number>> = {
  '': 0,
  b: 0,
  k: 1,
  kib: 1,
  m: 2,
  mib: 2,
  g: 3,
  gib: 3,
  t: 4,
  tib: 4,
  p: 5,
  pib: 5,
};

const DECIMAL_UNITS = new Set(['kb', 'mb', 'gb', 'tb', 'pb']);

const SIZE = /^(?<whole>\d+)(?:\.(?<fraction>\d+))?\s*(?<unit>[A-Za-z]*)$/;

/** At most this many characters of a rejected text are quoted back in a message. */
const QUOTE_CHARS = 32;

/** `text` in quotes, cut to a short prefix: a message never repeats an unbounded input. */
function quoted(text: string): string {
  return JSON.stringify(text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text);
}

/** Options of parseSize. */
export interface ParseSizeOptions {
  /** Accept 0 (default false: a zero size means nothing for any flag the CLI has). */
  readonly allowZero?: boolean;
}

/**
 * Parses a size into bytes. Accepts a whole or decimal number followed by an optional unit: B,
 * K/KiB, M/MiB, G/GiB, T/TiB, P/PiB in any case (all binary). A fraction is allowed only when the
 * result is a whole number of bytes (`1.5KiB` yes, `1.3B` no). Rejects negative sizes, zero
 * unless allowed, decimal units (`GB`: ambiguous) and anything from 8 PiB (2^53 bytes) up, as
 * SIZE_RULE says. Pure; throws an Error whose message says what is wrong, without naming the
 * flag (the caller does) and quoting at most a short prefix of `text`.
 */
export function parseSize(text: string, options: ParseSizeOptions = {}): number {
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) throw new Error(`${quoted(text)} is negative; a size must be more than 0`);
  const match = SIZE.exec(trimmed);
  if (match?.groups === undefined) throw new Error(`${quoted(text)} is not a size (examples: 4096, 64KiB, 10GiB, 1.5T)`);
  const whole = match.groups['whole'] ?? '0';
  const fraction = match.groups['fraction'] ?? '';
  const unit = (match.groups['unit'] ?? '').toLowerCase();
  if (DECIMAL_UNITS.has(unit)) {
    throw new Error(`${quoted(text)}: decimal units are ambiguous; use binary ones (${unit[0]?.toUpperCase()}iB = 1024^${UNIT_POWERS[unit[0] ?? '']})`);
  }
  const power = UNIT_POWERS[unit];
  if (power === undefined) throw new Error(`${quoted(text)}: unknown unit ${quoted(match.groups['unit'] ?? '')} (use B, KiB, MiB, GiB, TiB or PiB)`);
  const scaled = BigInt(whole + fraction) * 1024n ** BigInt(power);
  const divisor = 10n ** BigInt(fraction.length);
  if (scaled % divisor !== 0n) throw new Error(`${quoted(text)} is not a whole number of bytes`);
  const bytes = scaled / divisor;
  if (bytes > BigInt(MAX_SIZE_BYTES)) throw new Error(`${quoted(text)} is too large: sizes must be below 8 PiB`);
  if (bytes === 0n && options.allowZero !== true) throw new Error(`${quoted(text)} is zero; a size must be more than 0`);
  return Number(bytes);
}

/**
 * Checks a byte count against SIZE_RULE (a whole number from 1, or `minBytes`, to MAX_SIZE_BYTES)
 * and returns what is wrong with it, or null. Pure.
 */
export function sizeProblem(value: unknown, minBytes = 1): string | null {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value > MAX_SIZE_BYTES) return 'must be a whole number of bytes below 8 PiB';
  if (value < minBytes) return minBytes === 1 ? 'must be at least 1 byte' : `must be at least ${formatBytes(minBytes)}`;
  return null;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * A byte count for people: bytes below 1 KiB (`512 B`), otherwise one decimal in the largest
 * binary unit that keeps the number at least 1 (`10.0 GiB`, `1.5 KiB`).
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let unit = 0;
  let value = bytes;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  let text = value.toFixed(1);
  if (text === '1024.0' && unit < UNITS.length - 1) {
    unit += 1;
    text = (value / 1024).toFixed(1);
  }
  return `${text} ${UNITS[unit]}`;
}
