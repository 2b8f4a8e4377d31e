/**
 * The reducer that applies the records of a pool's catalog (their shapes are in catalog-records.ts).
 * The catalog store (@thinfleet/catalog) keeps the state as JSON, so every field is plain data
 * and 64-bit transaction ids are decimal strings.
 *
 * Records:
 * - `intent {tx, ops}`: a transaction is about to change the kernel; becomes `pending`.
 * - `commit {tx}`: the kernel's transaction id is now `tx`; the pending ops are applied.
 * - `abort {tx}`: the pending transaction was rolled back; nothing is applied.
 * The reducer never throws for records the engine built, and it is deterministic, so replaying
 * the journal after a restart gives the state the running engine had.
 */
import { catalogIndex, indexedTable } from './catalog-index.js';
import { CATALOG_STATE_FORMAT, MAX_JOB_OWNERS } from './catalog-records.js';
import type { CatalogRecord, CatalogState, JobOwner, NoSpaceMode, PlannedOp, PoolRecord, VolumeRecord } from './catalog-records.js';
import type { DeviceExtent } from './layout.js';

export { catalogIndex, compareNames, volumeNamesAfter, type CatalogIndex } from './catalog-index.js';
export * from './catalog-records.js';

/**
 * The newest token recorded for job `jobId` in lock space `clusterId` (0 when none, or when the
 * recorded owner belongs to another lock space: its token does not outrank this one's). Pure.
 */
export function jobOwnerToken(state: CatalogState, jobId: string, clusterId = ''): bigint {
  const token = state.jobOwners?.[jobId];
  if (token === undefined || (state.jobOwnerClusters?.[jobId] ?? '') !== clusterId) return 0n;
  return BigInt(token);
}

/**
 * Records `owner` in `state.jobOwners` (within one lock space the newer token wins; an owner of
 * another lock space replaces the entry), dropping the oldest beyond MAX_JOB_OWNERS. Mutates `state`.
 */
