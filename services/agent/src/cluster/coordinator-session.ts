/**
 * The agent's session with the coordinator: one bidirectional stream (SessionService.Connect,
 * proto/thinfleet/coordinator/v1/session.proto) carrying the lease's keepalives and the pool
 * locks' takes and releases, and the coordinator's pushes (contention, acquire, session lost).
 *
 * - Hello (node id, advertised address, the session to resume, this host's pools, version, its
 *   fencing and watchdog timeout) opens every stream; the Welcome names the session (the etcd
 *   lease), its TTL and margin, and the cluster's watchdog timeout.
 * - KeepAlive{seq} goes out at once after the Welcome and then every TTL/3; each acknowledged one
 *   moves the lease deadline (lease-deadline.ts) on the monotonic clock.
 * - A stream that ends or fails is opened again after a backoff (200 ms doubling to 2 s, cockatiel's
 *   ExponentialBackoff without jitter; it starts again from the minimum after each Welcome) with
 *   `resume_session`; the deadline keeps running meanwhile, so pools stay held across a short
 *   cut as long as a keepalive is acknowledged in time.
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
import { readFileSync } from 'node:fs';
import { credentials as grpcCredentials, type ChannelCredentials, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadCoordinatorApi, type AgentMessage, type CoordinatorMessage__Output, type HostPool, type SessionServiceClient } from '@thinfleet/proto';
import { ExponentialBackoff, noJitterGenerator, type IBackoff } from 'cockatiel';
import type { Logger } from 'pino';
import { AgentError } from '../agent-error.js';
import { AgentConfigError, type TlsClientFiles } from '../agent-config.js';
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
  onWelcome(welcome: { readonly session: string; readonly resumed: boolean; readonly coordinator: string; readonly watchdogTimeoutSeconds: number; readonly deadlineMs: number }): void;
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
  /** The coordinator's `host:port`. */
  readonly address: string;
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

const TOKEN = /^[0-9]{1,20}$/;

/** How long a stream may wait for its Welcome before it is opened again (a connection that died silently). */
const WELCOME_TIMEOUT_MS = 5000;

/** Channel credentials for `tls` (mutual TLS) or plaintext. @throws AgentConfigError naming `cluster.tls` when a PEM file cannot be read */
export function coordinatorCredentials(tls: TlsClientFiles | null): ChannelCredentials {
  if (tls === null) return grpcCredentials.createInsecure();
  const read = (path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new AgentConfigError(`cluster.tls: cannot read ${path}: ${(err as Error).message}`, 'cluster.tls', { cause: err });
    }
  };
  return grpcCredentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
}

export class CoordinatorSession {
  private readonly client: SessionServiceClient;
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

