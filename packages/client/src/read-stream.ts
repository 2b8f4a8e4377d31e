/**
 * A grpc-js server stream as an async generator, with failures as AgentCallError. Used by
 * AgentClient's watch calls.
 */
import type { CallOptions, ClientReadableStream } from '@grpc/grpc-js';
import { toAgentCallError } from './agent-call-error.js';

/**
 * Reads a server stream message by message. Ends after the last message on an OK status; throws
 * the call's status as an AgentCallError otherwise. Returning early cancels the call.
 */
export async function* readStream<T>(call: ClientReadableStream<T>): AsyncGenerator<T> {
  const queue: T[] = [];
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const waiting = wake;
    wake = null;
    waiting?.();
  };
  call.on('data', (message: T) => {
    queue.push(message);
    notify();
  });
  // 'end' comes after every message was delivered; an error status comes as 'error' (always
  // listened to, so a status that arrives after the caller left never goes unhandled).
  call.on('end', () => {
    ended = true;
    notify();
  });
  call.on('error', (err: unknown) => {
    failure ??= err;
    notify();
  });
  try {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (failure !== null) throw toAgentCallError(failure);
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    if (!ended && failure === null) call.cancel();
  }
}

/**
 * A server-streaming call as an async iterable: the call is opened (with a deadline
 * `deadlineMs` from now, none when undefined) when the caller starts iterating, and yields the
 * `field` of each message, skipping a null one. Leaving the loop early cancels the call.
 */
export function watchStream<K extends string, T>(
  deadlineMs: number | undefined,
  field: K,
  open: (callOptions: CallOptions) => ClientReadableStream<{ readonly [k in K]: T | null }>,
): AsyncIterable<T> {
  const callOptions: CallOptions = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
  return {
    async *[Symbol.asyncIterator]() {
      for await (const message of readStream(open(callOptions))) {
        const item = message[field];
        if (item !== null) yield item;
      }
    },
  };
}
