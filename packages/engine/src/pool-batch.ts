/**
 * One batch on an active pool: plan it against the catalog and the kernel's active devices,
 * run it as one transaction (pool-transaction.ts), then activate and reload what it asked for,
 * and report each item's volume. The caller holds the pool's mutex, after any pending recovery.
 */
import type { BatchItem } from './batch-item.js';
import type { ActiveDevice, BatchPlan } from './batch-planner.js';
import { poolCapacity, type PoolCapacity } from './capacity.js';
import { catalogIndex, type VolumeRecord } from './catalog-state.js';
import { infoOrNull } from './device-tables.js';
import { resolveExternalOrigins } from './origin-check.js';
import { planBatch } from './plan.js';
import { volumeDevice, type PoolCore } from './pool-core.js';
import { afterCommit, executeTransaction, type NeedsRecovery } from './pool-transaction.js';
import { activeVolumeDevices, describeVolume, requireNotOpen } from './pool-volume-devices.js';
import type { VolumeInfo } from './volume-info.js';

/** What Pool.batch returns. */
export interface BatchResult {
  /** The pool's transaction id after the batch (decimal); unchanged when the batch changed nothing. */
  readonly tx: string;
  /** Per item, in order: the volume it made or changed (deleted volumes as they were). */
  readonly items: ReadonlyArray<{ readonly item: string; readonly volume: VolumeInfo | null }>;
  /** Steps after the commit that failed (activating or reloading a volume); the batch itself is committed. */
  readonly deferredErrors: ReadonlyArray<{ readonly volume: string; readonly error: Error }>;
  /** The pool's provisioned and data bytes just before and just after the batch (under its mutex). */
  readonly capacity: { readonly before: PoolCapacity; readonly after: PoolCapacity };
}

/** Active volume devices by uuid; `known`: the uuids looked up (null: every volume's, from a list). */
interface DeviceLookup {
  readonly active: Map<string, ActiveDevice>;
  readonly known: ReadonlySet<string> | null;
}

/** Thrown by a targeted lookup asked about a volume it did not look up: the batch plans again over a full list. */
class LookupMissed extends Error {}

/** Most items a batch may have for its devices to be looked up one by one instead of listed. */
const MAX_NAMED_LOOKUPS = 8;

/**
 * The devices a batch of creates and snapshots needs, looked up by name (one DM_DEV_STATUS per
 * committed origin, none for a create) instead of one DM_LIST_DEVICES of every device: the
 * planner asks only about those origins for such items. Any other batch gets the full list.
 * Reads only.
 */
async function namedDevices(core: PoolCore, items: readonly BatchItem[]): Promise<DeviceLookup> {
  if (items.length > MAX_NAMED_LOOKUPS || !items.every((i) => i.op === 'create' || i.op === 'snapshot' || i.op === 'create-external')) {
    return { active: await activeVolumeDevices(core), known: null };
  }
  const index = catalogIndex(core.catalog.state);
  const active = new Map<string, ActiveDevice>();
  const known = new Set<string>();
  for (const item of items) {
    if (item.op !== 'snapshot') continue;
    const uuid = index.byName.get(item.origin);
    const origin = uuid === undefined ? undefined : core.catalog.state.volumes[uuid];
    if (origin === undefined || known.has(origin.uuid)) continue;
    known.add(origin.uuid);
    const name = volumeDevice(core, origin);
    if ((await infoOrNull(core.dm, name)) !== null) active.set(origin.uuid, { name });
  }
  return { active, known };
}

/**
 * Applies `items` all-or-nothing as one transaction. A batch that changes nothing sends nothing
 * to the kernel and writes nothing to the catalog.
 * @throws EngineError naming the first bad item before anything is touched; VOLUME_BUSY when a
 *   volume to delete is open; the transaction's errors (see executeTransaction)
 */
export async function runBatch(core: PoolCore, items: readonly BatchItem[], needsRecovery: NeedsRecovery): Promise<BatchResult> {
  const state = core.catalog.state;
  const before = poolCapacity(state);
  const origins = await resolveExternalOrigins(core, items);
  const planWith = (lookup: DeviceLookup): BatchPlan =>
    planBatch(items, {
      state,
      nowMs: core.now(),
      newUuid: core.newUuid,
      activeDevice: (uuid) => {
        if (lookup.known !== null && !lookup.known.has(uuid)) throw new LookupMissed();
        return lookup.active.get(uuid);
      },
      externalOriginSizes: origins.sizes,
      externalOriginProblems: origins.problems,
    });
  let lookup = await namedDevices(core, items);
  let plan: BatchPlan;
  try {
    plan = planWith(lookup);
  } catch (err) {
    if (!(err instanceof LookupMissed)) throw err;
    lookup = { active: await activeVolumeDevices(core), known: null };
    plan = planWith(lookup);
  }
  const active = lookup.active;
  const touched = new Map<string, VolumeRecord>();
  for (const { uuid } of plan.itemVolumes) {
    const v = state.volumes[uuid];
    if (v) touched.set(uuid, v);
  }
  for (const op of plan.ops) if (op.kind === 'create' || op.kind === 'snapshot') touched.set(op.volume.uuid, op.volume);
  if (plan.ops.length > 0) {
    await requireNotOpen(core, plan.deactivate);
    await executeTransaction(core, plan, needsRecovery);
    for (const { uuid } of plan.deactivate) active.delete(uuid);
  }
  const deferredErrors = await afterCommit(core, plan, active);
  const after = core.catalog.state;
  return {
    tx: after.committedTx,
    items: plan.itemVolumes.map(({ item, uuid }) => {
      const v = after.volumes[uuid] ?? touched.get(uuid);
      return { item, volume: v === undefined ? null : describeVolume(core, v, active, null) };
    }),
    deferredErrors,
    capacity: { before, after: poolCapacity(after) },
  };
}
