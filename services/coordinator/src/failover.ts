/**
 * Failover without a caller: a pool whose holder died (its grant was never released and its
 * session is gone from the lock's queue) and that is still wanted — the cluster index shows an
 * active volume or a running job on it, or it has a preferred host — is handed to a live host
 * that reaches it, without waiting for a client to call for it. The host is asked the way the
 * router asks (an `acquire/<node>/<pool>` request bound to that host's lease); it takes the
 * lock (after the lock delay), activates the pool, adopts the pool's marked jobs from their
 * checkpoints and reports the pool ready.
 *
 * When: at once when a session ends. Every coordinator watches the lock keys' deletes
 * (session-ends.ts): the revision in which etcd expires a lease deletes the session's owner record
 * and its queue keys together, so the pools it held are looked at as soon as the lease is gone
 * (their locks, indexed volumes and the failover decisions only, not every pool's). A sweep of
 * every pool (every `sweepMs`, 5 s by default, and at start) is the safety net for what no
 * session end announces: a decision whose host did not take the pool within `retryMs`, a pool
 * no live host reached when its holder died until a host that reaches it joins, a pool that
 * becomes wanted later, a session without an owner record, and a watch that reconnected or
 * failed (a sweep then, and the watch is opened again).
 *
 * Every coordinator does this, so the one that acts is decided in etcd, once per dead grant: the decision `failover/<pool>` and the acquire request are written in one
 * transaction that holds only if the decision key is unchanged since it was read. A decision
 * whose host did not take the pool within `retryMs` (or whose host's session is gone) is made
 * again, for another host when there is one. Decisions whose grant was followed by another are
 * deleted.
 *
 * Which host: the pool's preferred host when it is live and reaches the pool; otherwise the
 * reaching host that holds the fewest pools now (counting the pools this pass asks it to take,
 * so a dead host's pools are spread), ties to the node id that sorts first.
 *
 * Crash story: a coordinator that dies mid-sweep leaves at most a decision and its acquire
 * request (written together or not at all); the acquire request dies with the chosen host's
 * lease, and a decision left without effect is made again after `retryMs` by any coordinator.
 */
import { EventEmitter } from 'node:events';
import type { Etcd3, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import type { ClusterRegistry, FailoverClaim, HostRecord, IndexedVolume, LockView } from './registry.js';
import { watchSessionEnds, type SessionsEnded } from './session-ends.js';

export interface FailoverOptions {
  readonly registry: ClusterRegistry;
  readonly logger: Logger;
  /** Where the failovers this coordinator asks for are counted. */
  readonly metrics?: Pick<CoordinatorMetrics, 'failoverRequested'>;
  /**
   * The etcd client whose watch on the lock keys' deletes starts a failover as soon as a session
   * ends; without it only the sweep does (tests of the decisions alone).
   */
  readonly etcd?: Etcd3;
  /** How often every pool's lock is looked at, the safety net behind the watch (default 5 s). */
  readonly sweepMs?: number;
  /** How long a chosen host has to take the pool before another is asked (default 30 s). */
  readonly retryMs?: number;
  /** The clock decisions are stamped with (ms since the epoch); tests inject one. */
  readonly now?: () => number;
}

/** One hand-over the sweep asked for. */
export interface FailoverDecision {
  readonly pool: string;
  readonly node: string;
  /** The holder that died. */
  readonly previousHolder: string;
  /** Why the pool needs a holder: `active volumes`, `running jobs`, `preferred host`. */
  readonly reasons: readonly string[];
}

/** Why `pool` needs a holder, from the cluster index; empty when it does not. Pure. */
export function wantedBecause(pool: string, volumes: readonly IndexedVolume[], preferredHost: string | null): string[] {
  const mine = volumes.filter((v) => v.pool === pool);
  const reasons: string[] = [];
  if (mine.some((v) => v['active'] === true)) reasons.push('active volumes');
  if (mine.some((v) => typeof v['jobId'] === 'string' && v['jobId'] !== '')) reasons.push('running jobs');
  if (preferredHost !== null) reasons.push('preferred host');
  return reasons;
}

/**
 * The host to ask, among those that reach `pool`: the preferred one when it reaches it, else
 * the one holding the fewest pools (plus those `asked` counts for it: pools asked of it in the same
 * pass), ties by node id; `avoid` (a host asked before) only when no other reaches it. Pure. @returns null when no host reaches the pool
 */
export function chooseFailoverHost(
  pool: string,
  hosts: readonly HostRecord[],
  locks: ReadonlyMap<string, LockView>,
  preferredHost: string | null,
  avoid: string | null,
  asked: ReadonlyMap<string, number> = new Map(),
): HostRecord | null {
  const reaching = hosts.filter((h) => h.pools.some((p) => p.name === pool && p.uuid !== ''));
  const preferred = reaching.find((h) => h.nodeId === preferredHost && h.nodeId !== avoid);
  if (preferred !== undefined) return preferred;
  const held = (node: string): number => [...locks.values()].filter((l) => l.holder === node).length + (asked.get(node) ?? 0);
  const ranked = [...reaching].sort((a, b) => Number(a.nodeId === avoid) - Number(b.nodeId === avoid) || held(a.nodeId) - held(b.nodeId) || a.nodeId.localeCompare(b.nodeId));
  return ranked[0] ?? null;
}

/** For each pool, the live host that prefers it (joined with `--prefer`), first by node id. Pure. */
export function preferredHosts(hosts: readonly HostRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of [...hosts].sort((a, b) => a.nodeId.localeCompare(b.nodeId))) {
    for (const p of h.pools) if (p.preferred === true && p.uuid !== '' && !out.has(p.name)) out.set(p.name, h.nodeId);
  }
  return out;
}

