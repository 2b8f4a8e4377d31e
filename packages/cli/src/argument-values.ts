/**
 * Values the commands read out of their arguments and flags: a volume named `POOL/NAME`, and a
 * whole number in a range. Each mistake is a UsageError naming the argument or flag.
 */
import { fieldError } from './usage-error.js';

/** A volume named as `POOL/NAME`. */
export interface VolumeRef {
  readonly pool: string;
  readonly name: string;
}

/**
 * Splits `POOL/NAME` at its first slash. Anything after that slash is the volume name, passed to
 * the agent as it is (the agent, not the CLI, decides which names are valid). Throws a
 * UsageError when there is no slash or either side is empty; `hint`, when given, follows the
 * message in brackets for a text without a slash.
 */
export function parseVolumeRef(text: string, label = 'POOL/NAME', hint?: string): VolumeRef {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    const note = hint !== undefined && slash === -1 ? ` (${hint})` : '';
    throw fieldError(label, `expected ${label}, got "${text}"${note}`);
  }
  return { pool: text.slice(0, slash), name: text.slice(slash + 1) };
}

/**
 * A whole number from a flag, at least `min` and at most `max`. Throws a UsageError naming the
 * flag otherwise.
 */
export function parseCount(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw fieldError(flag, `"${text}" is not a whole number`);
  const value = Number(text.trim());
  if (value < min || value > max) throw fieldError(flag, `${value} is out of range ${min}-${max}`);
  return value;
}
