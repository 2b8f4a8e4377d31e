/** The kernel's thin device ids are 24-bit: 0 .. 2^24 - 1. */
export const MAX_THIN_ID = 0xff_ffff;

declare const thinIdBrand: unique symbol;

/** A thin device id inside a pool, checked to fit the kernel's 24 bits. */
export type ThinId = number & { readonly [thinIdBrand]: true };

/**
 * Checks and brands a thin device id.
 * @throws RangeError when `value` is not an integer in 0 .. 2^24 - 1.
 */
export function thinId(value: number): ThinId {
  if (!Number.isInteger(value) || value < 0 || value > MAX_THIN_ID) {
    throw new RangeError(`thin id ${value} is outside 0..${MAX_THIN_ID} (24 bits)`);
  }
  return value as ThinId;
}

/** True when `value` is a valid 24-bit thin id. */
export function isThinId(value: unknown): value is ThinId {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_THIN_ID;
}