/** What one pass decides from: a snapshot of the locks, hosts, indexed volumes and decisions. */
interface PassInput {
  readonly locks: ReadonlyMap<string, LockView>;
  readonly hosts: readonly HostRecord[];
  readonly volumes: readonly IndexedVolume[];
  readonly claims: ReadonlyMap<string, { claim: FailoverClaim; revision: string }>;
}

/** Why a pass ran: the timer's sweep of every pool, or a session that ended (the watch). */
export type FailoverTrigger = 'sweep' | 'session-ended';

export interface FailoverEvents {
  /** The watch on session ends is up (again): from here a lease's expiry starts a pass at once. */
  watching: [];
  /** A pass ended, with the hand-overs this coordinator asked for (often none). */
  pass: [FailoverTrigger, FailoverDecision[]];
}

/** How long a failed pass on a session end waits before it is tried again, and a failed watch before it is opened again. */
const RETRY_MS = 500;

export class FailoverSupervisor extends EventEmitter<FailoverEvents> {
  private readonly sweepMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private watcher: Watcher | null = null;
  /** The passes run one at a time, by this loop; null when idle. */
  private running: Promise<void> | null = null;
  private sweepDue = false;
  /** Pools of sessions that ended, waiting for the next pass. */
  private readonly endedPools = new Set<string>();
  private endedDue = false;
  private starting: Promise<void> | null = null;
  private stopped = false;
  /** `pool@grant` already warned about (no host reaches it), so the log says it once. */
  private readonly warned = new Set<string>();

