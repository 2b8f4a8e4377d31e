/**
 * What every RPC handler shares: the wire check of the request, in-flight tracking for clean
 * shutdown, one log record per call with the pool and volume it is about, the latency and error
 * metrics, and the one mapping of errors to gRPC statuses (agent-error.ts).
 */
import { performance } from 'node:perf_hooks';
import {
  status as grpcStatus,
  type Metadata,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { AgentError, ERROR_METADATA, statusName, toServiceError } from './agent-error.js';
import type { CallStageSink } from './call-stages.js';
import type { InFlight } from './in-flight.js';
import { LOCK_TOKEN_METADATA } from './pool-fencing.js';
import type { RequestIds } from './request-ids.js';
import { checkWire } from './wire-check.js';

/**
 * Decides whether a mutating call on a pool may run: PoolFencing on a standalone host (tokens
 * only where a pool has seen one), PoolOwnership in cluster mode (only pools this host holds,
 * with exactly the current grant's token). May return a function to call when the call ends.
 */
export interface CallAdmission {
  admit(pool: string, token: string | null, operation: string): Promise<(() => void) | void>;
}

export interface RpcContext {
  readonly logger: Logger;
  readonly inFlight: InFlight;
  /** Called once per call: the operation, its duration, and the failure's code (null on success). */
  readonly observe: (operation: string, durationSeconds: number, errorCode: string | null) => void;
  /** Lock tokens of shared pools, checked on every mutating call. */
  readonly fencing: CallAdmission;
  /** Answers retried mutating calls (same `request_id`) from their first attempt; none: ids are ignored. */
  readonly requestIds?: RequestIds;
  /** Per-stage timing of each call (benchmarks; call-stages.ts); none: not timed. */
  readonly stages?: CallStageSink;
}

/** A request that failed the wire check carries this key instead of its fields. */
const MALFORMED = Symbol('malformed request');

/** The pool, volume or job a request is about, for the log record. */
interface CallSubject {
  pool?: string;
  volume?: string;
  job?: string;
}

/** The pool, volume or job a request is about, for the log record. */
function subject(request: unknown): CallSubject {
  const raw = request as { pool?: unknown; name?: unknown; id?: unknown };
  // Log records carry at most a short prefix of what the caller sent.
  const short = (v: unknown): unknown => (typeof v === 'string' && v.length > 128 ? `${v.slice(0, 128)}…` : v);
  const r = { pool: short(raw.pool), name: short(raw.name), id: short(raw.id) };
  const out: CallSubject = {};
  if (typeof r.pool === 'string' && r.pool !== '') {
    out.pool = r.pool;
    if (typeof r.name === 'string' && r.name !== '') out.volume = r.name;
  } else if (typeof r.name === 'string' && r.name !== '') {
    out.pool = r.name;
  }
  if (typeof r.id === 'string' && r.id !== '') out.job = r.id;
  return out;
}

/** The BAD_REQUEST for a request the wire check marked (see wireCheckedDefinition), or null. */
export function malformedRequest(request: unknown): AgentError | null {
  const problem = (request as Record<symbol, { field: string; problem: string } | undefined>)[MALFORMED];
  return problem === undefined ? null : new AgentError('BAD_REQUEST', `${problem.field}: ${problem.problem}`, { field: problem.field });
}

function rejectMalformed(request: unknown): void {
  const problem = malformedRequest(request);
  if (problem !== null) throw problem;
}

const READ_ONLY = /^(List|Get|Discover|Watch|Read)/;

/** Operations admitted on the pool they change, `target_pool`, rather than `pool` (a copy runs on its destination's holder). */
const ADMITTED_ON_TARGET = new Set(['CopyVolume']);

/** The pool a mutating call is admitted on (see ADMITTED_ON_TARGET; a MoveVolume naming a host runs on its target's holder), or undefined. */
function admittedPool(operation: string, request: unknown, about: CallSubject): string | undefined {
  const toHost = operation === 'MoveVolume' && (request as { host?: unknown }).host !== '';
  if (!ADMITTED_ON_TARGET.has(operation) && !toHost) return about.pool;
  const target = (request as { targetPool?: unknown }).targetPool;
  return typeof target === 'string' && target !== '' ? target : undefined;
}

/** The call's lock token, when it carries one. */
function lockToken(metadata: Metadata): string | null {
  const value = metadata.get(LOCK_TOKEN_METADATA)[0];
  return value === undefined ? null : String(value);
}

/** The log level of a call's successful end: reads are debug, changes info. */
const okLevel = (readOnly: boolean): 'debug' | 'info' => (readOnly ? 'debug' : 'info');

/**
 * Runs one call: in-flight tracking, the malformed-request check, admission (fencing) of a
 * mutating call, then `fn`; records its duration and outcome (metric, log record). The log
 * record carries the call's operation and subject; it is built only when its level is enabled
 * (no per-call child logger).
 */
async function tracked<T>(ctx: RpcContext, operation: string, readOnly: boolean, request: unknown, about: CallSubject, metadata: Metadata, fn: () => Promise<T>): Promise<T> {
  const startedMs = performance.now();
  let done: (() => void) | null = null;
  let admitted: (() => void) | void = undefined;
  try {
    done = ctx.inFlight.enter();
    rejectMalformed(request);
    const admitPool = readOnly ? undefined : admittedPool(operation, request, about);
    if (admitPool !== undefined) admitted = await ctx.fencing.admit(admitPool, lockToken(metadata), operation);
    const admittedAt = ctx.stages === undefined ? 0 : performance.now();
    const result = await fn();
    const handledAt = performance.now();
    const seconds = (handledAt - startedMs) / 1000;
    ctx.observe(operation, seconds, null);
    const level = okLevel(readOnly);
    if (ctx.logger.isLevelEnabled(level)) ctx.logger[level]({ operation, ...about, durationMs: Math.round(seconds * 1e4) / 10 }, 'ok');
    if (ctx.stages !== undefined) {
      ctx.stages(operation, 'admit', admittedAt - startedMs);
      ctx.stages(operation, 'handler', handledAt - admittedAt);
      ctx.stages(operation, 'finish', performance.now() - handledAt);
    }
    return result;
  } catch (err) {
    const seconds = (performance.now() - startedMs) / 1000;
    const status = toServiceError(err);
    const code = status.metadata.get(ERROR_METADATA.code)[0];
    ctx.observe(operation, seconds, typeof code === 'string' ? code : statusName(status.code));
    const level = status.code === grpcStatus.INTERNAL ? 'error' : 'warn';
    ctx.logger[level]({ operation, ...about, durationMs: Math.round(seconds * 1e4) / 10, status: statusName(status.code), code, err }, 'failed');
    throw err;
  } finally {
    admitted?.();
    done?.();
  }
}

/**
 * A unary handler running `fn`; its error, whatever it is, becomes the call's status. What
 * depends only on `operation` (whether it reads or changes) is decided here, once.
 */
export function unary<Req, Res>(ctx: RpcContext, operation: string, fn: (request: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
  const readOnly = READ_ONLY.test(operation);
  const requestIds = readOnly ? undefined : ctx.requestIds;
  return (call, callback) => {
    const request = call.request as Req & { requestId?: unknown };
    const about = subject(request);
    const run = (): Promise<Res> => fn(request);
    const once = requestIds === undefined ? run : (): Promise<Res> => requestIds.run(about.pool ?? '', operation, request, request.requestId, run);
    tracked(ctx, operation, readOnly, call.request, about, call.metadata, once).then(
      (response) => callback(null, response),
      (err: unknown) => callback(toServiceError(err)),
    );
  };
}

/**
 * A server-streaming handler: `fn` writes to the stream and resolves when the stream should
 * end; its error becomes the status. Streams are not counted in flight (watching is not work):
 * shutdown ends them (see JobService).
 */
export function serverStream<Req, Res>(ctx: RpcContext, operation: string, fn: (request: Req, call: ServerWritableStream<Req, Res>) => Promise<void>): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const log = ctx.logger.child({ operation, ...subject(call.request) });
    Promise.resolve()
      .then(() => {
        rejectMalformed(call.request);
        return fn(call.request, call);
      })
      .then(
        () => call.end(),
        (err: unknown) => {
          const status = toServiceError(err);
          log.warn({ status: statusName(status.code), err }, 'stream failed');
          call.emit('error', status);
        },
      );
  };
}

