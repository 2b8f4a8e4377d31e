/**
 * `thinfleet batch FILE|-`: many operations on one pool as one transaction. The file is checked
 * whole before anything is sent: every mistake is a usage error naming its field path
 * (`ops[3].name: must be a string`). Names are not checked here: the agent does that.
 */
import { readFile } from 'node:fs/promises';
import type { BatchOp, BatchRequest, BatchResponse__Output } from '@thinfleet/proto';
import type { CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { formatBytes, parseSize, sizeProblem } from './sizes.js';
import { formatTable } from './table.js';
import { fieldError, UsageError } from './usage-error.js';
import { DEFAULT_KEEP } from './revision-commands.js';

/** The most ops one batch may carry (the agent's limit too). */
export const MAX_BATCH_OPS = 10_000;

type FieldKind = 'string' | 'boolean' | 'size' | 'count';

interface FieldRule {
  readonly kind: FieldKind;
  readonly required: boolean;
}

const req = (kind: FieldKind): FieldRule => ({ kind, required: true });
const opt = (kind: FieldKind): FieldRule => ({ kind, required: false });

/** The fields of each op kind, as the batch file spells them (snake_case, like the proto). */
const OP_FIELDS: Readonly<Record<string, Readonly<Record<string, FieldRule>>>> = {
  create: { name: req('string'), size: opt('size'), external_origin: opt('string'), activate: opt('boolean') },
  snapshot: { source: req('string'), name: req('string'), activate: opt('boolean') },
  delete: { name: req('string') },
  rename: { name: req('string'), new_name: req('string') },
  resize: { name: req('string'), size: req('size') },
  revert: { name: req('string'), snapshot: req('string') },
  revision: { name: req('string'), keep: opt('count') },
  pin: { name: req('string'), pinned: req('boolean') },
};

/** The op kinds a batch file may use. */
export const BATCH_OP_KINDS: readonly string[] = Object.keys(OP_FIELDS);

type FieldValue = string | boolean | number;

function checkField(path: string, rule: FieldRule, value: unknown): FieldValue {
  switch (rule.kind) {
    case 'string':
      if (typeof value !== 'string') throw fieldError(path, 'must be a string');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw fieldError(path, 'must be true or false');
      return value;
    case 'count':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 32 - 1) {
        throw fieldError(path, 'must be a whole number from 1 to 4294967295');
      }
      return value;
    case 'size':
      if (typeof value === 'number') {
        const problem = sizeProblem(value);
        if (problem !== null) throw fieldError(path, `${problem}, or a size string such as "10GiB"`);
        return value;
      }
      if (typeof value !== 'string') throw fieldError(path, 'must be a number of bytes or a size string such as "10GiB"');
      try {
        return parseSize(value);
      } catch (err) {
        throw fieldError(path, (err as Error).message, err);
      }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkOp(raw: unknown, index: number): BatchOp {
  const at = `ops[${index}]`;
  if (!isObject(raw)) throw fieldError(at, 'must be an object such as {"op": "snapshot", "source": "vm1", "name": "vm1-snap"}');
  const kind = raw['op'];
  if (kind === undefined) throw fieldError(`${at}.op`, `required, one of ${BATCH_OP_KINDS.join(', ')}`);
  if (typeof kind !== 'string') throw fieldError(`${at}.op`, 'must be a string');
  const rules = OP_FIELDS[kind];
  if (rules === undefined) throw fieldError(`${at}.op`, `unknown op "${kind}" (one of ${BATCH_OP_KINDS.join(', ')})`);
  for (const key of Object.keys(raw)) {
    if (key !== 'op' && key !== 'item' && rules[key] === undefined) {
      throw fieldError(`${at}.${key}`, `unknown field for op "${kind}" (it takes ${['item', ...Object.keys(rules)].join(', ')})`);
    }
  }
  const item = raw['item'] === undefined ? at : checkField(`${at}.item`, req('string'), raw['item']);
  const fields = new Map<string, FieldValue>();
  for (const [key, rule] of Object.entries(rules)) {
    const value = raw[key];
    if (value === undefined) {
      if (rule.required) throw fieldError(`${at}.${key}`, `required (${rule.kind === 'size' ? 'a size' : rule.kind === 'boolean' ? 'true or false' : `a ${rule.kind}`})`);
      continue;
    }
    fields.set(key, checkField(`${at}.${key}`, rule, value));
  }
  const text = (key: string): string => (fields.get(key) as string | undefined) ?? '';
  const flag = (key: string): boolean => (fields.get(key) as boolean | undefined) ?? false;
  const number = (key: string): number | undefined => fields.get(key) as number | undefined;
  const op: BatchOp = { item: item as string };
  switch (kind) {
    case 'create': {
      if (!fields.has('size') && text('external_origin') === '') throw fieldError(`${at}.size`, 'required unless external_origin is given');
      op.create = { name: text('name'), externalOrigin: text('external_origin'), activate: flag('activate') };
      const sizeBytes = number('size');
      if (sizeBytes !== undefined) op.create.sizeBytes = sizeBytes;
      break;
    }
    case 'snapshot':
      op.snapshot = { source: text('source'), name: text('name'), activate: flag('activate') };
      break;
    case 'delete':
      op.delete = { name: text('name') };
      break;
    case 'rename':
      op.rename = { name: text('name'), newName: text('new_name') };
      break;
    case 'resize':
      op.resize = { name: text('name'), sizeBytes: number('size') ?? 0 };
      break;
    case 'revert':
      op.revert = { name: text('name'), snapshot: text('snapshot') };
      break;
    case 'revision':
      op.revision = { name: text('name'), keep: number('keep') ?? DEFAULT_KEEP };
      break;
    case 'pin':
      op.pin = { name: text('name'), pinned: flag('pinned') };
      break;
  }
  return op;
}

/**
 * Checks a batch file's text and builds the request. Pure. Throws a UsageError whose message
 * and `field` name the first problem: invalid JSON, a missing or mistyped field, an unknown op
 * or key, more than MAX_BATCH_OPS ops. Sizes may be numbers of bytes or size strings.
 */
export function parseBatchFile(text: string, source = 'batch file'): BatchRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(parsed)) throw new UsageError(`${source} must be a JSON object {"pool": "...", "ops": [...]}`);
  for (const key of Object.keys(parsed)) {
    if (key !== 'pool' && key !== 'ops') throw fieldError(key, 'unknown field (a batch has "pool" and "ops")');
  }
  if (parsed['pool'] === undefined) throw fieldError('pool', 'required (a string)');
  const pool = checkField('pool', req('string'), parsed['pool']) as string;
  const ops = parsed['ops'];
  if (ops === undefined) throw fieldError('ops', 'required (an array of ops)');
  if (!Array.isArray(ops)) throw fieldError('ops', 'must be an array');
  if (ops.length > MAX_BATCH_OPS) throw fieldError('ops', `${ops.length} ops; one batch takes at most ${MAX_BATCH_OPS}`);
  return { pool, ops: ops.map((raw: unknown, index) => checkOp(raw, index)) };
}

