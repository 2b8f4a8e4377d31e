/**
 * A pool's capacity as the catalog sees it: how many bytes its volumes promise (the sum of their
 * virtual sizes, LVM's "provisioned" size) against the bytes its data region holds, and the
 * overprovisioning warning LVM users rely on ("Sum of all thin volume sizes exceeds the size of
 * thin pool"). Functions of the catalog state (and its index); nothing here reads the kernel.
 */
import { catalogIndex, type CatalogState } from './catalog-state.js';

/** What a pool promises against what it holds. */
export interface PoolCapacity {
  /** Sum of the virtual sizes of every volume in the catalog, in bytes. */
  readonly provisionedBytes: number;
  /** Size of the pool's data region, in bytes (data blocks times the block size). */
  readonly dataBytes: number;
}

/** A change took the pool's provisioned size beyond the configured share of its data size. */
export interface OverprovisionWarning {
  /** Provisioned bytes after the change. */
  readonly provisionedBytes: number;
  /** The pool's data size in bytes. */
  readonly dataBytes: number;
  /** The configured limit: provisioned bytes may be at most this times the data bytes without a warning. */
  readonly ratioLimit: number;
  /** provisionedBytes / dataBytes. */
  readonly ratio: number;
  /** One line for a person. */
  readonly message: string;
}

/** The capacity of the pool whose catalog state is `state` (its provisioned bytes kept by the catalog's index: no walk over the volumes). */
export function poolCapacity(state: CatalogState): PoolCapacity {
  const layout = state.pool.layout;
  return { provisionedBytes: catalogIndex(state).provisionedBytes, dataBytes: layout.dataBlocks * layout.dataBlockBytes };
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Bytes with a binary unit and one decimal: `2.0 GiB` (bytes below 1 KiB as `512 B`). */
export function humanBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/**
 * The warning for a change that took a pool from `before` to `after`, or null. A warning is
 * given when the change added provisioned bytes (a create, snapshot, grow or revision) and the
 * pool now promises more than `ratioLimit` times its data bytes. A change that adds nothing
 * (a delete, a rename) never warns, so removing volumes from an overprovisioned pool stays
 * quiet. `ratioLimit` null disables the warning. Pure; never throws.
 */
export function overprovisionWarning(pool: string, before: PoolCapacity, after: PoolCapacity, ratioLimit: number | null): OverprovisionWarning | null {
  if (ratioLimit === null || after.provisionedBytes <= before.provisionedBytes) return null;
  if (after.provisionedBytes <= ratioLimit * after.dataBytes) return null;
  const ratio = after.dataBytes === 0 ? Number.POSITIVE_INFINITY : after.provisionedBytes / after.dataBytes;
  return {
    provisionedBytes: after.provisionedBytes,
    dataBytes: after.dataBytes,
    ratioLimit,
    ratio,
    message:
      `pool ${pool} is overprovisioned: its volumes total ${humanBytes(after.provisionedBytes)}, ` +
      `${ratio.toFixed(1)} times its ${humanBytes(after.dataBytes)} of data space (warning above ${ratioLimit} times); ` +
      `writes fail or queue once the data space is full: watch its usage (thinfleet pool watch ${pool}) or extend it (thinfleet pool extend ${pool} --device PATH)`,
  };
}