/**
 * `definition` with each request checked on the wire before decoding (wire-check.ts); a bad
 * request reaches its handler marked, and the handler answers INVALID_ARGUMENT naming the field.
 */
export function wireCheckedDefinition(definition: ServiceDefinition<UntypedServiceImplementation>, stages?: CallStageSink): ServiceDefinition<UntypedServiceImplementation> {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(definition)) {
    const type = (method as unknown as { requestType?: { type?: Parameters<typeof checkWire>[1] } }).requestType?.type;
    const original = method.requestDeserialize;
    // `/thinfleet.agent.v1.VolumeService/Batch`: request types resolve in the service's package.
    const scope = method.path.replace(/^\//, '').split('/')[0]!.split('.').slice(0, -1).join('.');
    const deserialize = (bytes: Buffer): unknown => {
      const problem = type === undefined ? null : checkWire(bytes, type, scope);
      return problem === null ? (original(bytes) as unknown) : { [MALFORMED]: problem };
    };
    out[name] = { ...method, requestDeserialize: stages === undefined ? deserialize : timedDeserialize(name, stages, type, scope, original) };
    if (stages !== undefined) out[name].responseSerialize = timedSerialize(name, stages, method.responseSerialize);
  }
  return out as ServiceDefinition<UntypedServiceImplementation>;
}

/** requestDeserialize of wireCheckedDefinition, timing the wire check and the decoding apart. */
function timedDeserialize(
  operation: string,
  stages: CallStageSink,
  type: Parameters<typeof checkWire>[1] | undefined,
  scope: string,
  original: (bytes: Buffer) => unknown,
): (bytes: Buffer) => unknown {
  return (bytes) => {
    const t0 = performance.now();
    const problem = type === undefined ? null : checkWire(bytes, type, scope);
    const t1 = performance.now();
    stages(operation, 'wire-check', t1 - t0);
    if (problem !== null) return { [MALFORMED]: problem };
    const request = original(bytes);
    stages(operation, 'decode', performance.now() - t1);
    return request;
  };
}

/** A responseSerialize timing the encoding. */
function timedSerialize(operation: string, stages: CallStageSink, original: (value: unknown) => Buffer): (value: unknown) => Buffer {
  return (value) => {
    const t0 = performance.now();
    const bytes = original(value);
    stages(operation, 'encode', performance.now() - t0);
    return bytes;
  };
}
