/**
 * Per-stage timing of the agent's RPCs, for benchmarks (test/bench/agent.bench.mjs): where the
 * agent's own time goes on a call, apart from grpc-js and the engine. Off unless a sink is
 * given to Agent.start (`callStages`); off, each stage costs one check of an undefined field.
 */

/**
 * The stages of a unary call on the server, in order:
 * - `wire-check`: the strict walk over the request's bytes (wire-check.ts);
 * - `decode`: protobufjs decoding the request into an object;
 * - `admit`: before the handler: in-flight tracking, the malformed-request check, the fencing
 *   admission (lock token), the call's log context;
 * - `handler`: the handler itself, with the request-id lookup, the field checks, the engine's
 *   work and building the response message;
 * - `finish`: after the handler: the duration metric and the log record;
 * - `encode`: protobufjs encoding the response.
 */
export type CallStage = 'wire-check' | 'decode' | 'admit' | 'handler' | 'finish' | 'encode';

/** Receives each stage's duration, in milliseconds, with the RPC's name (`SnapshotVolume`). Must not throw. */
export type CallStageSink = (operation: string, stage: CallStage, durationMs: number) => void;
