import { DmError } from '../dm-error.js';

/** The fields @thinfleet/dm-native puts on its errors. */
interface NativeErrorFields {
  code?: unknown;
  operation?: unknown;
  device?: unknown;
  message?: unknown;
}

/**
 * Runs a binding call and turns its failures into DmError, keeping errno, ioctl, device and the
 * original error as `cause`. Argument errors (TypeError, RangeError) pass through unchanged.
 */
export async function callNative<T>(operation: string, device: string | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw err;
    const fields = (err ?? {}) as NativeErrorFields;
    const code = typeof fields.code === 'string' ? fields.code : 'EIO';
    const op = typeof fields.operation === 'string' ? fields.operation : operation;
    const dev = typeof fields.device === 'string' ? fields.device : device;
    throw new DmError(code, op, dev, typeof fields.message === 'string' ? fields.message : undefined, { cause: err });
  }
}
