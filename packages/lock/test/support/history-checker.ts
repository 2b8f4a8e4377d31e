/**
 * Checks a recorded history of lock nodes against the lock's invariants, after the fact.
 *
 * A history is what the nodes said (grants, releases, losses), what the test did to them
 * (deaths) and what a fenced resource saw (writes), each stamped with wall-clock ms. Per
 * session the events are ordered by `at` (one process's clock is monotonic); across sessions
 * `at` values are compared directly, which is sound on one host (see lock-node.ts).
 *
 * Per lock, with grants ordered by token, the checker reports:
 * - token-order: two grants with the same token, or a grant with a larger token reported before
 *   one with a smaller token;
 * - overlap: a grant while the previous holder still held the lock by its own account (it had
 *   not released it, lost it or died before the next grant);
 * - dirty: a grant with dirty = false although the previous grant was another session's, or the
 *   session's own grant ended without a release of its own (or there was no previous grant);
 * - write-not-held: a write whose writer did not hold the lock with that token when it wrote;
 * - fencing: accepted writes whose tokens go down (in the order the resource accepted them);
 * - stale-write: a write made after the lock was granted with a larger token;
 * - grant-after-loss (per session): a grant reported after the session reported a lost lock
 *   (a lost session is over: nothing it takes afterwards can be held).
 */
import type { FencedResource } from './fenced-resource.js';
import type { LockEvent } from './lock-node.js';

/** One thing that happened, as the checker needs it. */
export type HistoryEvent =
  | {
      readonly kind: 'grant';
      readonly session: string;
      readonly lock: string;
      readonly token: bigint;
      readonly dirty: boolean;
      readonly at: number;
    }
  /**
   * A release that released a held lock, at the time it began: the holder writes nothing under
   * the lock from then on, and the next holder may be granted it before the releasing node
   * hears that its release went through.
   */
  | { readonly kind: 'release'; readonly session: string; readonly lock: string; readonly at: number }
  /** The session said it lost the lock (its lease or deadline). */
  | { readonly kind: 'lost'; readonly session: string; readonly lock: string; readonly at: number }
  /** The session's process was killed, or frozen until after its lease ran out: it holds nothing from `at` on. */
  | { readonly kind: 'death'; readonly session: string; readonly at: number }
  /** A write offered to the fenced resource; accepted ones appear in the order accepted. */
  | {
      readonly kind: 'write';
      readonly session: string;
      readonly lock: string;
      readonly token: bigint;
      readonly accepted: boolean;
      readonly at: number;
    };

/** What a history held, for the test's log line. */
export interface HistorySummary {
  readonly grants: number;
  readonly releases: number;
  readonly losses: number;
  readonly deaths: number;
  readonly writesAccepted: number;
  readonly writesRefused: number;
}

/** The checker's verdict: each violation is one line starting with its property's name. */
export interface HistoryReport {
  readonly violations: string[];
  readonly summary: HistorySummary;
}

type Grant = Extract<HistoryEvent, { kind: 'grant' }>;
type Write = Extract<HistoryEvent, { kind: 'write' }>;
/** What ended a grant, by the holder's own account. */
type GrantEnd = Extract<HistoryEvent, { kind: 'release' | 'lost' | 'death' }>;

/**
 * Builds the history of a test from what each node printed, the deaths the test caused and the
 * writes a fenced resource saw (its writers must be the nodes' ids).
 *
 * @example
 * const history = historyOf([{ session: 'a', events: a.events }], agent, [{ session: 'a', at: killedAt }]);
 * expect(checkHistory(history).violations).toEqual([]);
 */
export function historyOf(
  nodes: readonly { readonly session: string; readonly events: readonly LockEvent[] }[],
  resource: FencedResource,
  deaths: readonly { readonly session: string; readonly at: number }[] = [],
): HistoryEvent[] {
  const history: HistoryEvent[] = [];
  for (const { session, events } of nodes) {
    for (const e of events) {
      if (e.event === 'granted') history.push({ kind: 'grant', session, lock: e.name, token: BigInt(e.token), dirty: e.dirty, at: e.at });
      else if (e.event === 'released' && e.released) history.push({ kind: 'release', session, lock: e.name, at: e.startedAt });
      else if (e.event === 'lost') history.push({ kind: 'lost', session, lock: e.name, at: e.at });
    }
  }
  for (const { session, at } of deaths) history.push({ kind: 'death', session, at });
  for (const w of resource.accepted) history.push({ kind: 'write', session: w.writer, lock: w.pool, token: w.token, accepted: true, at: w.at });
  for (const w of resource.refused) history.push({ kind: 'write', session: w.writer, lock: w.pool, token: w.token, accepted: false, at: w.at });
  return history;
}

/**
 * Checks `history` (see the module comment for the properties).
 *
 * @example
 * const report = checkHistory(history);
 * console.log(report.summary);
 * expect(report.violations).toEqual([]);
 */
