/**
 * Turns a batch into planned ops, or rejects it before anything is touched. Items are checked
 * in order against the state the earlier items leave (so an item may snapshot a volume an
 * earlier item created); the first bad item rejects the whole batch with its item name. Each
 * op has its own handler (batch-op-handlers.ts); this file checks item names, dispatches and
 * puts the plan together.
 *
 * Pure: reads the committed state and what the caller resolved from the kernel beforehand
 * (which volumes are active or open, external origin sizes); it changes nothing.
 */
import type { BatchItem } from './batch-item.js';
import {
  planCreate,
  planCreateExternal,
  planDelete,
  planDetachOrigin,
  planGrow,
  planMarkDelete,
  planMarkJob,
  planPin,
  planRename,
  planRevert,
  planRevision,
  planSnapshot,
} from './batch-op-handlers.js';
import { BatchPlanner, type BatchPlan, type PlanContext } from './batch-planner.js';
import type { PlannedOp } from './catalog-state.js';
import { EngineError } from './engine-error.js';
import type { WorkingVolumes } from './plan-working.js';
import { quoted } from '@thinfleet/units';
import { isList } from './is-list.js';

export { checkSize, type ActiveDevice, type BatchPlan, type PlanContext } from './batch-planner.js';

/**
 * The ops of one item, from its op's handler.
 * @throws EngineError INVALID_ARGUMENT naming the argument op when the op is unknown
 */
function planItem(raw: BatchItem, item: string, p: BatchPlanner): readonly PlannedOp[] {
  const op: unknown = raw.op;
  // One case per op, alike by design (duplicates pairs them): the switch narrows raw to each handler's own type, which a lookup table could not do without a cast.
  switch (raw.op) {
    case 'create':
      return planCreate(raw, item, p);
    case 'create-external':
      return planCreateExternal(raw, item, p);
    case 'snapshot':
      return planSnapshot(raw, item, p);
    case 'revision':
      return planRevision(raw, item, p);
    case 'delete':
      return planDelete(raw, item, p);
    case 'rename':
      return planRename(raw, item, p);
    case 'grow':
      return planGrow(raw, item, p);
    case 'revert':
      return planRevert(raw, item, p);
    case 'pin':
      return planPin(raw, item, p);
    case 'mark-delete':
      return planMarkDelete(raw, item, p);
    case 'mark-job':
      return planMarkJob(raw, item, p);
    case 'detach-origin':
      return planDetachOrigin(raw, item, p);
    default:
      throw new EngineError('INVALID_ARGUMENT', `unknown operation ${quoted(JSON.stringify(op))}`, { item, argument: 'op' });
  }
}

/** The volume an item made or changed: that of its first op, else (no change) the one it names. */
function subjectOf(ops: readonly PlannedOp[], raw: BatchItem, item: string, volumes: WorkingVolumes): string {
  const first = ops[0];
  if (first === undefined) return volumes.find(raw.volume, item).uuid;
  if ('volume' in first) return first.volume.uuid;
  return 'uuid' in first ? first.uuid : '';
}

/**
 * Plans a batch.
 * @throws EngineError naming the first bad item; nothing has been changed.
 */
export function planBatch(items: readonly BatchItem[], ctx: PlanContext): BatchPlan {
  if (!isList(items) || items.length === 0) throw new EngineError('INVALID_ARGUMENT', 'a batch needs at least one item');
  const p = new BatchPlanner(ctx);
  const ops: PlannedOp[] = [];
  const itemVolumes: Array<{ readonly item: string; readonly uuid: string }> = [];
  const activate: string[] = [];
  const itemNames = new Set<string>();

  for (const raw of items) {
    const item = typeof raw?.item === 'string' && raw.item.length > 0 ? raw.item : '';
    if (item === '') throw new EngineError('INVALID_ARGUMENT', 'every batch item needs a non-empty "item" name');
    if (itemNames.has(item)) throw new EngineError('INVALID_ARGUMENT', 'the item name is used twice in the batch', { item });
    itemNames.add(item);
    const itemOps = planItem(raw, item, p);
    const subject = subjectOf(itemOps, raw, item, p.volumes);
    p.apply(itemOps);
    ops.push(...itemOps);
    itemVolumes.push({ item, uuid: subject });
    if ('activate' in raw && raw.activate === true) activate.push(subject);
  }
  return { ops, itemVolumes, ...p.kernelSteps(ops, activate) };
}
