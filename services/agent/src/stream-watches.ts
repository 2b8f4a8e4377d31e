/**
 * What every watch stream of the agent shares (WatchJob, WatchPoolEvents): one watch runs until
 * its source ends it, the client cancels, or the agent shuts down, and ends exactly once. At
 * shutdown every open watch ends with UNAVAILABLE (SHUTTING_DOWN); the client watches again
 * after the restart.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import { AgentError } from './agent-error.js';

/** The open watches of one kind, so shutdown can end them all. */
export class StreamWatches {
  private readonly stops = new Set<() => void>();

  /** Ends every open watch (agent shutdown). */
  endAll(): void {
    for (const stop of [...this.stops]) stop();
  }

  /** Registers a watch's stop; returns what removes it again. */
  track(stop: () => void): () => void {
    this.stops.add(stop);
    return () => this.stops.delete(stop);
  }
}

/**
 * Runs one watch on `call`: `start(end)` subscribes to the source and returns its unsubscribe;
 * the source calls `end()` when it is done (or `end(err)` to fail the stream). Resolves (the
 * stream ends OK) or rejects (its status) once, after unsubscribing, whichever comes first of
 * the source's end, the client's cancel, and `watches.endAll()` (SHUTTING_DOWN, `again` saying
 * what to do after the restart).
 */
export function runWatch<Req, Res>(call: ServerWritableStream<Req, Res>, watches: StreamWatches, again: string, start: (end: (err?: Error) => void) => () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let unsubscribe: () => void = () => {};
    const end = (err?: Error): void => {
      if (settled) return;
      settled = true;
      unsubscribe();
      untrack();
      if (err) reject(err);
      else resolve();
    };
    const untrack = watches.track(() => end(new AgentError('SHUTTING_DOWN', `the agent is shutting down; ${again}`)));
    call.on('cancelled', () => end());
    unsubscribe = start(end);
    if (settled) unsubscribe();
  });
}
