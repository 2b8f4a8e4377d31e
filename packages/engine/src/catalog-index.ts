/**
 * The lookups the engine needs on every call (volume name -> uuid, thin ids in use, the lowest
 * free thin id, provisioned bytes), kept beside a catalog state and never serialised: built on
 * first use from the volumes, then kept in step by every change reduceCatalog applies through
 * `indexedTable`. A state replaced whole (a reload) gets a new index on first use.
 */
import type { CatalogState, VolumeRecord, VolumeTable } from './catalog-state.js';

const INDEX = Symbol('catalog index');

/** Lookups the engine needs on every call, kept beside the state (never serialised). */
export interface CatalogIndex {
  /** Volume name -> uuid. */
  readonly byName: Map<string, string>;
  /** Thin ids of committed volumes. */
  readonly thinIds: Set<number>;
  /** The sum of the committed volumes' sizes in bytes (what the pool promises; capacity.ts). */
  provisionedBytes: number;
  /** Every thin id below this one is in `thinIds`: where the search for the lowest free id starts. */
  freeThinIdFrom: number;
}

type Indexed = CatalogState & { [INDEX]?: CatalogIndex };

/** The index of `state`, built on first use and kept up to date by reduceCatalog. */
export function catalogIndex(state: CatalogState): CatalogIndex {
  const s = state as Indexed;
  if (s[INDEX] === undefined) {
    const index: CatalogIndex = { byName: new Map(), thinIds: new Set(), provisionedBytes: 0, freeThinIdFrom: 0 };
    for (const v of Object.values(state.volumes)) {
      index.byName.set(v.name, v.uuid);
      index.thinIds.add(v.thinId);
      index.provisionedBytes += v.sizeBytes;
    }
    while (index.thinIds.has(index.freeThinIdFrom)) index.freeThinIdFrom++;
    Object.defineProperty(s, INDEX, { value: index, enumerable: false });
  }
  return s[INDEX]!;
}

/** A VolumeTable over the catalog's volumes that keeps the index in step. */
export function indexedTable(state: CatalogState): VolumeTable {
  const index = catalogIndex(state);
  const volumes = state.volumes;
  /** Takes `old` out of the index; its thin id stays taken when `next` (its new record) keeps it. */
  const forget = (old: VolumeRecord, next?: VolumeRecord): void => {
    if (index.byName.get(old.name) === old.uuid) index.byName.delete(old.name);
    if (next?.thinId !== old.thinId) {
      index.thinIds.delete(old.thinId);
      index.freeThinIdFrom = Math.min(index.freeThinIdFrom, old.thinId);
    }
    index.provisionedBytes -= old.sizeBytes;
  };
  return {
    get: (uuid) => volumes[uuid],
    set: (v) => {
      const old = volumes[v.uuid];
      if (old) forget(old, v);
      volumes[v.uuid] = v;
      index.byName.set(v.name, v.uuid);
      index.thinIds.add(v.thinId);
      while (index.thinIds.has(index.freeThinIdFrom)) index.freeThinIdFrom++;
      index.provisionedBytes += v.sizeBytes;
    },
    delete: (uuid) => {
      const old = volumes[uuid];
      if (!old) return;
      forget(old);
      delete volumes[uuid];
    },
  };
}
