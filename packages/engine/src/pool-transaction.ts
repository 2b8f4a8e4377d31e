/**
 * The transaction protocol of one planned change (docs/engine.md, "The transaction protocol"):
 * 1. append the intent to the catalog, durably;
 * 2. deactivate volumes being deleted; suspend active origins once; send every create_thin /
 *    create_snap; resume (finally path with a deadline); send the deletes;
 * 3. only when the intent deletes a thin id: `set_transaction_id T T+1`;
 * 4. stage the commit record (written with the next append: group commit).
 *
 * Two kinds of intent, told apart by their `tx`:
 * - a **folded** intent (`tx == T`, the committed id) deletes no thin id. Its creates are
 *   their own evidence: a create is atomic in the kernel, so after a crash the intent rolls
 *   forward exactly when every id it creates is in the kernel, and back otherwise
 *   (recovery.ts). The kernel's transaction id stays T, and no second metadata commit is paid.
 *   A catalog-only intent (no kernel message) is folded too and always rolls forward: it was
 *   acknowledged only after its durable write.
 * - a **counted** intent (`tx == T+1`) deletes; a delete cannot be seen undone, so the
 *   kernel's compare-and-set of the transaction id is its commit point.
 * A failure before any delete is sent rolls back at once (created ids deleted, abort record);
 * a later failure leaves the intent pending, and the pool recovers (recovery.ts) before its next
 * change. A crash anywhere is recovered at the next activation by the same rules. The caller
 * holds the pool's mutex throughout.
 */
import { thinId } from '@thinfleet/devmapper';
import type { ActiveDevice, BatchPlan } from './batch-planner.js';
import { kernelEffects } from './catalog-state.js';
import { ensureDevice, removeDevice } from './device-tables.js';
import { EngineError, isEngineError } from './engine-error.js';
import { liveVolumeUuid, volumeDevice, volumeTable, type PoolCore } from './pool-core.js';
import { deleteThinIfPresent } from './recovery.js';
import { withSuspended, type WindowSignal } from './snapshot-window.js';

/**
 * Called when a transaction leaves the pool needing recovery before its next change (it
 * failed after its deletes began, its rollback failed, or its commit could not be staged).
 */
export type NeedsRecovery = () => void;

/**
 * Runs steps 1-4 for `plan`, which must have been planned against the current catalog state.
 * @throws EngineError: the transaction was rolled back (nothing changed), or `needsRecovery` was
 *   called and the pool must recover before its next change.
 */
export async function executeTransaction(core: PoolCore, plan: BatchPlan, needsRecovery: NeedsRecovery): Promise<void> {
  const state = core.catalog.state;
  const committed = BigInt(state.committedTx);
  const volumeName = (uuid: string): string => {
    const v = state.volumes[uuid];
    // Cannot happen: the plan names only volumes of the committed state here.
    if (v === undefined) throw new EngineError('INVALID_ARGUMENT', `volume ${uuid} of the plan is not in the catalog`);
    return volumeDevice(core, v);
  };
  const { creates, deletes } = kernelEffects(plan.ops);
  const folded = isFolded(deletes, plan);
  const tx = String(folded ? committed : committed + 1n);
  const suspendNames = plan.suspend.map(volumeName);
  const deactivateNames = plan.deactivate.map((d) => volumeName(d.uuid));

  await core.catalog.append({ t: 'intent', intent: { tx, ops: plan.ops } });
  const sent: number[] = [];
  let deletesBegun = false;
  try {
    for (const name of deactivateNames) await removeDevice(core.dm, name, `volume device ${name}`);
    const sendCreates = async (signal: WindowSignal): Promise<void> => {
      for (const [id, origin] of creates) {
        if (signal.expired) throw new EngineError('DEADLINE_EXCEEDED', 'snapshot window deadline passed');
        if (origin === null) await core.control.createThin(thinId(id));
        else await core.control.createSnap(thinId(id), thinId(origin));
        sent.push(id);
      }
    };
    // The window's deadline exists to resume suspended origins: with none, the creates run bare.
    if (creates.length > 0 && suspendNames.length === 0) await sendCreates({ expired: false });
    else if (creates.length > 0) await withSuspended(core.dm, suspendNames, core.snapshotDeadlineMs, sendCreates);
    deletesBegun = true;
    for (const id of deletes) await deleteThinIfPresent(core, id);
    if (!folded) await core.control.setTransactionId(committed, committed + 1n);
  } catch (err) {
    throw await failTransaction(core, tx, sent, deletesBegun, err, needsRecovery);
  }
  // Step 4 as a group commit: the record is applied now and written with the next intent (or
  // at deactivation). A crash before that write finds the intent pending with every id it
  // creates in the kernel (folded) or the kernel at tx (counted), and recovery rolls it
  // forward: the same state.
  try {
    await core.catalog.stage({ t: 'commit', tx });
  } catch (err) {
    needsRecovery();
    throw new EngineError('KERNEL_FAILED', `pool ${state.pool.name}: the kernel committed transaction ${tx} but the catalog is unusable; reactivate the pool to recover`, { cause: err });
  }
  core.logger.info({ tx, folded, ops: plan.ops.length, creates: creates.length, deletes: deletes.length }, 'transaction committed');
}

