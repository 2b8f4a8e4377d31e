/**
 * One unary grpc-js call as a promise: a deadline, optional request metadata, and failures as
 * AgentCallError. Shared by AgentClient and CoordinatorClient.
 */
import { Metadata, type CallOptions, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { AgentCallError, toAgentCallError } from './agent-call-error.js';

/** Starts a call on a grpc-js client with the given metadata and options. */
export type UnaryStarter<Res> = (metadata: Metadata, options: CallOptions, callback: (err: ServiceError | null, value?: Res) => void) => ClientUnaryCall;

/**
 * Runs `start` with a deadline `deadlineMs` from now and `metadata` (string values) as request
 * headers. Resolves to the response message; rejects with an AgentCallError (a missing response
 * message, which only a broken server sends, becomes UNKNOWN).
 */
export function unaryCall<Res>(start: UnaryStarter<Res>, deadlineMs: number, metadata: Readonly<Record<string, string>> = {}): Promise<Res> {
  const headers = new Metadata();
  for (const [key, value] of Object.entries(metadata)) headers.set(key, value);
  return new Promise<Res>((resolve, reject) => {
    start(headers, { deadline: Date.now() + deadlineMs }, (err, value) => {
      if (err !== null) reject(toAgentCallError(err));
      else if (value === undefined) reject(toAgentCallError(new Error('the server sent no response message')));
      else resolve(value);
    });
  });
}

/**
 * Runs `call`, and again after 250 ms (doubling to 2 s) while it fails UNAVAILABLE and `retryMs`
 * since the first attempt leave room for the pause (see RetryOptions in client-options.ts). Other
 * failures, and the last UNAVAILABLE, are thrown as they are. `retryMs` 0: one attempt.
 */
export async function retryUnavailable<T>(retryMs: number, call: () => Promise<T>): Promise<T> {
  const untilMs = Date.now() + retryMs;
  for (let delayMs = 250; ; delayMs = Math.min(2000, delayMs * 2)) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof AgentCallError) || !err.isUnavailable || Date.now() + delayMs > untilMs) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
