/**
 * The kernel's view of an active pool against its catalog: reading the kernel's thin ids and
 * usage through a metadata snapshot, comparing them with the catalog's volumes (reconcile), and
 * the transaction that makes them agree (repair). The kernel metadata is only read here.
 */
import { readLivePoolMetadata, type ThinMetadataSummary } from '@thinfleet/devmapper';
import type { PlannedOp } from './catalog-state.js';
import type { PoolCore } from './pool-core.js';
import { executeTransaction, type NeedsRecovery } from './pool-transaction.js';
import { activeVolumeDevices, requireNotOpen } from './pool-volume-devices.js';

/** What reconcile found. */
export interface ReconcileReport {
  readonly kernelTx: string;
  readonly catalogTx: string;
  /** Thin ids the kernel has and no volume names. */
  readonly unknownToCatalog: ReadonlyArray<{ readonly thinId: number; readonly mappedBytes: number }>;
  /** Volumes whose thin id the kernel lacks. */
  readonly missingInKernel: ReadonlyArray<{ readonly name: string; readonly uuid: string; readonly thinId: number }>;
  readonly consistent: boolean;
}

/**
 * The kernel's thin ids and their usage, from one metadata snapshot that is reserved and
 * released around the read (readLivePoolMetadata).
 * @throws DmError EBUSY when a metadata snapshot is already held
 */
export function readPoolUsage(core: PoolCore): Promise<ThinMetadataSummary> {
  return readLivePoolMetadata(core.dm, core.block, core.names.pool, core.dm.devicePath(core.names.meta));
}

/**
 * A crash between reserve_metadata_snap and its release leaves the pool's one metadata
 * snapshot held, and every later read of the kernel's ids would fail EBUSY. Whoever activates
 * the pool owns it, so a snapshot held at activation is stale and is released. Idempotent.
 */
export async function releaseStaleMetadataSnapshot(core: PoolCore): Promise<void> {
  const status = await core.control.status({ noFlush: true });
  if (status.heldMetadataRoot === null) return;
  core.logger.warn({ heldRoot: status.heldMetadataRoot }, 'releasing a metadata snapshot a crash left held');
  await core.control.releaseMetadataSnap();
}

/** Compares the kernel's thin ids (from a metadata snapshot) with the catalog's volumes. Changes nothing. */
export async function reconcileReport(core: PoolCore): Promise<ReconcileReport> {
  const summary = await readPoolUsage(core);
  const state = core.catalog.state;
  const known = new Set(Object.values(state.volumes).map((v) => v.thinId));
  const unknownToCatalog = [...summary.devices.values()]
    .filter((d) => !known.has(d.thinId))
    .map((d) => ({ thinId: d.thinId, mappedBytes: d.mappedBlocks * state.pool.layout.dataBlockBytes }));
  const missingInKernel = Object.values(state.volumes)
    .filter((v) => !summary.devices.has(v.thinId))
    .map((v) => ({ name: v.name, uuid: v.uuid, thinId: v.thinId }))
    .sort((a, b) => a.thinId - b.thinId);
  return {
    kernelTx: String(summary.transactionId),
    catalogTx: state.committedTx,
    unknownToCatalog,
    missingInKernel,
    consistent: unknownToCatalog.length === 0 && missingInKernel.length === 0 && String(summary.transactionId) === state.committedTx,
  };
}

/** The ops that fix what `report` found: purge the kernel's unknown thin ids, forget volumes the kernel lacks. */
function repairOps(report: ReconcileReport): PlannedOp[] {
  return [...report.unknownToCatalog.map((u): PlannedOp => ({ kind: 'purge', thinId: u.thinId })), ...report.missingInKernel.map((m): PlannedOp => ({ kind: 'forget', uuid: m.uuid }))];
}

/**
 * Fixes what reconcile reports, as one transaction (pool-transaction.ts): deletes kernel thin
 * ids no volume names (their data is lost) and drops volumes whose thin id the kernel lacks
 * (deactivating their devices first). Returns the report it acted on; a consistent pool is
 * left untouched. The caller holds the pool's mutex.
 * @throws EngineError VOLUME_BUSY when a volume to drop is open (nothing changed); the transaction's errors
 */
export async function repairPool(core: PoolCore, needsRecovery: NeedsRecovery): Promise<ReconcileReport> {
  const report = await reconcileReport(core);
  const ops = repairOps(report);
  if (ops.length === 0) return report;
  const active = await activeVolumeDevices(core);
  const deactivate = report.missingInKernel.filter((m) => active.has(m.uuid)).map((m) => ({ uuid: m.uuid, item: m.name }));
  await requireNotOpen(core, deactivate);
  await executeTransaction(core, { ops, itemVolumes: [], suspend: [], deactivate, activate: [], reload: [] }, needsRecovery);
  core.logger.warn({ purged: report.unknownToCatalog.length, forgotten: report.missingInKernel.length }, 'repaired pool');
  return report;
}
