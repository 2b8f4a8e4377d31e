/**
 * Engine refusals of an argument (INVALID_NAME, INVALID_SIZE, INVALID_ARGUMENT with
 * `EngineError.argument`) named by the request field the caller sent it in, so that every
 * INVALID_ARGUMENT status carries `tf-field` (docs/agent.md, Errors).
 */
import { isEngineError, type BatchItem } from '@thinfleet/engine';
import { withField } from './agent-error.js';

const REFUSALS = new Set(['INVALID_NAME', 'INVALID_SIZE', 'INVALID_ARGUMENT']);

/** Engine argument name → request field, for one call. */
export type FieldNames = Readonly<Record<string, string>>;

/** Attaches the request field to `err` when it is an engine refusal of an argument in `fields`. */
export function nameEngineField(err: unknown, fields: FieldNames): void {
  if (!isEngineError(err) || !REFUSALS.has(err.code) || err.argument === undefined) return;
  const field = fields[err.argument];
  if (field !== undefined) withField(err, field);
}

/** Runs `fn`; an engine refusal of an argument in `fields` is rethrown naming that field. */
export async function namingFields<T>(fields: FieldNames, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    nameEngineField(err, fields);
    throw err;
  }
}

/** The proto op of a batch item, and its fields by engine argument name. */
const BATCH_FIELDS: Readonly<Record<BatchItem['op'], { readonly op: string; readonly fields: FieldNames }>> = {
  create: { op: 'create', fields: { volume: 'name', sizeBytes: 'size_bytes' } },
  'create-external': { op: 'create', fields: { volume: 'name', sizeBytes: 'size_bytes', externalOrigin: 'external_origin' } },
  snapshot: { op: 'snapshot', fields: { volume: 'name', origin: 'source' } },
  delete: { op: 'delete', fields: { volume: 'name' } },
  rename: { op: 'rename', fields: { volume: 'name', newName: 'new_name' } },
  grow: { op: 'resize', fields: { volume: 'name', sizeBytes: 'size_bytes' } },
  revert: { op: 'revert', fields: { volume: 'name', snapshot: 'snapshot' } },
  revision: { op: 'revision', fields: { volume: 'name', keep: 'keep' } },
  pin: { op: 'pin', fields: { volume: 'name', pinned: 'pinned' } },
  'mark-delete': { op: 'mark_delete', fields: {} },
  'mark-job': { op: 'mark_job', fields: {} },
  'detach-origin': { op: 'detach_origin', fields: { volume: 'name' } },
};

/** The request fields of batch item `item` at index `index` (`ops[3].revert.snapshot`). */
export function batchFieldNames(index: number, item: BatchItem): FieldNames {
  const { op, fields } = BATCH_FIELDS[item.op] ?? { op: 'op', fields: {} };
  return Object.fromEntries(Object.entries(fields).map(([argument, field]) => [argument, `ops[${index}].${op}.${field}`]));
}
