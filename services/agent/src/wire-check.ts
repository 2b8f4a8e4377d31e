/**
 * A strict look at a request's protobuf bytes before they are decoded. The decoder grpc-js uses
 * (protobufjs) is lenient: a field sent with the wrong wire type is skipped and a truncated
 * string is cut short, so a wrongly typed field would arrive as "absent" or shortened. This walk
 * finds such fields and names them, so the request is refused as INVALID_ARGUMENT instead.
 */
import { isUtf8 } from 'node:buffer';
import { agentPackageDefinition } from '@thinfleet/proto';

interface FieldDescriptor {
  readonly name: string;
  readonly number: number;
  readonly type: string;
  readonly typeName: string;
  readonly label: string;
}
interface MessageDescriptor {
  readonly field: readonly FieldDescriptor[];
}
interface EnumDescriptor {
  readonly name: string;
  readonly value: ReadonlyArray<{ readonly number: number }>;
}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

function wireTypeOf(type: string): number {
  switch (type) {
    case 'TYPE_STRING':
    case 'TYPE_BYTES':
    case 'TYPE_MESSAGE':
      return LENGTH;
    case 'TYPE_FIXED64':
    case 'TYPE_SFIXED64':
    case 'TYPE_DOUBLE':
      return FIXED64;
    case 'TYPE_FIXED32':
    case 'TYPE_SFIXED32':
    case 'TYPE_FLOAT':
      return FIXED32;
    default:
      return VARINT;
  }
}

/** The proto (snake_case) name of a field, as error paths use it. */
function protoName(field: FieldDescriptor): string {
  return field.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

class Reader {
  offset = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly end: number,
  ) {}

  varint(): number | null {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) return null;
      const b = this.bytes[this.offset++]!;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return value;
    }
    return null;
  }

  /** A varint as a bigint (exact beyond 2^53), or null when truncated. */
  bigVarint(): bigint | null {
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) return null;
      const b = this.bytes[this.offset++]!;
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return value;
    }
    return null;
  }
}

/** Fully qualified name of each message descriptor, so nested type names resolve in its scope. */
let fullNames: Map<object, string> | null = null;

function fullNameOf(type: object): string {
  if (fullNames === null) {
    fullNames = new Map();
    for (const [name, entry] of Object.entries(agentPackageDefinition())) {
      const t = (entry as { type?: object }).type;
      if (t !== undefined) fullNames.set(t, name);
    }
  }
  return fullNames.get(type) ?? '';
}

/**
 * The definition entry `typeName` names from inside message `scope` (fully qualified), by
 * protobuf's scoping rules: the descriptors name types relative to their package (`BatchOp`),
 * so `thinfleet.agent.v1.BatchRequest` finds `thinfleet.agent.v1.BatchOp`.
 */
function resolveType(typeName: string, scope: string): { name: string; type: unknown } | null {
  const key = `${scope}\u0000${typeName}`;
  let resolved = resolvedTypes.get(key);
  if (resolved === undefined) {
    resolved = lookUpType(typeName, scope);
    resolvedTypes.set(key, resolved);
  }
  return resolved;
}

/** resolveType's answers, by scope and type name: the descriptors do not change. */
const resolvedTypes = new Map<string, { name: string; type: unknown } | null>();

function lookUpType(typeName: string, scope: string): { name: string; type: unknown } | null {
  const definition = agentPackageDefinition() as Record<string, { type?: unknown } | undefined>;
  if (typeName.startsWith('.')) {
    const name = typeName.slice(1);
    return definition[name]?.type === undefined ? null : { name, type: definition[name].type };
  }
  const parts = scope.split('.').filter((p) => p !== '');
  for (let i = parts.length; i >= 0; i--) {
    const name = [...parts.slice(0, i), typeName].join('.');
    const entry = definition[name];
    if (entry?.type !== undefined) return { name, type: entry.type };
  }
  return null;
}

/** The problem with enum number `value` of field `field`, or null when it is a declared value. */
function enumProblem(field: FieldDescriptor, scope: string, value: bigint): string | null {
  const resolved = resolveType(field.typeName, scope);
  if (resolved === null) return null;
  const e = resolved.type as EnumDescriptor;
  const number = Number(BigInt.asIntN(32, value));
  if (e.value.some((v) => v.number === number)) return null;
  return `unknown ${e.name} value ${number} (one of ${e.value.map((v) => v.number).join(', ')})`;
}

/**
 * Walks `bytes[start, end)` as a message of `type`, whose type names resolve from `scope` (the
 * message's or its package's fully qualified name): returns the first problem as
 * `{ field, problem }` (field as a path like `ops[2].create.name`), or null when well formed.
 * Unknown fields are allowed (newer clients), when well formed themselves. Enum fields must hold
 * a value their enum declares (proto3 would keep an unknown number; the agent refuses it rather
 * than act on a mode it does not know).
 */