function resultsTable(request: BatchRequest, response: BatchResponse__Output): string {
  const kinds = (request.ops ?? []).map((op) => BATCH_OP_KINDS.find((kind) => (op as Record<string, unknown>)[kind] !== undefined) ?? '');
  const table = formatTable(
    [{ header: 'ITEM' }, { header: 'OP' }, { header: 'VOLUME' }, { header: 'SIZE', align: 'right' }],
    response.results.map((result, index) => [
      result.item,
      kinds[index] ?? '',
      result.volume === null ? '-' : `${result.volume.pool}/${result.volume.name}`,
      result.volume === null ? '-' : formatBytes(result.volume.sizeBytes),
    ]),
  );
  return `${table}committed ${response.results.length} ops as transaction ${response.transactionId}\n`;
}

/** The batch command. */
export const BATCH_COMMAND: CommandSpec = {
  words: ['batch'],
  arguments: ['FILE|-'],
  options: {},
  summary: 'apply many operations to one pool as one transaction: all or none (FILE - reads standard input)',
  details: [
    'The file is JSON: {"pool": "tank", "ops": [{"op": "snapshot", "source": "vm1", "name": "vm1-s1"}, ...]}, at most 10000 ops.',
    'Ops and their fields (item is optional on every op and names it in errors; default "ops[<index>]"):',
    '  create    name, size (bytes or "10GiB"; optional with external_origin), external_origin, activate',
    '  snapshot  source, name, activate',
    '  delete    name (always immediate inside a batch)',
    '  rename    name, new_name',
    '  resize    name, size',
    '  revert    name, snapshot',
    `  revision  name, keep (default ${DEFAULT_KEEP})`,
    '  pin       name, pinned (true or false)',
    'The whole file is checked before anything is sent. Steps after the commit that failed (activating a volume) are',
    'reported and make the exit code 1, although the batch itself is committed.',
  ].join('\n'),
  examples: ['batch ops.json', 'batch - < ops.json', `--json batch ops.json`],
  async run(context, args) {
    const [file = ''] = args.positionals;
    let text: string;
    try {
      text = file === '-' ? await context.io.readStdin() : await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`, { field: 'FILE', cause: err });
    }
    const request = parseBatchFile(text, file === '-' ? 'standard input' : file);
    const response = await (await context.agent()).batch(request);
    context.out.result(response, () => resultsTable(request, response));
    context.out.responseWarnings(response);
    if (response.deferredErrors.length === 0) return EXIT.OK;
    for (const deferred of response.deferredErrors) context.out.warn(`after the commit, ${request.pool}/${deferred.volume}: ${deferred.message}`);
    return context.out.failed(`the batch is committed, but ${response.deferredErrors.length} step(s) after the commit failed`);
  },
};
