/**
 * A strict look at a request's protobuf bytes before they are decoded. The decoder grpc-js uses
 * (protobufjs) is lenient: a field sent with the wrong wire type is skipped and a truncated
 * string is cut short, so a wrongly typed field would arrive as "absent" or shortened. This walk
 * finds such fields and names them, so the request is refused as INVALID_ARGUMENT instead.
 */
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
}

function messageType(typeName: string): MessageDescriptor | null {
  const entry = agentPackageDefinition()[typeName.replace(/^\./, '')] as { type?: MessageDescriptor } | undefined;
  return entry?.type ?? null;
}

/**
 * Walks `bytes[start, end)` as a message of `type`: returns the first problem as
 * `{ field, problem }` (field as a path like `ops[2].create.name`), or null when well formed.
 * Unknown fields are allowed (newer clients), when well formed themselves.
 */
export function checkWire(bytes: Uint8Array, type: MessageDescriptor, prefix = '', start = 0, end = bytes.length): { field: string; problem: string } | null {
  const reader = new Reader(bytes, end);
  reader.offset = start;
  const counts = new Map<number, number>();
  while (reader.offset < end) {
    const tag = reader.varint();
    if (tag === null) return { field: prefix || 'request', problem: 'malformed protobuf: truncated tag' };
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    const field = type.field.find((f) => f.number === number);
    const index = counts.get(number) ?? 0;
    counts.set(number, index + 1);
    const name = field === undefined ? `${prefix}#${number}` : `${prefix}${prefix ? '.' : ''}${protoName(field)}${field.label === 'LABEL_REPEATED' ? `[${index}]` : ''}`;
    if (field !== undefined) {
      const expected = wireTypeOf(field.type);
      const packed = field.label === 'LABEL_REPEATED' && wire === LENGTH && expected !== LENGTH;
      if (wire !== expected && !packed) {
        return { field: name, problem: `wrong type on the wire (wire type ${wire}) for a ${field.type.replace('TYPE_', '').toLowerCase()} field` };
      }
    }
    switch (wire) {
      case VARINT:
        if (reader.varint() === null) return { field: name, problem: 'malformed protobuf: truncated number' };
        break;
      case FIXED64:
      case FIXED32: {
        reader.offset += wire === FIXED64 ? 8 : 4;
        if (reader.offset > end) return { field: name, problem: 'malformed protobuf: truncated fixed-width value' };
        break;
      }
      case LENGTH: {
        const length = reader.varint();
        if (length === null || reader.offset + length > end) return { field: name, problem: 'malformed protobuf: length beyond the message' };
        if (field?.type === 'TYPE_MESSAGE') {
          const nested = messageType(field.typeName);
          const problem = nested === null ? null : checkWire(bytes, nested, name, reader.offset, reader.offset + length);
          if (problem !== null) return problem;
        } else if (field?.type === 'TYPE_STRING') {
          try {
            new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(reader.offset, reader.offset + length));
          } catch {
            return { field: name, problem: 'not valid UTF-8' };
          }
        }
        reader.offset += length;
        break;
      }
      default:
        return { field: name, problem: `malformed protobuf: wire type ${wire}` };
    }
  }
  return null;
}

/** The descriptor of request type `typeName` (fully qualified), or null. */
export function requestDescriptor(typeName: string): MessageDescriptor | null {
  return messageType(typeName);
}
