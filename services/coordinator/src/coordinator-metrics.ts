/**
 * The coordinator's Prometheus metrics (prom-client): Node's default process metrics, the agent
 * sessions and pool locks held through this coordinator (read at each scrape), and counters of
 * lock grants, hand-overs, failovers and routed calls by outcome, each counted where it happens
 * (session-service.ts, failover.ts, router.ts).
 *
 * Values live in memory only: a restarted coordinator starts its counters at 0 (a counter reset
 * to Prometheus), and each coordinator of a cluster counts what it did itself.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** What the gauges read at each scrape. */
export interface CoordinatorMetricsSource {
  /** Agent sessions with a stream on this coordinator. */
  sessions(): number;
  /** Pool locks held by those sessions. */
  heldLocks(): number;
}

/** How a grant came about, from the lock's previous epoch. */
export interface GrantKind {
  /** The previous holder, if any (the same node when it takes its own pool again). */
  readonly previousHolder: string | null;
  /** The previous holder's lease ended without a release: it died. */
  readonly previousHolderDied: boolean;
}

/** The coordinator's metrics in a registry of their own. Construct one per coordinator. */
export class CoordinatorMetrics {
  /** The registry the metrics endpoint renders. */
  readonly registry = new Registry();
  private readonly grants: Counter;
  private readonly handovers: Counter;
  private readonly failovers: Counter;
  private readonly routed: Counter;

  constructor(source: CoordinatorMetricsSource) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const sessions: Gauge = new Gauge({
      name: 'thinfleet_coordinator_sessions',
      help: 'Agent sessions with a stream on this coordinator.',
      registers,
      collect: () => sessions.set(source.sessions()),
    });
    const held: Gauge = new Gauge({
      name: 'thinfleet_coordinator_held_locks',
      help: 'Pool locks held by the agent sessions on this coordinator.',
      registers,
      collect: () => held.set(source.heldLocks()),
    });
    this.grants = new Counter({ name: 'thinfleet_coordinator_lock_grants_total', help: 'Pool locks this coordinator granted to its agents.', registers });
    this.handovers = new Counter({ name: 'thinfleet_coordinator_handovers_total', help: 'Grants of a pool that another live host had released: hand-overs between hosts.', registers });
    this.failovers = new Counter({ name: 'thinfleet_coordinator_failovers_total', help: 'Pools whose holder died that this coordinator asked a live host to take.', registers });
    this.routed = new Counter({
      name: 'thinfleet_coordinator_routed_calls_total',
      help: 'Agent API calls routed by this coordinator, by method and outcome (OK, the error code, or the gRPC status).',
      labelNames: ['method', 'code'],
      registers,
    });
  }

  /** Counts a grant to the agent `nodeId`, and a hand-over when another live host released the pool. */
  lockGranted(nodeId: string, grant: GrantKind): void {
    this.grants.inc();
    if (grant.previousHolder !== null && grant.previousHolder !== nodeId && !grant.previousHolderDied) this.handovers.inc();
  }

  /** Counts a failover decision this coordinator made (it asked a host to take a dead holder's pool). */
  failoverRequested(): void {
    this.failovers.inc();
  }

  /** Counts one routed call of `method` that ended with `code` (`OK` on success). */
  routedCall(method: string, code: string): void {
    this.routed.inc({ method, code });
  }
}
