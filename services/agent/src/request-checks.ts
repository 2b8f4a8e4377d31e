/**
 * Checks on request fields, done before any work so a bad request changes nothing. Each
 * failure is a BAD_REQUEST (INVALID_ARGUMENT) whose message and `tf-field` name the field by
 * its proto name (`size_bytes`, `ops[3].name`). Name rules are the engine's own, reworded to
 * name the field.
 */
import { checkPoolName, checkVolumeName, isEngineError } from '@thinfleet/engine';
import { sizeProblem } from '@thinfleet/units';
import { badRequest } from './agent-error.js';

function rename(field: string, check: () => string): string {
  try {
    return check();
  } catch (err) {
    if (isEngineError(err, 'INVALID_NAME')) throw badRequest(field, err.message);
    throw err;
  }
}

/** A pool name in `field`. */
export function poolNameField(field: string, value: unknown): string {
  if (value === '' || value === undefined || value === null) throw badRequest(field, 'required');
  return rename(field, () => checkPoolName(value));
}

/** A volume name in `field`, within pool `pool`. */
export function volumeNameField(field: string, pool: string, value: unknown): string {
  if (value === '' || value === undefined || value === null) throw badRequest(field, 'required');
  return rename(field, () => checkVolumeName(pool, value));
}

/** A byte count in `field` under the size rule of @thinfleet/units: a whole number from 1 (or `min`) to below 8 PiB. */
export function bytesField(field: string, value: unknown, min = 1): number {
  if (value === undefined || value === null) throw badRequest(field, 'required');
  const problem = sizeProblem(value, min);
  if (problem !== null) throw badRequest(field, problem);
  return value as number;
}

/** A byte count that may be absent (proto3 `optional`): undefined when absent. */
export function optionalBytesField(field: string, value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : bytesField(field, value);
}

/** Longest free-text field (an id, a path) by default, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 4096;

/** A non-empty string without control characters (an id, a path), at most `maxBytes` of UTF-8. */
export function textField(field: string, value: unknown, maxBytes = MAX_TEXT_BYTES): string {
  if (typeof value !== 'string' || value.length === 0) throw badRequest(field, 'required');
  if (Buffer.byteLength(value) > maxBytes) throw badRequest(field, `must be at most ${maxBytes} bytes, got ${Buffer.byteLength(value)}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw badRequest(field, 'must not contain control characters');
  return value;
}

/** A whole number in [min, max]. */
export function countField(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw badRequest(field, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}