/**
 * True when the intent of `plan` is folded (module comment): it deletes no thin id and
 * deactivates nothing, so its creates are their own commit evidence.
 */
function isFolded(deletes: readonly number[], plan: BatchPlan): boolean {
  return deletes.length === 0 && plan.deactivate.length === 0;
}

/** Why the pool cannot take changes, or null when it can (or its status cannot be read). */
async function notWritable(core: PoolCore): Promise<string | null> {
  const status = await core.control.status({ noFlush: true }).catch(() => null);
  if (status === null) return 'has failed';
  if (status.needsCheck) return 'needs_check: run thin_check/thin_repair offline';
  if (status.mode !== 'rw') return `is ${status.mode}`;
  return null;
}

/** Undoes what a failed transaction sent, when it can, and builds the error to throw. */
async function failTransaction(core: PoolCore, tx: string, sent: readonly number[], deletesBegun: boolean, err: unknown, needsRecovery: NeedsRecovery): Promise<EngineError> {
  const poolName = core.catalog.state.pool.name;
  const why = isEngineError(err) ? null : await notWritable(core);
  const wrap = (message: string, cause: unknown, rollbackError?: unknown): EngineError =>
    isEngineError(cause)
      ? new EngineError(cause.code, `${cause.message}; ${message}`, { cause, rollbackError })
      : why !== null
        ? new EngineError('POOL_NOT_WRITABLE', `pool ${poolName} ${why}; ${message}`, { cause, rollbackError })
        : new EngineError('KERNEL_FAILED', `${String((cause as Error)?.message ?? cause)}; ${message}`, { cause, rollbackError });
  if (deletesBegun) {
    needsRecovery();
    return wrap("the transaction is completed or rolled back before the pool's next change", err);
  }
  try {
    for (const id of [...sent].reverse()) await deleteThinIfPresent(core, id);
    await core.catalog.append({ t: 'abort', tx });
  } catch (rollbackError) {
    needsRecovery();
    return wrap('rolling back failed too; the pool recovers before its next change', err, rollbackError);
  }
  core.logger.warn({ tx, err }, 'transaction rolled back');
  return wrap('the batch was rolled back', err);
}

/**
 * After the commit: reloads grown volumes and activates the asked-for ones, recording them in
 * `active`. A failure is returned per volume, not thrown: the transaction is committed.
 */
export async function afterCommit(core: PoolCore, plan: BatchPlan, active: Map<string, ActiveDevice>): Promise<Array<{ volume: string; error: Error }>> {
  const errors: Array<{ volume: string; error: Error }> = [];
  for (const uuid of [...plan.reload, ...plan.activate]) {
    const v = core.catalog.state.volumes[uuid];
    if (!v) continue;
    try {
      const name = volumeDevice(core, v);
      await ensureDevice(core.dm, core.block, name, await liveVolumeUuid(core, v, name), volumeTable(core, v), { reloadIfDifferent: true });
      active.set(uuid, { name });
    } catch (error) {
      errors.push({ volume: v.name, error: error as Error });
    }
  }
  return errors;
}
