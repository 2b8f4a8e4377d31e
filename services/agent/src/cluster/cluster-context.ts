/**
 * What the parts of a cluster node (cluster-node.ts, handover-scheduler.ts, grant-activation.ts)
 * share: the agent's services, the pool states, the session, and the node's per-pool mutex.
 * Built once by ClusterNode; nothing in it is durable but what `persist` writes.
 */
import type { Engine } from '@thinfleet/engine';
import type { Logger } from 'pino';
import type { HostPools } from '../host-pools.js';
import type { JobManager } from '../jobs/index.js';
import type { PoolFencing } from '../pool-fencing.js';
import type { CoordinatorSession } from './coordinator-session.js';
import type { LeaseWatchdog } from './lease-watchdog.js';
import type { PoolOwnership } from './pool-ownership.js';
import type { SessionClock } from './session-clock.js';

/** The shared services and state of one cluster node; its parts hold it, never copy out of it. */
export interface ClusterContext {
  readonly engine: Engine;
  readonly pools: HostPools;
  readonly jobs: JobManager;
  readonly fencing: PoolFencing;
  readonly ownership: PoolOwnership;
  readonly session: CoordinatorSession;
  /** The host watchdog coupled to the lease (a no-op with fencing "none"). */
  readonly watchdog: LeaseWatchdog;
  /** The node's logger (child with the node id). */
  readonly log: Logger;
  readonly clock: SessionClock;
  /** How often a contended pool that is busy, or a failed release, is tried again (ms). */
  readonly retryMs: number;
  /** True once the node stops (no new work, no new timers). */
  stopping(): boolean;
  /** Runs `fn` under `pool`'s mutex: one change of a pool's state at a time. Not reentrant. */
  serial<T>(pool: string, fn: () => Promise<T>): Promise<T>;
  /** Writes cluster-session.json (the session id and the held tokens) durably. */
  persist(): Promise<void>;
}
