/** Shared fixtures for the catalog tests: a small key/value state, its records and reducer. */
import { catalogAreaBytes, isCatalogError, MemoryCatalogDevice, type CatalogErrorCode, type CatalogLayout, type CatalogStoreOptions } from '@thinfleet/catalog';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface KvState {
  entries: Record<string, { n: number; text: string }>;
  applied: number;
  order: number[];
}

export type KvRecord = { op: 'put'; key: string; n: number; text: string } | { op: 'del'; key: string };

export function emptyState(): KvState {
  return { entries: {}, applied: 0, order: [] };
}

/** Mutates and returns `state`, as the store allows. */
export function reduceKv(state: KvState, record: KvRecord): KvState {
  if (record.op === 'put') {
    state.entries[record.key] = { n: record.n, text: record.text };
    state.order.push(record.n);
  } else {
    delete state.entries[record.key];
  }
  state.applied += 1;
  return state;
}

/** A record whose text is `textBytes` of ASCII that deflate cannot shrink much (checkpoints are deflated), the same for the same arguments. */
export function put(n: number, textBytes = 10): KvRecord {
  return { op: 'put', key: `k${n % 7}`, n, text: noise(n, textBytes) };
}

const NOISE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** `length` characters of seeded noise (about 6 bits of entropy per byte). */
export function noise(seed: number, length: number): string {
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += NOISE_ALPHABET[x & 63];
  }
  return out;
}

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The state after applying `records` to a copy of `state`. */
export function applied(state: KvState, ...records: KvRecord[]): KvState {
  return records.reduce(reduceKv, clone(state));
}

export function layout(slotKiB = 64, journalKiB = 64, offsetBytes = 4096): CatalogLayout {
  return { offsetBytes, slotBytes: slotKiB * KiB, journalBytes: journalKiB * KiB };
}

/** A memory device just big enough for the label and `l`'s catalog area. */
export function deviceFor(l: CatalogLayout): MemoryCatalogDevice {
  return new MemoryCatalogDevice(l.offsetBytes + catalogAreaBytes(l));
}

export function optionsFor(device: MemoryCatalogDevice, l: CatalogLayout, checkpointEveryRecords?: number): CatalogStoreOptions<KvState, KvRecord> {
  return { device, layout: l, reduce: reduceKv, ...(checkpointEveryRecords === undefined ? {} : { checkpointEveryRecords }) };
}

/** A new memory device with the same contents (no faults armed). */
export function cloneDevice(device: MemoryCatalogDevice): MemoryCatalogDevice {
  const copy = new MemoryCatalogDevice(device.sizeBytes);
  copy.poke(0, device.peek(0, device.sizeBytes));
  return copy;
}

export { rng as prng } from '../../../test/support/seeded.mjs';

/** The CatalogError code `fn` throws, 'none' when it returns, 'other' for any other error. */
export function codeOf(fn: () => unknown): CatalogErrorCode | 'none' | 'other' {
  try {
    fn();
    return 'none';
  } catch (err) {
    return isCatalogError(err) ? err.code : 'other';
  }
}
