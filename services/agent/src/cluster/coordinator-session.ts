/**
 * The agent's session with the coordinator: one bidirectional stream (SessionService.Connect,
 * proto/thinfleet/coordinator/v1/session.proto) carrying the lease's keepalives and the pool
 * locks' takes and releases, and the coordinator's pushes (contention, acquire, session lost).
 *
 * - Hello (node id, advertised address, the session to resume, this host's pools, version, the
 *   cluster id, its fencing and watchdog timeout) opens every stream; the Welcome names the
 *   session (the etcd lease), its TTL and margin, the cluster's id and its watchdog timeout.
 *   Every timing comes from the Welcome, none from configuration.
 * - A Welcome from another cluster (its id differs from the one this host saved) is not used: the
 *   stream is dropped and the next coordinator tried, with an error in the log.
 * - KeepAlive{seq} goes out at once after the Welcome and then every TTL/3; each acknowledged one
 *   moves the lease deadline (lease-deadline.ts) on the monotonic clock.
 * - A stream that ends or fails is opened again after a backoff (200 ms doubling to 2 s, cockatiel's
 *   ExponentialBackoff without jitter; it starts again from the minimum after each Welcome) with
 *   `resume_session`, to the next of the configured coordinators (round robin); the deadline
 *   keeps running meanwhile, so pools stay held across a short cut or a coordinator's death as
 *   long as a keepalive is acknowledged in time. A Welcome is awaited at most TTL/6 once a TTL is
 *   known (TTL/3 with a single coordinator; 5 s before), and with several coordinators a keepalive unanswered for TTL/6 drops the
 *   stream too (a coordinator that hangs), leaving time to resume at the next before the deadline;
 *   while the lease holds, no reconnect waits longer than TTL/6 either.
 * - The session is lost when the deadline passes, when the coordinator sends SessionLost, or
 *   when a Welcome says a resume attempt was not resumed. `onLost` then runs at once (the owner
 *   fences every pool the session held) and the next stream starts a new session.
 * - `take` and `release` return promises keyed by request id. A stream that breaks fails the
 *   ones pending with CLUSTER_UNAVAILABLE (the caller may retry); a Granted that arrives for a
 *   request no one waits for any more is released at once, so the session never holds a lock
 *   its owner does not know of.
 *
 * Crash story: nothing here is durable; the owner (cluster-node.ts) keeps the session id and
 * the held pools in cluster-session.json and passes the id back as `resumeSession`.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import type { AgentMessage, CoordinatorMessage__Output, HostPool } from '@thinfleet/proto';
import { ExponentialBackoff, noJitterGenerator, type IBackoff } from 'cockatiel';
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.js';
import type { TlsClientFiles } from '../agent-config.js';
import { CoordinatorEndpoints } from './coordinator-endpoints.js';
import { LeaseDeadline } from './lease-deadline.js';
import { PendingRequests } from './pending-requests.js';
import { systemClock, type SessionClock } from './session-clock.js';

/** What a Granted says. */
export interface Grant {
  readonly pool: string;
  readonly token: bigint;
  /** Another host may have held the pool since this session last released it. */
  readonly dirty: boolean;
  readonly previousHolderDied: boolean;
  readonly previousHolder: string;
}

/** What the session tells its owner. Each runs synchronously from the stream's data handler. */
export interface SessionEvents {
  /** A Welcome arrived: the stream is usable. `resumed`: the session (and every lock it held) was kept. */
  onWelcome(welcome: {
    readonly session: string;
    readonly resumed: boolean;
    readonly coordinator: string;
    readonly clusterId: string;
    readonly watchdogTimeoutSeconds: number;
    readonly deadlineMs: number;
  }): void;
  /** An acknowledged keepalive moved the deadline. */
  onRenewed(deadlineMs: number): void;
  /** The session is gone: stop writing to every pool it held, now. */
  onLost(reason: string): void;
  /** The coordinator asks this host to take `pool` and serve it. */
  onAcquire(pool: string): void;
  /** Another host queued for `pool`, which this session holds. */
  onContention(pool: string, waiters: number): void;
  /** The stream broke (it is being opened again). */
  onDisconnected(error: Error | null): void;
}

