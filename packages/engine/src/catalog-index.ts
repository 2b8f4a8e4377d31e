/**
 * The lookups the engine needs on every call (volume name -> uuid, thin ids in use, the lowest
 * free thin id, provisioned bytes), kept beside a catalog state and never serialised: built on
 * first use from the volumes, then kept in step by every change reduceCatalog applies through
 * `indexedTable`. A state replaced whole (a reload) gets a new index on first use. The names in
 * order (what a paged list walks) are sorted on the first list only, then kept in step too: a
 * page costs a binary search and the page, not the pool (volumeNamesAfter).
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
  /**
   * The keys of `byName` in code-unit order, once a list asked for them (sortedVolumeNames);
   * undefined until then, so that a pool nobody lists pays nothing on its changes.
   */
  sortedNames: string[] | undefined;
}

type Indexed = CatalogState & { [INDEX]?: CatalogIndex };

/** The index of `state`, built on first use and kept up to date by reduceCatalog. */
export function catalogIndex(state: CatalogState): CatalogIndex {
  const s = state as Indexed;
  if (s[INDEX] === undefined) {
    const index: CatalogIndex = { byName: new Map(), thinIds: new Set(), provisionedBytes: 0, freeThinIdFrom: 0, sortedNames: undefined };
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

/** Code-unit order of two names (what `<` on strings does): the order of every listing. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The index of the first name in `sorted` greater than `after` (sorted.length when none is). */
function firstAfter(sorted: readonly string[], after: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of `name` in `sorted`, or -1. */
function indexOfName(sorted: readonly string[], name: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < name) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo] === name ? lo : -1;
}

/** The committed volumes' names in code-unit order, sorted on first use and kept in step after. */
function sortedVolumeNames(state: CatalogState): string[] {
  const index = catalogIndex(state);
  index.sortedNames ??= [...index.byName.keys()].sort(compareNames);
  return index.sortedNames;
}

/**
 * Up to `limit` committed volume names in code-unit order, the first greater than `afterName`
 * (from the first name when null). Costs O(log n + limit), not the pool: a keyset page. A name
 * unchanged between two calls is in exactly one of the pages a caller walks with the last name
 * of each page as the next `afterName`.
 */
export function volumeNamesAfter(state: CatalogState, afterName: string | null, limit: number): string[] {
  const sorted = sortedVolumeNames(state);
  const from = afterName === null ? 0 : firstAfter(sorted, afterName);
  return sorted.slice(from, from + Math.max(0, limit));
}

/** A VolumeTable over the catalog's volumes that keeps the index in step. */
export function indexedTable(state: CatalogState): VolumeTable {
  const index = catalogIndex(state);
  const volumes = state.volumes;
  /** Takes `old` out of the index; its thin id stays taken when `next` (its new record) keeps it. */
  const dropName = (name: string): void => {
    index.byName.delete(name);
    const sorted = index.sortedNames;
    if (sorted === undefined) return;
    const at = indexOfName(sorted, name);
    if (at >= 0) sorted.splice(at, 1);
  };
  const addName = (name: string, uuid: string): void => {
    const sorted = index.sortedNames;
    if (sorted !== undefined && !index.byName.has(name)) sorted.splice(firstAfter(sorted, name), 0, name);
    index.byName.set(name, uuid);
  };
  const forget = (old: VolumeRecord, next?: VolumeRecord): void => {
    if (index.byName.get(old.name) === old.uuid) dropName(old.name);
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
      addName(v.name, v.uuid);
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