export function checkHistory(history: readonly HistoryEvent[]): HistoryReport {
  const violations: string[] = [];
  const bySession = eventsBySession(history);
  const locks = new Set<string>();
  for (const e of history) if (e.kind !== 'death') locks.add(e.lock);

  for (const lock of [...locks].sort()) {
    const grants = history.filter((e): e is Grant => e.kind === 'grant' && e.lock === lock).sort((x, y) => compareBig(x.token, y.token));
    const writes = history.filter((e): e is Write => e.kind === 'write' && e.lock === lock);

    for (let i = 0; i < grants.length; i++) {
      const grant = grants[i]!;
      const previous = i > 0 ? grants[i - 1]! : undefined;
      if (previous !== undefined) {
        if (previous.token === grant.token) {
          violations.push(`token-order: ${lock} granted twice with token ${grant.token} (to ${previous.session} and ${grant.session})`);
        } else if (grant.at <= previous.at) {
          violations.push(
            `token-order: ${lock} granted to ${grant.session} with token ${grant.token} at ${ms(grant.at)}, not after its grant to ${previous.session} with the smaller token ${previous.token} at ${ms(previous.at)}`,
          );
        }
        const end = endOf(previous, bySession);
        if (end === undefined || end.at > grant.at) {
          violations.push(
            `overlap: ${lock} granted to ${grant.session} (token ${grant.token}) at ${ms(grant.at)} while ${previous.session} still held it (token ${previous.token}, ${end === undefined ? 'never let go' : `let go at ${ms(end.at)}`})`,
          );
        }
      }
      const cleanAllowed = previous !== undefined && previous.session === grant.session && endOf(previous, bySession)?.kind === 'release';
      if (!grant.dirty && !cleanAllowed) {
        const why =
          previous === undefined
            ? 'no earlier grant'
            : previous.session !== grant.session
              ? `${previous.session} held it before (token ${previous.token})`
              : `its own grant (token ${previous.token}) ended without a release`;
        violations.push(`dirty: ${lock} granted to ${grant.session} (token ${grant.token}) with dirty = false, but ${why}`);
      }
    }

    for (const write of writes) {
      const own = (bySession.get(write.session) ?? []).filter((e) => e.at <= write.at);
      let heldToken: bigint | null = null;
      for (const e of own) {
        if (e.kind === 'grant' && e.lock === lock) heldToken = e.token;
        else if (e.kind === 'death' || ((e.kind === 'release' || e.kind === 'lost') && e.lock === lock)) heldToken = null;
      }
      if (heldToken !== write.token) {
        violations.push(
          `write-not-held: ${write.session} wrote ${lock} with token ${write.token} at ${ms(write.at)} while ${heldToken === null ? 'not holding it' : `holding token ${heldToken}`}`,
        );
      }
      const newer = grants.find((g) => g.token > write.token && g.at < write.at);
      if (newer !== undefined) {
        violations.push(
          `stale-write: ${write.session} wrote ${lock} with token ${write.token} at ${ms(write.at)}, after ${newer.session} was granted it with token ${newer.token} at ${ms(newer.at)}`,
        );
      }
    }

    let newestAccepted: Write | undefined;
    for (const write of writes) {
      if (!write.accepted) continue;
      if (newestAccepted !== undefined && write.token < newestAccepted.token) {
        violations.push(`fencing: ${lock} accepted a write by ${write.session} with token ${write.token} after one by ${newestAccepted.session} with token ${newestAccepted.token}`);
      }
      if (newestAccepted === undefined || write.token > newestAccepted.token) newestAccepted = write;
    }
  }

  for (const [session, events] of bySession) {
    const loss = events.find((e) => e.kind === 'lost');
    if (loss === undefined) continue;
    for (const e of events.slice(events.indexOf(loss) + 1)) {
      if (e.kind === 'grant') {
        violations.push(`grant-after-loss: ${session} was granted ${e.lock} (token ${e.token}) at ${ms(e.at)}, after it lost its session at ${ms(loss.at)}`);
      }
    }
  }

  const count = (kind: HistoryEvent['kind']): number => history.filter((e) => e.kind === kind).length;
  return {
    violations,
    summary: {
      grants: count('grant'),
      releases: count('release'),
      losses: count('lost'),
      deaths: count('death'),
      writesAccepted: history.filter((e) => e.kind === 'write' && e.accepted).length,
      writesRefused: history.filter((e) => e.kind === 'write' && !e.accepted).length,
    },
  };
}

/** Each session's events ordered by time (stable: equal times keep the history's order). */
function eventsBySession(history: readonly HistoryEvent[]): Map<string, HistoryEvent[]> {
  const map = new Map<string, HistoryEvent[]>();
  for (const e of history) {
    let list = map.get(e.session);
    if (list === undefined) map.set(e.session, (list = []));
    list.push(e);
  }
  for (const list of map.values()) list.sort((x, y) => x.at - y.at);
  return map;
}

/** The first release or loss of the grant's lock by its session after the grant, or its death. */
function endOf(grant: Grant, bySession: ReadonlyMap<string, readonly HistoryEvent[]>): GrantEnd | undefined {
  const own = bySession.get(grant.session) ?? [];
  for (const e of own.slice(own.indexOf(grant) + 1)) {
    if (e.kind === 'death') return e;
    if ((e.kind === 'release' || e.kind === 'lost') && e.lock === grant.lock) return e;
  }
  return undefined;
}

function compareBig(x: bigint, y: bigint): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A wall-clock time for messages: seconds within the minute, to the ms. */
function ms(at: number): string {
  return `${((at % 60_000) / 1000).toFixed(3)}s`;
}