export interface CoordinatorSessionOptions {
  /** The coordinators' `host:port`s, tried in turn (at least one). */
  readonly addresses: readonly string[];
  /** The cluster id this host saved from an earlier Welcome ('' for none: the first Welcome's is taken). */
  readonly clusterId?: string;
  readonly tls: TlsClientFiles | null;
  readonly nodeId: string;
  /** Where the coordinator reaches this agent. */
  readonly advertise: string;
  readonly version: string;
  /** The session to resume on the first stream ('' for a new one). */
  readonly resumeSession: string;
  /** This host's pools, for Hello and PoolReport. */
  readonly pools: () => Promise<HostPool[]>;
  /** This host's fencing for the Hello: "watchdog" or "none", and the device's timeout once known (0 before). */
  readonly fencing?: () => { readonly fencing: string; readonly watchdogTimeoutSeconds: number };
  readonly events: SessionEvents;
  readonly logger: Logger;
  readonly clock?: SessionClock;
  /** Reconnect backoff: the first delay after a Welcome, doubling per failed stream up to `max` (default 200 ms doubling to 2000 ms). */
  readonly backoffMs?: { readonly min: number; readonly max: number };
}

/** How long a stream may wait for its Welcome before it is opened again, until a Welcome told the TTL. */
const WELCOME_TIMEOUT_MS = 5000;

export class CoordinatorSession {
  private readonly endpoints: CoordinatorEndpoints;
  /** The oldest keepalive on the current stream not yet acknowledged, or null. */
  private unacked: number | null = null;
  private readonly clock: SessionClock;
  private readonly lease = new LeaseDeadline();
  private readonly log: Logger;
  private readonly pending = new PendingRequests();
  private call: ClientDuplexStream<AgentMessage, CoordinatorMessage__Output> | null = null;
  /** The session id to give as resume_session; '' once lost. */
  private session: string;
  /** The resume_session the current stream's Hello carried. */
  private resumeAttempt = '';
  private welcomed = false;
  private coordinatorId = '';
  private closed = false;
  private started = false;
  private seq = 0;
  /** Reconnect delays: `min` doubling to `max`, no jitter. */
  private readonly backoffs: ExponentialBackoff<number>;
  /** The delay before the next reconnect; back to the first after each Welcome. */
  private backoff: IBackoff<unknown>;
  private cancelKeepAlive: () => void = () => {};
  private cancelDeadline: () => void = () => {};
  private cancelReconnect: () => void = () => {};
  private cancelWelcomeWait: () => void = () => {};
  private cancelAnswerWait: () => void = () => {};

  constructor(private readonly options: CoordinatorSessionOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger;
    this.session = options.resumeSession;
    this.backoffs = new ExponentialBackoff({ generator: noJitterGenerator, initialDelay: options.backoffMs?.min ?? 200, maxDelay: options.backoffMs?.max ?? 2000, exponent: 2 });
    this.backoff = this.backoffs.next();
    this.endpoints = new CoordinatorEndpoints(options.addresses, options.tls, options.clusterId ?? '');
  }

  /** The coordinator the current stream goes to. */
  get address(): string {
    return this.endpoints.address;
  }

  /** The cluster's id from the first accepted Welcome (or as saved); '' before any. */
  get clusterId(): string {
    return this.endpoints.clusterId;
  }

  /** Why the last Welcome was not used (it came from another cluster); null when the last one was. */
  get refused(): string | null {
    return this.endpoints.refused;
  }

  /** The current session id ('' before the first Welcome, and after a loss until the next). */
  get sessionId(): string {
    return this.session;
  }

  /** The lease deadline on the session clock (0: nothing is held). */
  get deadlineMs(): number {
    return this.lease.deadlineMs;
  }