export function checkWire(bytes: Uint8Array, type: MessageDescriptor, scope = fullNameOf(type), prefix = '', start = 0, end = bytes.length): { field: string; problem: string } | null {
  return checkMessage(bytes, type, scope, prefix, start, end);
}

/** A message type's fields by number, with what the walk needs of each, computed once per type. */
interface CompiledField {
  readonly field: FieldDescriptor;
  readonly wire: number;
  readonly repeated: boolean;
}

const compiledTypes = new WeakMap<MessageDescriptor, Map<number, CompiledField>>();

function compiled(type: MessageDescriptor): Map<number, CompiledField> {
  let fields = compiledTypes.get(type);
  if (fields === undefined) {
    fields = new Map();
    for (const field of type.field) {
      if (!fields.has(field.number)) fields.set(field.number, { field, wire: wireTypeOf(field.type), repeated: field.label === 'LABEL_REPEATED' });
    }
    compiledTypes.set(type, fields);
  }
  return fields;
}

/**
 * The path of the field at `offset` (its `index`-th occurrence) for an error: built only when
 * there is a problem to report.
 */
function fieldPath(prefix: string, number: number, compiledField: CompiledField | undefined, index: number): string {
  if (compiledField === undefined) return `${prefix}#${number}`;
  return `${prefix}${prefix ? '.' : ''}${protoName(compiledField.field)}${compiledField.repeated ? `[${index}]` : ''}`;
}

function checkMessage(bytes: Uint8Array, type: MessageDescriptor, scope: string, prefix: string, start: number, end: number): { field: string; problem: string } | null {
  const fields = compiled(type);
  const reader = new Reader(bytes, end);
  reader.offset = start;
  // Occurrences of each repeated field so far (a path names the element: `ops[2]`).
  let counts: Map<number, number> | null = null;
  while (reader.offset < end) {
    const tag = reader.varint();
    if (tag === null) return { field: prefix || 'request', problem: 'malformed protobuf: truncated tag' };
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    const c = fields.get(number);
    const field = c?.field;
    let index = 0;
    if (c?.repeated === true) {
      counts ??= new Map();
      index = counts.get(number) ?? 0;
      counts.set(number, index + 1);
    }
    const name = (): string => fieldPath(prefix, number, c, index);
    if (c !== undefined && field !== undefined) {
      const packed = c.repeated && wire === LENGTH && c.wire !== LENGTH;
      if (wire !== c.wire && !packed) {
        return { field: name(), problem: `wrong type on the wire (wire type ${wire}) for a ${field.type.replace('TYPE_', '').toLowerCase()} field` };
      }
    }
    switch (wire) {
      case VARINT: {
        const value = reader.bigVarint();
        if (value === null) return { field: name(), problem: 'malformed protobuf: truncated number' };
        if (field?.type === 'TYPE_ENUM') {
          const problem = enumProblem(field, scope, value);
          if (problem !== null) return { field: name(), problem };
        }
        break;
      }
      case FIXED64:
      case FIXED32: {
        reader.offset += wire === FIXED64 ? 8 : 4;
        if (reader.offset > end) return { field: name(), problem: 'malformed protobuf: truncated fixed-width value' };
        break;
      }
      case LENGTH: {
        const length = reader.varint();
        if (length === null || reader.offset + length > end) return { field: name(), problem: 'malformed protobuf: length beyond the message' };
        if (field?.type === 'TYPE_MESSAGE') {
          const nested = resolveType(field.typeName, scope);
          if (nested === null) return { field: name(), problem: `cannot check: type ${field.typeName} is unknown` };
          const problem = checkMessage(bytes, nested.type as MessageDescriptor, nested.name, name(), reader.offset, reader.offset + length);
          if (problem !== null) return problem;
        } else if (field?.type === 'TYPE_ENUM') {
          // Packed repeated enum: each value must be declared.
          const packed = new Reader(bytes, reader.offset + length);
          packed.offset = reader.offset;
          while (packed.offset < packed.end) {
            const value = packed.bigVarint();
            if (value === null) return { field: name(), problem: 'malformed protobuf: truncated number' };
            const problem = enumProblem(field, scope, value);
            if (problem !== null) return { field: name(), problem };
          }
        } else if (field?.type === 'TYPE_STRING' && !isUtf8(bytes.subarray(reader.offset, reader.offset + length))) {
          return { field: name(), problem: 'not valid UTF-8' };
        }
        reader.offset += length;
        break;
      }
      default:
        return { field: name(), problem: `malformed protobuf: wire type ${wire}` };
    }
  }
  return null;
}

/** The descriptor of request type `typeName` (fully qualified), or null. */
export function requestDescriptor(typeName: string): MessageDescriptor | null {
  return (resolveType(`.${typeName.replace(/^\./, '')}`, '')?.type as MessageDescriptor | undefined) ?? null;
}
