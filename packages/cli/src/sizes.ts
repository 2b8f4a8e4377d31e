/**
 * Byte sizes as people type them (`64KiB`, `10G`, `1.5GiB`, `4096`) and as the CLI prints them
 * (`10.0 GiB`). Units are binary: K, KiB, k and kib all mean 1024.
 */

/** The largest size the CLI accepts: 2^53 bytes (8 PiB), the largest exact JS integer range. */
export const MAX_SIZE_BYTES = 2 ** 53;

const UNIT_POWERS: Record<string, number> = {
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

/** Options of parseSize. */
export interface ParseSizeOptions {
  /** Accept 0 (default false: a zero size means nothing for any flag the CLI has). */
  readonly allowZero?: boolean;
}

/**
 * Parses a size into bytes. Accepts a whole or decimal number followed by an optional unit: B,
 * K/KiB, M/MiB, G/GiB, T/TiB, P/PiB in any case (all binary). A fraction is allowed only when the
 * result is a whole number of bytes (`1.5KiB` yes, `1.3B` no). Rejects negative sizes, zero
 * unless allowed, decimal units (`GB`: ambiguous) and anything above 2^53. Pure; throws an Error
 * whose message says what is wrong, without naming the flag (the caller does).
 */
export function parseSize(text: string, options: ParseSizeOptions = {}): number {
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) throw new Error(`"${text}" is negative; a size must be more than 0`);
  const match = SIZE.exec(trimmed);
  if (match?.groups === undefined) throw new Error(`"${text}" is not a size (examples: 4096, 64KiB, 10GiB, 1.5T)`);
  const whole = match.groups['whole'] ?? '0';
  const fraction = match.groups['fraction'] ?? '';
  const unit = (match.groups['unit'] ?? '').toLowerCase();
  if (DECIMAL_UNITS.has(unit)) {
    throw new Error(`"${text}": decimal units are ambiguous; use binary ones (${unit[0]?.toUpperCase()}iB = 1024^${UNIT_POWERS[unit[0] ?? '']})`);
  }
  const power = UNIT_POWERS[unit];
  if (power === undefined) throw new Error(`"${text}": unknown unit "${match.groups['unit']}" (use B, KiB, MiB, GiB, TiB or PiB)`);
  const scaled = BigInt(whole + fraction) * 1024n ** BigInt(power);
  const divisor = 10n ** BigInt(fraction.length);
  if (scaled % divisor !== 0n) throw new Error(`"${text}" is not a whole number of bytes`);
  const bytes = scaled / divisor;
  if (bytes > BigInt(MAX_SIZE_BYTES)) throw new Error(`"${text}" is too large (at most 8 PiB)`);
  if (bytes === 0n && options.allowZero !== true) throw new Error(`"${text}" is zero; a size must be more than 0`);
  return Number(bytes);
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

/** `used` as a percentage of `total` with one decimal (`12.5%`); `-` when total is 0. */
export function formatPercent(used: number, total: number): string {
  if (total <= 0) return '-';
  return `${((used * 100) / total).toFixed(1)}%`;
}

/** Whole percent done, rounded down so 100 means finished; 0 when the total is 0. */
export function percentDone(doneBytes: number, totalBytes: number): number {
  if (totalBytes <= 0) return 0;
  return Math.min(100, Math.floor((doneBytes * 100) / totalBytes));
}