  /** The lease's TTL from the last Welcome, in ms (0 before any). */
  get leaseTtlMs(): number {
    return this.lease.leaseTtlMs;
  }

  /** True while the deadline lies ahead: this host may write to the pools it holds. */
  holdsNow(): boolean {
    return this.lease.holds(this.clock.nowMs());
  }

  /** True while a stream is open and welcomed (lock requests can be sent). */
  get live(): boolean {
    return this.welcomed && this.call !== null;
  }

  /** Opens the first stream; the session reconnects on its own from then on until `close`. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void this.openStream();
  }

  /**
   * Takes `pool`'s lock; resolves when it is granted (waiting in FIFO order behind other hosts).
   * @throws AgentError CLUSTER_UNAVAILABLE (no live stream, or it broke while waiting),
   *   LOCK_FAILED (the coordinator refused: its code is in the message)
   */
  take(pool: string): Promise<Grant> {
    return this.request('take', pool) as Promise<Grant>;
  }

  /** Releases `pool`'s lock. @throws like `take` */
  async release(pool: string): Promise<void> {
    await this.request('release', pool);
  }

  /** Tells the coordinator `pool` is active here under the grant with `token`. Dropped when no stream is live (the owner says it again after the next Welcome). */
  poolReady(pool: string, token: bigint, volumeCount: number): void {
    this.send({ poolReady: { pool, token: token.toString(), volumeCount } });
  }

  /** Sends this host's pools (after a change). Dropped when no stream is live (the next Hello carries them). */
  async reportPools(): Promise<void> {
    if (!this.live) return;
    const pools = await this.options.pools().catch((err: unknown) => {
      this.log.warn({ err }, 'could not list pools for the coordinator');
      return null;
    });
    if (pools !== null) this.send({ poolReport: { pools } });
  }