  constructor(private readonly options: FailoverOptions) {
    super();
    this.sweepMs = options.sweepMs ?? 5_000;
    this.retryMs = options.retryMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Opens the watch on session ends, then sweeps at once and every `sweepMs` until `stop`. Idempotent. */
  start(): void {
    if (this.starting !== null || this.stopped) return;
    // The watch first, so a session that ends during the first sweep is not missed.
    this.starting = this.openWatch().finally(() => this.requestSweep());
  }

  /** Stops watching and sweeping; resolves when a pass in progress has ended. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => {});
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    await this.watcher?.cancel().catch(() => {});
    this.watcher = null;
    await this.running?.catch(() => {});
  }

  private async openWatch(): Promise<void> {
    const { etcd, registry, logger } = this.options;
    if (etcd === undefined || this.stopped) return;
    try {
      const watcher = await watchSessionEnds(etcd, registry.lockPrefix, {
        ended: (ended) => this.sessionsEnded(ended),
        resync: (why) => {
          logger.info({ why }, 'failover: the watch on session ends was interrupted; sweeping every pool');
          this.requestSweep();
          if (why === 'failed' && this.watcher === watcher) {
            this.watcher = null;
            this.retryTimer = setTimeout(() => void this.openWatch(), RETRY_MS).unref();
          }
        },
      });
      if (this.stopped) {
        await watcher.cancel().catch(() => {});
        return;
      }
      this.watcher = watcher;
      this.emit('watching');
    } catch (err) {
      if (this.stopped) return;
      logger.warn({ err }, 'failover: could not watch for session ends; sweeping until it can');
      this.retryTimer = setTimeout(() => void this.openWatch(), RETRY_MS).unref();
    }
  }

  private sessionsEnded(ended: SessionsEnded): void {
    for (const pool of ended.pools) this.endedPools.add(pool);
    // Even without pools: the session may be a host asked to take a pool (its decision is made again).
    this.endedDue = true;
    this.kick();
  }

  private requestSweep(): void {
    if (this.stopped) return;
    this.sweepDue = true;
    this.kick();
  }

  /** Runs the passes that are due, one after another, until none is. */
  private kick(): void {
    if (this.running !== null || this.stopped) return;
    this.running = (async () => {
      while (!this.stopped && (this.sweepDue || this.endedDue)) {
        if (this.sweepDue) {
          // A sweep looks at every pool, those of ended sessions included.
          this.sweepDue = this.endedDue = false;
          this.endedPools.clear();
          if (this.timer !== null) clearTimeout(this.timer);
          await this.pass('sweep', () => this.sweep());
          if (!this.stopped) this.timer = setTimeout(() => this.requestSweep(), this.sweepMs).unref();
        } else {
          const pools = [...this.endedPools];
          this.endedDue = false;
          this.endedPools.clear();
          const ok = await this.pass('session-ended', () => this.examine(pools));
          if (!ok && !this.stopped) {
            this.retryTimer = setTimeout(() => {
              for (const pool of pools) this.endedPools.add(pool);
              this.endedDue = true;
              this.kick();
            }, RETRY_MS).unref();
          }
        }
      }
    })().finally(() => {
      this.running = null;
    });
  }

  private async pass(trigger: FailoverTrigger, run: () => Promise<FailoverDecision[]>): Promise<boolean> {
    try {
      this.emit('pass', trigger, await run());
      return true;
    } catch (err) {
      this.options.logger.warn({ err, trigger }, 'failover pass failed; trying again');
      return false;
    }
  }

  /**
   * One look at every pool's lock; asks a host to take each wanted pool whose holder died.
   * @returns the hand-overs this coordinator asked for (another coordinator may have decided first)
   * @throws Error when etcd does not answer
   */
  async sweep(): Promise<FailoverDecision[]> {
    const { registry } = this.options;
    const [locks, hosts, volumes, claims] = await Promise.all([registry.lockViews(), registry.hosts(), registry.volumes(null), registry.failoverClaims()]);
    return this.decide({ locks, hosts, volumes, claims });
  }

  /**
   * The same look at `pools` (those of sessions that ended) and at the pools with a decision
   * (its host may be what ended), reading only their keys, the hosts and the decisions.
   * @returns the hand-overs this coordinator asked for
   * @throws Error when etcd does not answer
   */
  async examine(pools: readonly string[]): Promise<FailoverDecision[]> {
    const { registry } = this.options;
    // The ended session's pools are read beside the hosts and decisions, in one round trip; the
    // pools of decisions not among them (seldom any) in a second.
    const [hosts, claims, ended] = await Promise.all([registry.hosts(), registry.failoverClaims(), registry.lockViewsAndVolumesOf(pools)]);
    const more = [...claims.keys()].filter((pool) => !pools.includes(pool));
    const extra = more.length === 0 ? { locks: new Map<string, LockView>(), volumes: [] } : await registry.lockViewsAndVolumesOf(more);
    return this.decide({ locks: new Map([...ended.locks, ...extra.locks]), hosts, volumes: [...ended.volumes, ...extra.volumes], claims });
  }

  private async decide({ locks, hosts, volumes, claims }: PassInput): Promise<FailoverDecision[]> {
    const { registry, logger } = this.options;
    const preferred = preferredHosts(hosts);
    for (const [pool, { claim, revision }] of claims) {
      const last = locks.get(pool)?.lastGrant ?? null;
      if (last === null || last.revision !== claim.grant) await registry.deleteFailoverClaim(pool, revision);
    }
    // Decided from one snapshot, then claimed all at once: one etcd transaction each, and a
    // host's dead pools (100 in bench:cluster) should not wait for each other's round trips.
    const asks: Array<{ pool: string; chosen: HostRecord; last: NonNullable<LockView['lastGrant']>; existingRevision: string; reasons: string[] }> = [];
    const asked = new Map<string, number>();
    for (const [pool, lock] of locks) {
      const last = lock.lastGrant;
      if (lock.holder !== null || lock.waiters.length > 0 || last === null || last.released) continue;
      const preferredHost = preferred.get(pool) ?? null;
      const reasons = wantedBecause(pool, volumes, preferredHost);
      if (reasons.length === 0) continue;
      const existing = claims.get(pool);
      const sameGrant = existing !== undefined && existing.claim.grant === last.revision;
      if (sameGrant && hosts.some((h) => h.nodeId === existing.claim.node) && this.now() - existing.claim.atMs < this.retryMs) continue;
      const chosen = chooseFailoverHost(pool, hosts, locks, preferredHost, sameGrant ? existing.claim.node : null, asked);
      if (chosen === null) {
        if (!this.warned.has(`${pool}@${last.revision}`)) {
          this.warned.add(`${pool}@${last.revision}`);
          logger.warn({ pool, previousHolder: last.holder, reasons }, 'a pool whose holder died needs a host, but no host with a live session reaches it');
        }
        continue;
      }
      asked.set(chosen.nodeId, (asked.get(chosen.nodeId) ?? 0) + 1);
      asks.push({ pool, chosen, last, existingRevision: existing?.revision ?? '0', reasons });
    }
    const claimed = await Promise.all(
      asks.map(({ pool, chosen, last, existingRevision }) =>
        registry.claimFailover(pool, { grant: last.revision, node: chosen.nodeId, atMs: this.now() }, existingRevision, BigInt(`0x${chosen.session}`).toString()),
      ),
    );
    const decisions: FailoverDecision[] = [];
    asks.forEach(({ pool, chosen, last, reasons }, i) => {
      if (!claimed[i]) return;
      this.options.metrics?.failoverRequested();
      logger.info({ pool, node: chosen.nodeId, previousHolder: last.holder, reasons }, 'failover: asked a host to take a pool whose holder died');
      decisions.push({ pool, node: chosen.nodeId, previousHolder: last.holder, reasons });
    });
    return decisions;
  }
}
