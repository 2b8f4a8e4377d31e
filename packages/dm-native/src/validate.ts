/**
 * Argument checks shared by every call. Each throws a TypeError (wrong type) or RangeError
 * (right type, bad value) whose message names the function and the argument; the callers are
 * async, so these become rejections before anything reaches the addon.
 */
import { constants as bufferConstants } from 'node:buffer';

/** Longest device-mapper name in bytes: DM_NAME_LEN (128) less its NUL. */
export const DM_NAME_MAX_BYTES = 127;
/** Longest device-mapper uuid in bytes: DM_UUID_LEN (129) less its NUL. */
export const DM_UUID_MAX_BYTES = 128;
/** Longest target type name in bytes: DM_MAX_TYPE_NAME (16) less its NUL. */
export const DM_TARGET_TYPE_MAX_BYTES = 15;
/** Bytes per sector, and the alignment of every block I/O offset and length. */
export const SECTOR_BYTES = 512;
/** Largest major and minor the kernel's 32-bit dev_t holds (12 and 20 bits). */
export const MAX_MAJOR = 0xfff;
export const MAX_MINOR = 0xfffff;
const UINT32_MAX = 0xffffffff;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `string ${JSON.stringify(value)}` : typeof value;
}

function typeError(fn: string, arg: string, expected: string, value: unknown): TypeError {
  return new TypeError(`${fn}: ${arg} must be ${expected}, got ${describe(value)}`);
}

/** A string without NUL, optionally non-empty and at most `maxBytes` UTF-8 bytes. */
export function checkString(fn: string, arg: string, value: unknown, limits: { nonEmpty?: boolean; maxBytes?: number } = {}): string {
  if (typeof value !== 'string') throw typeError(fn, arg, 'a string', value);
  if (limits.nonEmpty && value.length === 0) throw new RangeError(`${fn}: ${arg} must not be empty`);
  if (value.includes('\0')) throw new RangeError(`${fn}: ${arg} must not contain NUL characters`);
  if (limits.maxBytes !== undefined) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > limits.maxBytes) {
      throw new RangeError(`${fn}: ${arg} must be at most ${limits.maxBytes} bytes, got ${bytes}`);
    }
  }
  return value;
}

/** A device-mapper name: 1..127 UTF-8 bytes, no NUL. */
export function checkName(fn: string, name: unknown): string {
  return checkString(fn, 'name', name, { nonEmpty: true, maxBytes: DM_NAME_MAX_BYTES });
}

/** A file or device path: non-empty, no NUL. */
export function checkPath(fn: string, arg: string, value: unknown): string {
  return checkString(fn, arg, value, { nonEmpty: true });
}

/** A non-negative safe integer no larger than `max`. */
export function checkUint(fn: string, arg: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw typeError(fn, arg, 'a number', value);
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${fn}: ${arg} must be an integer from 0 to ${max}, got ${value}`);
  }
  return value;
}

/** A 32-bit unsigned integer. */
export function checkUint32(fn: string, arg: string, value: unknown): number {
  return checkUint(fn, arg, value, UINT32_MAX);
}

/** A byte offset: a non-negative safe integer, multiple of 512. */
export function checkOffsetBytes(fn: string, arg: string, value: unknown): number {
  const bytes = checkUint(fn, arg, value);
  if (bytes % SECTOR_BYTES !== 0) {
    throw new RangeError(`${fn}: ${arg} must be a multiple of ${SECTOR_BYTES}, got ${bytes}`);
  }
  return bytes;
}

/** A byte length: a positive safe integer, multiple of 512, at most `max`. */
export function checkLengthBytes(fn: string, arg: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  const bytes = checkUint(fn, arg, value, max);
  if (bytes === 0 || bytes % SECTOR_BYTES !== 0) {
    throw new RangeError(`${fn}: ${arg} must be a positive multiple of ${SECTOR_BYTES}, got ${bytes}`);
  }
  return bytes;
}

/** The largest Buffer this Node can make, the limit of one blockRead. */
export const MAX_READ_BYTES = Math.floor(bufferConstants.MAX_LENGTH / SECTOR_BYTES) * SECTOR_BYTES;

/** An options bag: undefined or a plain object. */
export function checkOptions(fn: string, options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw typeError(fn, 'options', 'an object', options);
  }
  return options as Record<string, unknown>;
}

/** An optional boolean flag of an options bag; false when absent. */
export function checkFlag(fn: string, options: Record<string, unknown>, key: string): boolean {
  const value = options[key];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw typeError(fn, `options.${key}`, 'a boolean', value);
  return value;
}