  /** Ends the stream and stops reconnecting; pending requests fail. The lease is left to expire (or to be resumed by the next agent). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelReconnect();
    this.cancelWelcomeWait();
    this.cancelKeepAlive();
    this.cancelAnswerWait();
    this.cancelDeadline();
    const call = this.call;
    this.call = null;
    this.welcomed = false;
    this.pending.failAll(new AgentError('CLUSTER_UNAVAILABLE', 'the agent is stopping'));
    call?.cancel();
    this.endpoints.close();
  }

  private request(kind: 'take' | 'release', pool: string): Promise<Grant | null> {
    if (!this.live) {
      return Promise.reject(new AgentError('CLUSTER_UNAVAILABLE', `no session with a coordinator now (${this.address} next); retry`));
    }
    return this.pending.open(kind, pool, (requestId) => this.send(kind === 'take' ? { take: { requestId, pool } } : { release: { requestId, pool } }));
  }

  private send(message: AgentMessage): void {
    if (!this.live) return;
    try {
      this.call!.write(message);
    } catch (err) {
      this.log.warn({ err }, 'writing to the coordinator stream failed');
    }
  }

  private async openStream(): Promise<void> {
    if (this.closed) return;
    const pools = await this.options.pools().catch((err: unknown) => {
      this.log.warn({ err }, 'could not list pools for the Hello');
      return [] as HostPool[];
    });
    if (this.closed) return;
    const call = this.endpoints.client.Connect();
    this.call = call;
    this.welcomed = false;
    this.unacked = null;
    this.resumeAttempt = this.session;
    call.on('data', (message: CoordinatorMessage__Output) => {
      if (this.call === call) this.onMessage(message);
    });
    call.on('error', (err: Error) => this.streamEnded(call, err));
    call.on('end', () => this.streamEnded(call, null));
    this.lease.helloSent(this.clock.nowMs());
    // Once the lease's TTL is known, a coordinator that does not answer within TTL/3 is given up
    // early enough to resume the session at the next one before the deadline.
    // With a single coordinator there is nowhere else to go: it gets TTL/3 (a dead connection is still noticed).
    const welcomeWaitMs =
      this.lease.leaseTtlMs === 0 ? WELCOME_TIMEOUT_MS : Math.min(WELCOME_TIMEOUT_MS, this.endpoints.count > 1 ? this.lease.answerWaitMs : this.lease.keepAliveIntervalMs);
    this.cancelWelcomeWait = this.clock.after(welcomeWaitMs, () => {
      if (this.call === call && !this.welcomed) this.streamEnded(call, new Error(`no Welcome within ${welcomeWaitMs} ms`));
    });
    const fencing = this.options.fencing?.() ?? { fencing: 'none', watchdogTimeoutSeconds: 0 };
    call.write({
      hello: {
        nodeId: this.options.nodeId,
        address: this.options.advertise,
        resumeSession: this.resumeAttempt,
        pools,
        version: this.options.version,
        clusterId: this.endpoints.clusterId,
        ...fencing,
      },
    });
    this.log.debug({ coordinator: this.address, resumeSession: this.resumeAttempt }, 'hello sent');
  }

  private streamEnded(call: ClientDuplexStream<AgentMessage, CoordinatorMessage__Output>, err: Error | null): void {
    if (this.call !== call) return;
    this.call = null;
    this.welcomed = false;
    this.cancelKeepAlive();
    this.cancelWelcomeWait();
    this.cancelAnswerWait();
    this.pending.failAll(new AgentError('CLUSTER_UNAVAILABLE', `the stream to the coordinator ${this.address} broke; retry`, { cause: err ?? undefined }));
    call.cancel();
    if (this.closed) return;
    // While the lease holds, no wait is longer than TTL/6: the session must resume before its deadline.
    const delay = this.lease.holds(this.clock.nowMs()) ? Math.min(this.backoff.duration, this.lease.answerWaitMs) : this.backoff.duration;
    const from = this.address;
    this.endpoints.advance();
    this.log.warn({ err, coordinator: from, next: this.address, retryInMs: delay, deadlineMs: this.lease.deadlineMs }, 'coordinator stream ended; reconnecting');
    this.options.events.onDisconnected(err);
    this.backoff = this.backoff.next(undefined);
    this.cancelReconnect = this.clock.after(delay, () => void this.openStream());
  }

  /** Cancels the current stream (its end reconnects, to the next coordinator). */
  private dropStream(why = 'stream dropped by the agent'): void {
    const call = this.call;
    if (call !== null) this.streamEnded(call, new Error(why));
  }

  private onMessage(m: CoordinatorMessage__Output): void {
    switch (m.message) {
      case 'welcome':
        return this.onWelcome(m.welcome!);
      case 'keepAliveAck': {
        const seq = Number(m.keepAliveAck!.seq);
        if (!this.lease.acked(seq)) return;
        if (this.unacked !== null && seq >= this.unacked) {
          this.unacked = null;
          this.cancelAnswerWait();
        }
        this.armDeadline();
        this.options.events.onRenewed(this.lease.deadlineMs);
        return;
      }
      case 'granted':
      case 'released':
      case 'failed':
        return this.pending.answer(m, (pool, token, requestId) => {
          this.log.warn({ pool, token, requestId }, 'granted a lock no one waits for; releasing it');
          void this.release(pool).catch((err: unknown) => this.log.warn({ pool, err }, 'releasing an unwanted grant failed'));
        });
      case 'contention':
        return this.options.events.onContention(m.contention!.pool, m.contention!.waiters);
      case 'acquire':
        return this.options.events.onAcquire(m.acquire!.pool);
      case 'sessionLost':
        this.lose(`the coordinator ended the session: ${m.sessionLost!.reason}`, true);
        return;
      default:
        this.log.warn({ message: m.message }, 'unknown message from the coordinator');
    }
  }

