/**
 * Failover without a caller: a pool whose holder died (its grant was never released and its
 * session is gone from the lock's queue) and that is still wanted — the cluster index shows an
 * active volume or a running job on it, or it has a preferred host — is handed to a live host
 * that reaches it, without waiting for a client to call for it. The host is asked the way the
 * router asks (an `acquire/<node>/<pool>` request bound to that host's lease); it takes the
 * lock (after the lock delay), activates the pool, adopts the pool's marked jobs from their
 * checkpoints and reports the pool ready.
 *
 * Every coordinator sweeps (every `sweepMs`), so the one that acts is decided in etcd, once per
 * dead grant: the decision `failover/<pool>` and the acquire request are written in one
 * transaction that holds only if the decision key is unchanged since it was read. A decision
 * whose host did not take the pool within `retryMs` (or whose host's session is gone) is made
 * again, for another host when there is one. Decisions whose grant was followed by another are
 * deleted.
 *
 * Which host: the pool's preferred host when it is live and reaches the pool; otherwise the
 * reaching host that holds the fewest pools now, ties to the node id that sorts first.
 *
 * Crash story: a coordinator that dies mid-sweep leaves at most a decision and its acquire
 * request (written together or not at all); the acquire request dies with the chosen host's
 * lease, and a decision left without effect is made again after `retryMs` by any coordinator.
 */
import type { Logger } from 'pino';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import type { ClusterRegistry, HostRecord, IndexedVolume, LockView } from './registry.js';

export interface FailoverOptions {
  readonly registry: ClusterRegistry;
  readonly logger: Logger;
  /** Where the failovers this coordinator asks for are counted. */
  readonly metrics?: Pick<CoordinatorMetrics, 'failoverRequested'>;
  /** How often the locks are looked at (default 500 ms). */
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
 * the one holding the fewest pools, ties by node id; `avoid` (a host asked before) only when
 * no other reaches it. Pure. @returns null when no host reaches the pool
 */
export function chooseFailoverHost(pool: string, hosts: readonly HostRecord[], locks: ReadonlyMap<string, LockView>, preferredHost: string | null, avoid: string | null): HostRecord | null {
  const reaching = hosts.filter((h) => h.pools.some((p) => p.name === pool && p.uuid !== ''));
  const preferred = reaching.find((h) => h.nodeId === preferredHost && h.nodeId !== avoid);
  if (preferred !== undefined) return preferred;
  const held = (node: string): number => [...locks.values()].filter((l) => l.holder === node).length;
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

export class FailoverSupervisor {
  private readonly sweepMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** `pool@grant` already warned about (no host reaches it), so the log says it once. */
  private readonly warned = new Set<string>();

  constructor(private readonly options: FailoverOptions) {
    this.sweepMs = options.sweepMs ?? 500;
    this.retryMs = options.retryMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** Sweeps every `sweepMs` until `stop`. Idempotent. */
  start(): void {
    if (this.timer !== null || this.stopped) return;
    const tick = (): void => {
      this.current = this.sweep()
        .catch((err: unknown) => this.options.logger.warn({ err }, 'failover sweep failed; trying again'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.sweepMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  /** Stops sweeping; resolves when a sweep in progress has ended. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.current.catch(() => {});
  }

  /**
   * One look at every pool's lock; asks a host to take each wanted pool whose holder died.
   * @returns the hand-overs this coordinator asked for (another coordinator may have decided first)
   * @throws Error when etcd does not answer
   */
  async sweep(): Promise<FailoverDecision[]> {
    const { registry, logger } = this.options;
    const [locks, hosts, volumes, claims] = await Promise.all([registry.lockViews(), registry.hosts(), registry.volumes(null), registry.failoverClaims()]);
    const preferred = preferredHosts(hosts);
    for (const [pool, { claim, revision }] of claims) {
      const last = locks.get(pool)?.lastGrant ?? null;
      if (last === null || last.revision !== claim.grant) await registry.deleteFailoverClaim(pool, revision);
    }
    // Decided from one snapshot, then claimed all at once: one etcd transaction each, and a
    // host's dead pools (100 in bench:cluster) should not wait for each other's round trips.
    const asks: Array<{ pool: string; chosen: HostRecord; last: NonNullable<LockView['lastGrant']>; existingRevision: string; reasons: string[] }> = [];
    for (const [pool, lock] of locks) {
      const last = lock.lastGrant;
      if (lock.holder !== null || lock.waiters.length > 0 || last === null || last.released) continue;
      const preferredHost = preferred.get(pool) ?? null;
      const reasons = wantedBecause(pool, volumes, preferredHost);
      if (reasons.length === 0) continue;
      const existing = claims.get(pool);
      const sameGrant = existing !== undefined && existing.claim.grant === last.revision;
      if (sameGrant && hosts.some((h) => h.nodeId === existing.claim.node) && this.now() - existing.claim.atMs < this.retryMs) continue;
      const chosen = chooseFailoverHost(pool, hosts, locks, preferredHost, sameGrant ? existing.claim.node : null);
      if (chosen === null) {
        if (!this.warned.has(`${pool}@${last.revision}`)) {
          this.warned.add(`${pool}@${last.revision}`);
          logger.warn({ pool, previousHolder: last.holder, reasons }, 'a pool whose holder died needs a host, but no host with a live session reaches it');
        }
        continue;
      }
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
