/**
 * Requests as raw protobuf bytes, built from the .proto files by protobufjs reflection (not
 * through grpc-js's or the project's client), and a raw unary call that sends them as they are.
 * Hostile-input tests use it to send what a well-behaved client never would: two members of a
 * oneof, unknown enum numbers, fields with the wrong wire type.
 */
import { Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { PROTO_FILES, PROTO_ROOT } from '@thinfleet/proto';

let root: protobuf.Root | null = null;

/** The agent's and coordinator's proto files as one protobufjs Root. */
export function protoRoot(): protobuf.Root {
  if (root !== null) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => (target.startsWith('/') ? target : `${PROTO_ROOT}${target}`);
  r.loadSync([...PROTO_FILES], { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

/** The message type `name` (`thinfleet.agent.v1.BatchRequest`). */
export function messageType(name: string): protobuf.Type {
  return protoRoot().lookupType(name);
}

/** `value` (proto field names) encoded as message `type`. */
export function encode(type: string, value: Record<string, unknown>): Buffer {
  const t = messageType(type);
  return Buffer.from(t.encode(t.fromObject(value)).finish());
}

/** One length-delimited field (`number`, wire type 2) holding `bytes`. */
export function lengthField(number: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([varint(number * 8 + 2), varint(bytes.length), Buffer.from(bytes)]);
}

/** One varint field: `number`, wire type 0, `value` (a negative value as 10 bytes, two's complement). */
export function varintField(number: number, value: bigint | number): Buffer {
  return Buffer.concat([varint(number * 8), varint(value)]);
}

export function varint(value: bigint | number): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? b : b | 0x80);
  } while (v !== 0n);
  return Buffer.from(out);
}

export interface RawFailure {
  readonly code: number;
  readonly details: string;
  readonly metadata: Metadata;
}

/**
 * Sends `bytes` to `path` (`/thinfleet.agent.v1.VolumeService/Batch`) on `client`'s channel;
 * resolves the response bytes, or rejects with the ServiceError.
 */
export function rawCall(client: Client, path: string, bytes: Buffer, deadlineMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      new Metadata(),
      { deadline: new Date(Date.now() + deadlineMs) },
      (err: ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res!)),
    );
  });
}