  constructor(private readonly options: CoordinatorSessionOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ coordinator: options.address });
    this.session = options.resumeSession;
    this.backoffs = new ExponentialBackoff({ generator: noJitterGenerator, initialDelay: options.backoffMs?.min ?? 200, maxDelay: options.backoffMs?.max ?? 2000, exponent: 2 });
    this.backoff = this.backoffs.next();
    const api = loadCoordinatorApi();
    this.client = new api.SessionService(options.address, coordinatorCredentials(options.tls));
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
    this.cancelDeadline();
    const call = this.call;
    this.call = null;
    this.welcomed = false;
    this.pending.failAll(new AgentError('CLUSTER_UNAVAILABLE', 'the agent is stopping'));
    call?.cancel();
    this.client.close();
  }

  private request(kind: 'take' | 'release', pool: string): Promise<Grant | null> {
    if (!this.live) {
      return Promise.reject(new AgentError('CLUSTER_UNAVAILABLE', `no session with the coordinator ${this.options.address} now; retry`));
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
    const call = this.client.Connect();
    this.call = call;
    this.welcomed = false;
    this.resumeAttempt = this.session;
    call.on('data', (message: CoordinatorMessage__Output) => {
      if (this.call === call) this.onMessage(message);
    });
    call.on('error', (err: Error) => this.streamEnded(call, err));
    call.on('end', () => this.streamEnded(call, null));
    this.lease.helloSent(this.clock.nowMs());
    this.cancelWelcomeWait = this.clock.after(WELCOME_TIMEOUT_MS, () => {
      if (this.call === call && !this.welcomed) this.streamEnded(call, new Error(`no Welcome within ${WELCOME_TIMEOUT_MS} ms`));
    });
    const fencing = this.options.fencing?.() ?? { fencing: 'none', watchdogTimeoutSeconds: 0 };
    call.write({
      hello: { nodeId: this.options.nodeId, address: this.options.advertise, resumeSession: this.resumeAttempt, pools, version: this.options.version, ...fencing },
    });
    this.log.debug({ resumeSession: this.resumeAttempt }, 'hello sent');
  }

  private streamEnded(call: ClientDuplexStream<AgentMessage, CoordinatorMessage__Output>, err: Error | null): void {
    if (this.call !== call) return;
    this.call = null;
    this.welcomed = false;
    this.cancelKeepAlive();
    this.cancelWelcomeWait();
    this.pending.failAll(new AgentError('CLUSTER_UNAVAILABLE', `the stream to the coordinator ${this.options.address} broke; retry`, { cause: err ?? undefined }));
    call.cancel();
    if (this.closed) return;
    const delay = this.backoff.duration;
    this.log.warn({ err, retryInMs: delay, deadlineMs: this.lease.deadlineMs }, 'coordinator stream ended; reconnecting');
    this.options.events.onDisconnected(err);
    this.backoff = this.backoff.next(undefined);
    this.cancelReconnect = this.clock.after(delay, () => void this.openStream());
  }

  /** Cancels the current stream (its end reconnects). */
  private dropStream(): void {
    const call = this.call;
    if (call !== null) this.streamEnded(call, new Error('stream dropped by the agent'));
  }

  private onMessage(m: CoordinatorMessage__Output): void {
    switch (m.message) {
      case 'welcome':
        return this.onWelcome(m.welcome!);
      case 'keepAliveAck': {
        if (!this.lease.acked(Number(m.keepAliveAck!.seq))) return;
        this.armDeadline();
        this.options.events.onRenewed(this.lease.deadlineMs);
        return;
      }
      case 'granted': {
        const g = m.granted!;
        const p = this.pending.settle(Number(g.requestId), 'take');
        if (p === undefined) {
          this.log.warn({ pool: g.pool, token: g.token, requestId: g.requestId }, 'granted a lock no one waits for; releasing it');
          void this.release(g.pool).catch((err: unknown) => this.log.warn({ pool: g.pool, err }, 'releasing an unwanted grant failed'));
          return;
        }
        if (!TOKEN.test(g.token)) {
          p.reject(new AgentError('LOCK_FAILED', `pool ${g.pool}: the coordinator granted a malformed token "${g.token}"`));
          return;
        }
        p.resolve({ pool: g.pool, token: BigInt(g.token), dirty: g.dirty, previousHolderDied: g.previousHolderDied, previousHolder: g.previousHolder });
        return;
      }
      // 'released' and 'failed' settle a pending request alike by design (duplicates pairs them); they differ in how (resolve null, reject with the code).
      case 'released': {
        const r = m.released!;
        this.pending.settle(Number(r.requestId))?.resolve(null);
        return;
      }
      case 'failed': {
        const f = m.failed!;
        const p = this.pending.settle(Number(f.requestId));
        if (p === undefined) return;
        p.reject(new AgentError('LOCK_FAILED', `pool ${f.pool}: the coordinator refused the ${p.kind} (${f.code}): ${f.message}`));
        return;
      }
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
    this.log.info({ session: w.session, resumed, ttlSeconds, marginMs, watchdogTimeoutSeconds, coordinatorId: w.coordinator }, 'coordinator session established');
    this.keepAlive();
    this.options.events.onWelcome({ session: w.session, resumed, coordinator: this.coordinatorId, watchdogTimeoutSeconds, deadlineMs: this.lease.deadlineMs });
  }

  private keepAlive(): void {
    this.cancelKeepAlive();
    if (!this.live) return;
    const seq = ++this.seq;
    this.lease.keepAliveSent(seq, this.clock.nowMs());
    this.send({ keepAlive: { seq } });
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