function recordJobOwner(state: CatalogState, owner: JobOwner): void {
  const owners = (state.jobOwners ??= {});
  const clusters = (state.jobOwnerClusters ??= {});
  const clusterId = owner.clusterId ?? '';
  const known = owners[owner.jobId];
  if (known !== undefined && (clusters[owner.jobId] ?? '') === clusterId && BigInt(known) >= BigInt(owner.token)) return;
  owners[owner.jobId] = owner.token;
  if (clusterId === '') delete clusters[owner.jobId];
  else clusters[owner.jobId] = clusterId;
  const ids = Object.keys(owners);
  if (ids.length <= MAX_JOB_OWNERS) return;
  ids.sort((a, b) => {
    const d = BigInt(owners[a]!) - BigInt(owners[b]!);
    return d < 0n ? -1 : d > 0n ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
  for (const id of ids.slice(0, ids.length - MAX_JOB_OWNERS)) {
    delete owners[id];
    delete clusters[id];
  }
}

/** The state of a new pool's catalog. */
export function initialCatalogState(pool: PoolRecord): CatalogState {
  return { format: CATALOG_STATE_FORMAT, pool, committedTx: '0', volumes: {}, pending: null };
}

/** The kernel messages an intent sends, in the order they are sent: creates first, then deletes. */
export interface KernelEffects {
  /** [new id, origin id or null for create_thin], in order. */
  readonly creates: ReadonlyArray<readonly [number, number | null]>;
  readonly deletes: readonly number[];
}

/** The kernel messages of `ops`: every create and snapshot in op order, then every delete. */
export function kernelEffects(ops: readonly PlannedOp[]): KernelEffects {
  const creates: Array<[number, number | null]> = [];
  const deletes: number[] = [];
  for (const op of ops) {
    switch (op.kind) {
      case 'create':
        creates.push([op.volume.thinId, null]);
        break;
      case 'snapshot':
        creates.push([op.volume.thinId, op.originThinId]);
        break;
      case 'revert':
        creates.push([op.newThinId, op.fromThinId]);
        deletes.push(op.oldThinId);
        break;
      case 'delete':
      case 'purge':
        deletes.push(op.thinId);
        break;
      default:
        break;
    }
  }
  return { creates, deletes };
}

/** Where ops are applied: the catalog's volumes, or a planner's overlay of them. */
export interface VolumeTable {
  get(uuid: string): VolumeRecord | undefined;
  set(volume: VolumeRecord): void;
  delete(uuid: string): void;
}

/** Applies one op to `table`. Links to deleted volumes are left for the caller to clear. */
export function applyOp(table: VolumeTable, op: PlannedOp): void {
  switch (op.kind) {
    case 'create':
      table.set(op.volume);
      return;
    case 'snapshot': {
      table.set(op.volume);
      const parent = op.volume.revisionOf === null ? undefined : table.get(op.volume.revisionOf);
      // A revision whose number skipped taken names counts every number up to its own.
      if (parent) table.set({ ...parent, revisionsMade: Math.max(parent.revisionsMade + 1, op.volume.revision ?? 0) });
      return;
    }
    case 'delete':
    case 'forget':
      table.delete(op.uuid);
      return;
    case 'rename':
    case 'grow':
    case 'revert':
    case 'pin':
    case 'mark-delete':
    case 'mark-job':
    case 'detach-origin': {
      const v = table.get(op.uuid);
      if (!v) return;
      if (op.kind === 'rename') table.set({ ...v, name: op.name });
      else if (op.kind === 'grow') table.set({ ...v, sizeBytes: op.sizeBytes });
      else if (op.kind === 'pin') table.set({ ...v, pinned: op.pinned });
      else if (op.kind === 'mark-delete') table.set({ ...v, deleting: op.mark });
      else if (op.kind === 'mark-job') table.set({ ...v, job: op.mark });
      else if (op.kind === 'detach-origin') table.set({ ...v, externalOrigin: null });
      else table.set({ ...v, thinId: op.newThinId, sizeBytes: op.sizeBytes, externalOrigin: op.externalOrigin });
      return;
    }
    case 'purge':
      return;
  }
}

/** Applies `ops` to the state's volumes in order, then clears links to volumes they deleted. */
export function applyOps(state: CatalogState, ops: readonly PlannedOp[]): void {
  const table = indexedTable(state);
  for (const op of ops) {
    applyOp(table, op);
    if ((op.kind === 'mark-delete' || op.kind === 'mark-job') && op.owner !== undefined) recordJobOwner(state, op.owner);
  }
  const gone = new Set(ops.flatMap((op) => (op.kind === 'delete' || op.kind === 'forget' ? [op.uuid] : [])));
  if (gone.size === 0) return;
  for (const v of Object.values(state.volumes)) {
    const origin = v.originUuid !== null && gone.has(v.originUuid);
    const revision = v.revisionOf !== null && gone.has(v.revisionOf);
    if (origin || revision) {
      table.set({ ...v, originUuid: origin ? null : v.originUuid, revisionOf: revision ? null : v.revisionOf });
    }
  }
}

/**
 * The catalog's reducer: mutates and returns `state`. A commit or abort whose tx is not the
 * pending one is ignored (it cannot be produced by the engine; ignoring keeps replay total).
 */
export function reduceCatalog(state: CatalogState, record: CatalogRecord): CatalogState {
  switch (record.t) {
    case 'intent':
      state.pending = record.intent;
      return state;
    case 'commit':
      if (state.pending?.tx !== record.tx) return state;
      applyOps(state, state.pending.ops);
      state.committedTx = record.tx;
      state.pending = null;
      return state;
    case 'abort':
      if (state.pending?.tx === record.tx) state.pending = null;
      return state;
    case 'extend':
      (state as { pool: PoolRecord }).pool = extendedPool(state.pool, record.extent, record.deviceSizeBytes, record.lowWaterMarkBlocks);
      return state;
    case 'pool-settings':
      (state as { pool: PoolRecord }).pool = { ...state.pool, noSpaceMode: record.noSpaceMode };
      return state;
    default:
      // A record of a newer engine: refusing is safer than ignoring what it changed.
      throw new Error(`catalog record of unknown type ${JSON.stringify((record as { t?: unknown }).t)}: written by a newer thinfleet`);
  }
}

/** `pool` with `extent` appended to its data region. Pure. */
export function extendedPool(pool: PoolRecord, extent: DeviceExtent, deviceSizeBytes: number, lowWaterMarkBlocks: number): PoolRecord {
  const layout = pool.layout;
  const sizes = [...pool.deviceSizesBytes];
  if (extent.deviceIndex >= sizes.length) sizes[extent.deviceIndex] = deviceSizeBytes;
  return {
    ...pool,
    deviceSizesBytes: sizes,
    lowWaterMarkBlocks,
    layout: { ...layout, data: [...layout.data, extent], dataBlocks: layout.dataBlocks + extent.lengthBytes / layout.dataBlockBytes },
  };
}

/** The pool's no-space mode (queue for catalogs that predate the setting). */
export function noSpaceModeOf(pool: PoolRecord): NoSpaceMode {
  return pool.noSpaceMode ?? 'queue';
}

/** Thin ids that committed volumes or the pending intent use. */
export function thinIdsInUse(state: CatalogState): ReadonlySet<number> {
  const committed = catalogIndex(state).thinIds;
  if (state.pending === null) return committed;
  const ids = new Set(committed);
  for (const [id] of kernelEffects(state.pending.ops).creates) ids.add(id);
  return ids;
}