  private onWelcome(w: NonNullable<CoordinatorMessage__Output['welcome']>): void {
    if (this.welcomed) {
      this.log.warn('a second Welcome on one stream; ignored');
      return;
    }
    const ttlSeconds = Number(w.ttlSeconds);
    const marginMs = Number(w.marginMs);
    if (!(ttlSeconds >= 1) || !(marginMs >= 0) || marginMs >= ttlSeconds * 1000 || w.session === '') {
      this.log.error({ ttlSeconds, marginMs, session: w.session }, 'the coordinator sent an unusable Welcome; reconnecting');
      this.dropStream();
      return;
    }
    const refused = this.endpoints.checkWelcome(w.clusterId);
    if (refused !== null) {
      // A coordinator of another lock space: its grants would exclude nobody this host shares pools with.
      this.log.error({ coordinator: this.address, cluster: this.endpoints.clusterId }, `${refused}: not using it, trying the next coordinator`);
      this.dropStream(refused);
      return;
    }
    this.cancelWelcomeWait();
    const resumed = this.resumeAttempt !== '' && w.resumed && w.session === this.resumeAttempt;
    // The old session's locks are gone: they are given up (fenced) before the new session is used.
    if (this.resumeAttempt !== '' && !resumed) this.lose(`the coordinator did not resume session ${this.resumeAttempt}`, false);
    this.lease.welcome(ttlSeconds, marginMs, resumed);
    this.session = w.session;
    this.coordinatorId = w.coordinator;
    this.welcomed = true;
    this.backoff = this.backoffs.next();
    this.armDeadline();
    const watchdogTimeoutSeconds = w.watchdogTimeoutSeconds;
    this.log.info(
      { session: w.session, resumed, ttlSeconds, marginMs, watchdogTimeoutSeconds, coordinatorId: w.coordinator, coordinator: this.address, clusterId: this.endpoints.clusterId },
      'coordinator session established',
    );
    this.keepAlive();
    this.options.events.onWelcome({
      session: w.session,
      resumed,
      coordinator: this.coordinatorId,
      clusterId: this.endpoints.clusterId,
      watchdogTimeoutSeconds,
      deadlineMs: this.lease.deadlineMs,
    });
  }

  private keepAlive(): void {
    this.cancelKeepAlive();
    this.cancelAnswerWait();
    if (!this.live) return;
    const seq = ++this.seq;
    this.lease.keepAliveSent(seq, this.clock.nowMs());
    this.send({ keepAlive: { seq } });
    if (this.unacked === null && this.endpoints.count > 1) {
      // With somewhere else to go, a coordinator that does not answer within TTL/6 is left while
      // the previous acknowledgement's deadline still leaves time to resume at the next one.
      this.unacked = seq;
      const call = this.call;
      const waitMs = this.lease.answerWaitMs;
      this.cancelAnswerWait = this.clock.after(waitMs, () => {
        if (this.call === call && this.unacked !== null) this.dropStream(`no keepalive answer within ${waitMs} ms`);
      });
    }
    this.cancelKeepAlive = this.clock.after(this.lease.keepAliveIntervalMs, () => this.keepAlive());
  }

  /** Sets the deadline timer; at the deadline the session is lost (unless an ack moved it on). */
  private armDeadline(): void {
    this.cancelDeadline();
    const deadline = this.lease.deadlineMs;
    if (deadline <= 0) return;
    this.cancelDeadline = this.clock.after(deadline - this.clock.nowMs(), () => {
      if (this.lease.holds(this.clock.nowMs())) this.armDeadline();
      else this.lose('the lease deadline passed without an acknowledged keepalive', true);
    });
  }

  /**
   * The session is gone. Its pending requests fail, the owner fences at once, and the next
   * stream asks for a new session. `endStream`: the current stream belongs to the lost session
   * (it is closed and opened again).
   */
  private lose(reason: string, endStream: boolean): void {
    const session = this.session;
    this.session = '';
    this.lease.reset();
    this.cancelDeadline();
    this.log.error({ session, reason }, 'coordinator session lost');
    this.pending.failAll(new AgentError('CLUSTER_UNAVAILABLE', `the session with the coordinator was lost (${reason}); retry`));
    this.options.events.onLost(reason);
    if (endStream) this.dropStream();
  }
}
