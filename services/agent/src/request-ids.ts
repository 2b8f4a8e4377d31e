/**
 * Answers a retried mutating call from its first attempt. A client that lost an answer (its
 * deadline passed, the connection dropped, it was cancelled) cannot tell whether the call
 * committed: the agent finishes a call it has started even when the caller has gone. Sending
 * the same `request_id` again returns the first attempt's answer instead of running it again
 * (which would fail with NAME_EXISTS, or delete a second time).
 *
 * Scope and lifetime (docs/agent.md, Request ids): ids are remembered per pool (host-wide for
 * calls without one, such as CancelJob), in memory, for REMEMBER_MS after the call ended, at most
 * MAX_PER_SCOPE ids and MAX_BYTES_PER_SCOPE of answers per scope (the oldest are forgotten first). Only successes are remembered: a
 * refused or failed call changed nothing (or says what it left), so its retry runs again. Ids
 * are not kept across an agent restart or a pool moving to another host: a retry then runs
 * again and may fail as a first attempt would (NAME_EXISTS for a create that had committed).
 * Reusing an id for a different request is refused (INVALID_ARGUMENT, field `request_id`).
 */
import { createHash } from 'node:crypto';
import { badRequest } from './agent-error.js';

/** How long an answered id is remembered, in milliseconds. */
export const REMEMBER_MS = 10 * 60 * 1000;
/** Ids remembered per pool. */
export const MAX_PER_SCOPE = 1000;
/** Answers remembered per pool, in bytes (their JSON size): a few 10000-op batch answers. */
export const MAX_BYTES_PER_SCOPE = 64 * 1024 * 1024;
/** Longest request id, in bytes. */
export const MAX_REQUEST_ID_BYTES = 128;

interface Entry {
  readonly operation: string;
  readonly fingerprint: string;
  /** The first attempt: pending while it runs. */
  readonly answer: Promise<unknown>;
  /** When the first attempt ended; null while it runs. */
  endedMs: number | null;
  /** The answer's size in bytes (JSON), once it ended. */
  bytes: number;
}

/** The ids remembered in one scope (a pool), oldest first, with what trimming them needs. */
interface Scope {
  readonly entries: Map<string, Entry>;
  /** Sum of the ended entries' `bytes`. */
  bytes: number;
  /** The earliest time an ended entry may be forgotten (its endedMs + REMEMBER_MS); Infinity when none has ended. */
  nextExpiryMs: number;
}

export class RequestIds {
  private readonly scopes = new Map<string, Scope>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  /**
   * Runs `run` for a request carrying `requestId`, or answers from an earlier attempt with the
   * same id in `scope`: its response when it succeeded (or the same pending promise while it
   * runs). Without an id, just runs it. Costs a digest of the request per call; forgetting old
   * ids costs nothing per call until one is due (no walk over the remembered ids).
   * @throws AgentError BAD_REQUEST (field `request_id`) for a malformed id, or an id used
   *   before for a different request
   */
  async run<T>(scope: string, operation: string, request: object, requestId: unknown, run: () => Promise<T>): Promise<T> {
    if (requestId === undefined || requestId === null || requestId === '') return run();
    const id = checkRequestId(requestId);
    const s = this.scope(scope);
    this.trim(s);
    const fingerprint = fingerprintOf(request);
    const earlier = s.entries.get(id);
    if (earlier !== undefined) {
      if (earlier.operation !== operation || earlier.fingerprint !== fingerprint) {
        throw badRequest('request_id', `was used for a different request (${earlier.operation}); use a new id for each request`);
      }
      return earlier.answer as Promise<T>;
    }
    const answer = run();
    const entry: Entry = { operation, fingerprint, answer, endedMs: null, bytes: 0 };
    s.entries.set(id, entry);
    this.trim(s);
    answer.then(
      (response) => {
        entry.endedMs = this.nowMs();
        entry.bytes = JSON.stringify(response ?? null).length;
        // An entry trimmed while it ran is not counted.
        if (s.entries.get(id) !== entry) return;
        s.bytes += entry.bytes;
        s.nextExpiryMs = Math.min(s.nextExpiryMs, entry.endedMs + REMEMBER_MS);
        this.trim(s);
      },
      () => {
        if (s.entries.get(id) === entry) s.entries.delete(id);
      },
    );
    return answer;
  }

  /** Ids remembered now in `scope` (tests, metrics). */
  size(scope: string): number {
    const s = this.scopes.get(scope);
    if (s !== undefined) this.trim(s);
    return s?.entries.size ?? 0;
  }

  private scope(name: string): Scope {
    let s = this.scopes.get(name);
    if (s === undefined) {
      s = { entries: new Map(), bytes: 0, nextExpiryMs: Number.POSITIVE_INFINITY };
      this.scopes.set(name, s);
    }
    return s;
  }

  /**
   * Forgets ended entries older than REMEMBER_MS (walking the scope only when one is due), then
   * the oldest while more than MAX_PER_SCOPE or MAX_BYTES_PER_SCOPE are kept.
   */
  private trim(s: Scope): void {
    const now = this.nowMs();
    if (now - s.nextExpiryMs > 0) {
      s.nextExpiryMs = Number.POSITIVE_INFINITY;
      for (const [id, e] of s.entries) {
        if (e.endedMs === null) continue;
        if (now - e.endedMs > REMEMBER_MS) {
          s.entries.delete(id);
          s.bytes -= e.bytes;
        } else {
          s.nextExpiryMs = Math.min(s.nextExpiryMs, e.endedMs + REMEMBER_MS);
        }
      }
    }
    for (const [id, e] of s.entries) {
      if (s.entries.size <= MAX_PER_SCOPE && s.bytes <= MAX_BYTES_PER_SCOPE) break;
      s.entries.delete(id);
      if (e.endedMs !== null) s.bytes -= e.bytes;
    }
  }
}

/** A request id: 1 to MAX_REQUEST_ID_BYTES bytes of printable ASCII. */
function checkRequestId(value: unknown): string {
  if (typeof value !== 'string' || !/^[!-~]+$/.test(value)) throw badRequest('request_id', 'must be printable ASCII without spaces (a UUID, for example)');
  if (value.length > MAX_REQUEST_ID_BYTES) throw badRequest('request_id', `must be at most ${MAX_REQUEST_ID_BYTES} bytes, got ${value.length}`);
  return value;
}

/** A digest of the request without its id (fields come in their declared order). */
function fingerprintOf(request: object): string {
  const { requestId: _ignored, ...rest } = request as Record<string, unknown>;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}
