/**
 * Bringing a pool's catalog and its kernel metadata back into step, at activation and after a
 * transaction failed half-way. The rules (docs/engine.md, "Recovery rules"; where they run in a
 * call: docs/architecture.md), with K the kernel's transaction id and T the catalog's last
 * committed one:
 *
 * - no pending intent: K must equal T;
 * - pending folded intent for T (it deletes nothing; pool-transaction.ts) and K == T: when
 *   every id it creates is in the kernel (read from a metadata snapshot; vacuously true for a
 *   catalog-only intent) it rolls forward, otherwise the created ids present are deleted and
 *   it is aborted;
 * - pending intent for T+1 and K == T+1: every message was sent and the kernel committed the
 *   transaction id, so the intent rolls forward (the commit record is appended);
 * - pending intent and K == T: the messages may be partly sent. Creates are always sent before
 *   deletes. If the intent deletes nothing, each id it creates is deleted (ENODATA is fine) and
 *   the intent is aborted. If it deletes, the kernel's thin ids are read from a metadata
 *   snapshot: when every id to delete is still there, nothing irreversible happened and the
 *   intent rolls back as above; when some delete was done (a delete cannot be undone), every
 *   create was done too, so the rest of the deletes are sent, the transaction id is set and
 *   the intent rolls forward;
 * - anything else: refuse, never guess (RECOVERY_REFUSED with both ids).
 *
 * Every step is idempotent, so a crash during recovery is recovered by the next recovery.
 */
import { isDmError, readLivePoolMetadata, thinId, type ThinPoolStatus } from '@thinfleet/devmapper';
import { kernelEffects, type Intent } from './catalog-state.js';
import { EngineError } from './engine-error.js';
import type { PoolCore } from './pool-core.js';

export type RecoveryOutcome = 'clean' | 'rolled-forward' | 'rolled-back';

export interface RecoveryReport {
  readonly outcome: RecoveryOutcome;
  /** The pending transaction that was resolved, if any (decimal). */
  readonly tx: string | null;
  /** The kernel's transaction id afterwards (decimal). */
  readonly kernelTx: string;
}

/** Deletes a thin id; an id that is already gone is fine. */
export async function deleteThinIfPresent(core: PoolCore, id: number): Promise<void> {
  try {
    await core.control.delete(thinId(id));
  } catch (err) {
    if (!isDmError(err, 'ENODATA')) throw err;
  }
}

/** The thin ids the kernel has now, read from a metadata snapshot of the live pool. */
export async function kernelThinIds(core: PoolCore): Promise<Set<number>> {
  const summary = await readLivePoolMetadata(core.dm, core.block, core.names.pool, core.dm.devicePath(core.names.meta));
  return new Set(summary.devices.keys());
}

async function rollBack(core: PoolCore, intent: Intent, present: (id: number) => boolean): Promise<RecoveryReport> {
  const { creates } = kernelEffects(intent.ops);
  for (const [id] of [...creates].reverse()) if (present(id)) await deleteThinIfPresent(core, id);
  await core.catalog.append({ t: 'abort', tx: intent.tx });
  core.logger.warn({ tx: intent.tx, creates: creates.length }, 'rolled back an interrupted transaction');
  return { outcome: 'rolled-back', tx: intent.tx, kernelTx: core.catalog.state.committedTx };
}

/** Appends the pending intent's commit record: the roll forward of `intent`. */
async function rollForward(core: PoolCore, intent: Intent, why: string): Promise<RecoveryReport> {
  await core.catalog.append({ t: 'commit', tx: intent.tx });
  core.logger.warn({ tx: intent.tx }, why);
  return { outcome: 'rolled-forward', tx: intent.tx, kernelTx: core.catalog.state.committedTx };
}

/**
 * A folded intent (tx == T): the kernel must still be at T; its creates decide (module comment).
 * Catalog-only intents need no kernel read.
 */
async function recoverFolded(core: PoolCore, intent: Intent, status: ThinPoolStatus, refuse: (why: string) => never): Promise<RecoveryReport> {
  if (status.transactionId !== BigInt(intent.tx)) refuse('a folded transaction cannot move the kernel transaction id');
  const { creates } = kernelEffects(intent.ops);
  if (creates.length === 0) return rollForward(core, intent, 'rolled forward an interrupted catalog-only transaction');
  if (status.mode !== 'rw' || status.needsCheck) refuse(`the pool is ${status.needsCheck ? 'marked needs_check' : status.mode}`);
  const ids = await kernelThinIds(core);
  if (creates.every(([id]) => ids.has(id))) return rollForward(core, intent, 'rolled forward an interrupted transaction: every id it creates is in the kernel');
  return rollBack(core, intent, (id) => ids.has(id));
}

/**
 * Resolves the catalog's pending intent against the kernel. Idempotent.
 * @throws EngineError RECOVERY_REFUSED when the ids do not fit any rule.
 */
export async function recoverPending(core: PoolCore): Promise<RecoveryReport> {
  const state = core.catalog.state;
  const committed = BigInt(state.committedTx);
  const status = await core.control.status({ noFlush: true });
  const kernel = status.transactionId;
  const refuse = (why: string): never => {
    throw new EngineError(
      'RECOVERY_REFUSED',
      `pool ${state.pool.name}: kernel transaction id ${kernel}, catalog committed ${committed}${state.pending ? `, pending ${state.pending.tx}` : ''}: ${why}; run reconcile and repair by hand`,
    );
  };
  const intent = state.pending;
  if (intent === null) {
    if (kernel !== committed) refuse('no pending transaction explains the difference');
    return { outcome: 'clean', tx: null, kernelTx: String(kernel) };
  }
  const tx = BigInt(intent.tx);
  if (tx === committed) return recoverFolded(core, intent, status, refuse);
  if (tx !== committed + 1n) refuse('the pending transaction is neither folded nor the next one');
  if (kernel === tx) return rollForward(core, intent, 'rolled forward an interrupted transaction');
  if (kernel !== committed) refuse('the kernel is neither at the committed nor at the pending transaction');
  if (status.mode !== 'rw' || status.needsCheck) refuse(`the pool is ${status.needsCheck ? 'marked needs_check' : status.mode}`);

  const { creates, deletes } = kernelEffects(intent.ops);
  if (deletes.length === 0) return rollBack(core, intent, () => true);

  const ids = await kernelThinIds(core);
  if (deletes.every((id) => ids.has(id))) return rollBack(core, intent, (id) => ids.has(id));
  const notCreated = creates.filter(([id]) => !ids.has(id));
  if (notCreated.length > 0) refuse(`a delete was done but thin id(s) ${notCreated.map(([id]) => id).join(', ')} were never created`);
  for (const id of deletes) if (ids.has(id)) await deleteThinIfPresent(core, id);
  await core.control.setTransactionId(committed, tx);
  await core.catalog.append({ t: 'commit', tx: intent.tx });
  core.logger.warn({ tx: intent.tx }, 'completed an interrupted transaction whose deletes had begun');
  return { outcome: 'rolled-forward', tx: intent.tx, kernelTx: intent.tx };
}
