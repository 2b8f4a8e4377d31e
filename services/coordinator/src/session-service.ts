/**
 * SessionService.Connect: one stream per agent. The coordinator keeps the agent's etcd lease on
 * its behalf, renewing it only when the agent's KeepAlive arrives (a silent agent loses its
 * lease), and takes and releases pool locks for it on that lease (packages/lock).
 *
 * Crash story: the stream carries no state of its own. If the coordinator dies or the stream
 * breaks, the lease, its queue keys, its host record and its owner records stay in etcd until the
 * TTL runs out; the agent reconnects (to this or another coordinator) with `resume_session` and
 * the new session adopts the lease, so its locks keep their place. The agent counts its own
 * deadline from its keepalives, so it stops writing before etcd could expire the lease whatever
 * happens to the coordinator.
 */
import { status as grpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { LockError, LockSession, prefixEnd, type PoolLock } from '@thinfleet/lock';
import type { AgentMessage__Output, CoordinatorMessage, Hello__Output, HostPool__Output, SessionServiceHandlers } from '@thinfleet/proto';
import { POOL_NAME_PATTERN } from '@thinfleet/proto';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { checkHelloClusterId, peerCredential } from './cluster-identity.js';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import type { ClusterRegistry, HostPoolRecord, HostRecord, OwnerRecord } from './registry.js';

export interface SessionServiceOptions {
  readonly etcd: Etcd3;
  readonly registry: ClusterRegistry;
  readonly coordinatorId: string;
  readonly lock: { readonly ttlSeconds: number; readonly marginMs: number; readonly lockDelayMs: number; readonly watchdogTimeoutSeconds: number };
  readonly logger: Logger;
  /** Called when a host reports a pool ready under its grant (the router refreshes the index). */
  readonly onPoolReady?: (pool: string, owner: OwnerRecord) => void;
  /** Where grants and hand-overs are counted. */
  readonly metrics?: Pick<CoordinatorMetrics, 'lockGranted'>;
  /** The cluster's id (cluster-identity.ts): sent in every Welcome, checked against a Hello's. */
  readonly clusterId: () => Promise<string>;
}

type Stream = ServerDuplexStream<AgentMessage__Output, CoordinatorMessage>;

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const POOL_NAME = POOL_NAME_PATTERN;

/** The sessions this coordinator serves, by node id; one live stream per node. */
export class SessionRegistry {
  readonly byNode = new Map<string, AgentSession>();

  /** Pool locks held by the sessions here (a metric read at each scrape). */
  heldLocks(): number {
    let n = 0;
    for (const session of this.byNode.values()) n += session.heldLocks;
    return n;
  }
}

/** The SessionService handlers. */
export function sessionServiceHandlers(options: SessionServiceOptions, sessions: SessionRegistry): SessionServiceHandlers {
  return {
    Connect: (stream: Stream) => {
      const session = new AgentSession(stream, options, sessions);
      session.start();
    },
  };
}

const toPoolRecord = (p: HostPool__Output): HostPoolRecord => ({
  name: p.name,
  uuid: p.uuid,
  devices: [...p.devices],
  active: p.active,
  dataSizeBytes: Number(p.dataSizeBytes),
  dataUsedBytes: Number(p.dataUsedBytes),
  preferred: p.preferred,
});

/** One agent's stream and the lock session it drives. */
export class AgentSession {
  private lockSession: LockSession | null = null;
  private hello: Hello__Output | null = null;
  private pools: HostPoolRecord[] = [];
  private acquireWatch: Watcher | null = null;
  private ended = false;
  private readonly watchedLocks = new Set<string>();
  /** Releases received and not yet handled, by pool (a PoolReady of that pool then waits its turn). */
  private readonly releasesQueued = new Map<string, number>();
  private log: Logger;
  /** Messages are handled one at a time, in order (a Release after a Take waits for it). */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly stream: Stream,
    private readonly options: SessionServiceOptions,
    private readonly sessions: SessionRegistry,
  ) {
    this.log = options.logger.child({ stream: 'session' });
  }

  get nodeId(): string | null {
    return this.hello?.nodeId ?? null;
  }

  /** Pool locks this session holds now: those it took or released here and still holds. */
  get heldLocks(): number {
    const session = this.lockSession;
    if (session === null || this.ended) return 0;
    return [...this.watchedLocks].filter((pool) => session.lock(pool).held !== null).length;
  }

  start(): void {
    this.stream.on('data', (message: AgentMessage__Output) => {
      // Takes wait for the lock (minutes, maybe): they run beside the queue, not in it.
      if (message.message === 'take') {
        void this.take(message.take!.requestId, message.take!.pool);
        return;
      }
      // A keepalive renews the lease at once, whatever the queue holds; its ack keeps its place
      // in the queue (an ack still says every message before it was handled). bench:cluster lost
      // sessions when renewals waited behind a Hello's watch set-up and PoolReady writes while
      // 2,000 pools were granted at once.
      if (message.message === 'keepAlive' && this.lockSession !== null) {
        const renewal = this.renew();
        const seq = Number(message.keepAlive!.seq);
        this.queue = this.queue.then(() => this.ackKeepAlive(seq, renewal)).catch((err: unknown) => this.fail(err));
        return;
      }
      // PoolReady writes the owner record at once, beside the queue: a host granted many pools
      // at once (a failover) reports them ready together, and one put after another made the
      // last pool wait for all the others. Its end keeps its place in the queue, so a Release
      // sent after it deletes the record only once written; one sent before it (still queued)
      // makes it wait its turn, so the record is never written after the release deleted it.
      if (message.message === 'poolReady' && this.lockSession !== null && !this.releasesQueued.has(message.poolReady!.pool)) {
        const ready = this.onPoolReady(message.poolReady!.pool, message.poolReady!.token);
        ready.catch(() => {}); // handled in the queue's order
        this.queue = this.queue.then(() => ready).catch((err: unknown) => this.fail(err));
        return;
      }
      if (message.message === 'release') this.releasesQueued.set(message.release!.pool, (this.releasesQueued.get(message.release!.pool) ?? 0) + 1);
      this.queue = this.queue.then(() => this.handle(message)).catch((err: unknown) => this.fail(err));
    });
    this.stream.on('end', () => this.end('the agent closed its stream'));
    this.stream.on('error', () => this.end('the stream failed'));
    this.stream.on('cancelled', () => this.end('the agent cancelled its stream'));
  }

  private send(message: CoordinatorMessage): void {
    if (!this.ended) this.stream.write(message);
  }

  private async handle(message: AgentMessage__Output): Promise<void> {
    if (this.ended) return;
    if (message.message !== 'hello' && this.lockSession === null) {
      throw Object.assign(new Error('the first message on a session stream must be Hello'), { code: grpcStatus.FAILED_PRECONDITION });
    }
    switch (message.message) {
      case 'hello':
        return this.onHello(message.hello!);
      case 'keepAlive':
        return this.ackKeepAlive(Number(message.keepAlive!.seq), this.renew());
      case 'release':
        return this.onRelease(Number(message.release!.requestId), message.release!.pool);
      case 'poolReady':
        return this.onPoolReady(message.poolReady!.pool, message.poolReady!.token);
      case 'poolReport':
        this.pools = message.poolReport!.pools.map(toPoolRecord);
        await this.publishHost();
        await this.publishPools();
        return;
      default:
        throw Object.assign(new Error(`unknown session message ${String(message.message)}`), { code: grpcStatus.INVALID_ARGUMENT });
    }
  }

  private async onHello(hello: Hello__Output): Promise<void> {
    if (this.hello !== null) throw Object.assign(new Error('Hello was already sent on this stream'), { code: grpcStatus.FAILED_PRECONDITION });
    if (!NODE_ID.test(hello.nodeId)) throw Object.assign(new Error(`node_id "${hello.nodeId}" must be 1-64 letters, digits, _ . -`), { code: grpcStatus.INVALID_ARGUMENT });
    if (hello.address === '') throw Object.assign(new Error('address is required: where the coordinator reaches this agent'), { code: grpcStatus.INVALID_ARGUMENT });
    this.checkFencing(hello);
    const clusterId = await this.options.clusterId();
    checkHelloClusterId(hello.clusterId, clusterId);
    this.hello = hello;
    this.log = this.options.logger.child({ node: hello.nodeId });
    // A node has one stream: a newer one replaces an older (the agent reconnected).
    this.sessions.byNode.get(hello.nodeId)?.end('replaced by a newer stream from the same node');
    this.sessions.byNode.set(hello.nodeId, this);
    const { ttlSeconds, marginMs, lockDelayMs } = this.options.lock;
    const lockSession = await LockSession.open({
      etcd: this.options.etcd,
      nodeId: hello.nodeId,
      prefix: this.options.registry.lockPrefix,
      ttlSeconds,
      marginMs,
      lockDelayMs,
      keepalive: 'external',
      credential: peerCredential(this.stream),
      ...(hello.resumeSession === '' ? {} : { resume: hello.resumeSession }),
    });
    if (lockSession.resumeRefused === 'another node' || lockSession.resumeRefused === 'another credential') {
      // A copied session id (another host's cluster-session.json) or a stolen one: the owner keeps its lease.
      this.log.warn({ refused: lockSession.resumeRefused, session: lockSession.leaseHex }, 'resume refused: the session belongs to another node or certificate; a new session was opened');
    } else if (lockSession.resumeRefused !== null) {
      this.log.info({ refused: lockSession.resumeRefused, session: lockSession.leaseHex }, 'the session to resume is gone; a new session was opened');
    }
    if (this.ended) {
      lockSession.detach();
      return;
    }
    this.lockSession = lockSession;
    lockSession.on('lost', (err) => {
      this.log.warn({ session: lockSession.leaseHex, err }, 'session lost');
      this.send({ sessionLost: { reason: err.message } });
      this.end('session lost');
    });
    this.pools = hello.pools.map(toPoolRecord);
    const { watchdogTimeoutSeconds } = this.options.lock;
    // The lease's own TTL: a session resumed from another coordinator keeps the TTL it was granted
    // with, whatever this coordinator's lock.ttlSeconds says; the agent's deadline must count with it.
    this.send({
      welcome: {
        session: lockSession.leaseHex,
        ttlSeconds: lockSession.ttlSeconds,
        marginMs,
        resumed: lockSession.resumed,
        coordinator: this.options.coordinatorId,
        clusterId,
        watchdogTimeoutSeconds,
      },
    });
    this.log.info(
      { session: lockSession.leaseHex, resumed: lockSession.resumed, ttlSeconds: lockSession.ttlSeconds, address: hello.address, pools: this.pools.length },
      'agent session open',
    );
    await this.publishHost();
    await this.publishPools();
    // Not awaited: the watch's set-up can wait behind many others on the shared etcd client (one
    // at a time, etcd3's rule), and the messages after Hello need not wait for it; requests made
    // before it is up are read once it is.
    void this.watchAcquires().catch((err: unknown) => this.fail(err));
  }

  /**
   * A host fenced by a watchdog whose device reports a longer timeout than the cluster's would be
   * reset after the lock delay let another host in: refused (FAILED_PRECONDITION). A host
   * without a watchdog (fencing "none", or an agent too old to say) is let in with a warning:
   * a dead agent there leaves its pools live (`cluster status` shows it).
   * @throws FAILED_PRECONDITION naming watchdog_timeout_seconds; INVALID_ARGUMENT for an unknown fencing
   */
  private checkFencing(hello: Hello__Output): void {
    const limit = this.options.lock.watchdogTimeoutSeconds;
    if (hello.fencing === 'watchdog') {
      if (hello.watchdogTimeoutSeconds > limit) {
        throw Object.assign(
          new Error(
            `watchdog_timeout_seconds: the host's watchdog reports ${hello.watchdogTimeoutSeconds} s, longer than the cluster's lock.watchdogTimeoutSeconds ${limit} s: set the device's timeout (or the cluster's, with a longer lock.lockDelayMs)`,
          ),
          { code: grpcStatus.FAILED_PRECONDITION },
        );
      }
      return;
    }
    if (hello.fencing !== 'none' && hello.fencing !== '') {
      throw Object.assign(new Error(`fencing: must be "watchdog" or "none", got ${JSON.stringify(hello.fencing.slice(0, 32))}`), { code: grpcStatus.INVALID_ARGUMENT });
    }
    this.log.warn(
      { node: hello.nodeId, fencing: hello.fencing === '' ? 'unknown' : 'none' },
      'host without a watchdog (fencing "none"): if its agent dies or hangs, its pools stay live in its kernel',
    );
  }

  private async publishHost(): Promise<void> {
    const hello = this.hello!;
    const record: HostRecord = {
      nodeId: hello.nodeId,
      address: hello.address,
      session: this.lockSession!.leaseHex,
      version: hello.version,
      coordinator: this.options.coordinatorId,
      pools: this.pools,
      fencing: hello.fencing === 'watchdog' ? 'watchdog' : 'none',
      watchdogTimeoutSeconds: hello.watchdogTimeoutSeconds,
    };
    await this.options.registry.putHost(record, this.lockSession!.leaseId);
  }

  /** Pools active on this host report their size and use to the index. */
  private async publishPools(): Promise<void> {
    for (const p of this.pools) {
      if (p.active && p.uuid !== '') await this.options.registry.putPool({ name: p.name, uuid: p.uuid, dataSizeBytes: p.dataSizeBytes, dataUsedBytes: p.dataUsedBytes });
    }
  }

  /** Acquire requests for this node (from any coordinator) become Acquire messages. */
  private async watchAcquires(): Promise<void> {
    const nodeId = this.hello!.nodeId;
    const prefix = this.options.registry.acquirePrefix(nodeId);
    // The watch and the first read may both see one request: forward each key version once.
    const seen = new Set<string>();
    const forward = (kv: IKeyValue): void => {
      const pool = kv.key.toString().slice(prefix.length);
      if (seen.has(`${pool}@${kv.mod_revision}`)) return;
      seen.add(`${pool}@${kv.mod_revision}`);
      this.send({ acquire: { pool } });
      void this.options.registry.deleteAcquire(nodeId, pool).catch(() => {});
    };
    const watcher = await this.options.etcd.watch().prefix(prefix).create();
    if (this.ended) {
      await watcher.cancel().catch(() => {});
      return;
    }
    this.acquireWatch = watcher;
    watcher.on('put', forward);
    // Requests made before the watch began (the agent was reconnecting).
    const start = Buffer.from(prefix);
    for (const kv of (await this.options.etcd.kv.range({ key: start, range_end: prefixEnd(start) })).kvs) forward(kv);
  }

  /** Renews the lease now; settles with etcd's answer (the ack waits for it in the queue). */
  private renew(): Promise<number> {
    const renewal = this.lockSession!.renew();
    renewal.catch(() => {}); // handled by ackKeepAlive, in the queue's order
    return renewal;
  }

  private async ackKeepAlive(seq: number, renewal: Promise<number>): Promise<void> {
    try {
      const ttlSeconds = await renewal;
      this.send({ keepAliveAck: { seq, ttlSeconds } });
    } catch (err) {
      // No answer: the agent's deadline keeps running from its last answered keepalive.
      if (!(err instanceof LockError && err.code === 'ETCD')) throw err;
      this.log.warn({ err }, 'keepalive not renewed (etcd)');
    }
  }

  private lockFor(pool: string): PoolLock {
    const lock = this.lockSession!.lock(pool);
    if (!this.watchedLocks.has(pool)) {
      this.watchedLocks.add(pool);
      lock.on('contention', (waiters) => this.send({ contention: { pool, waiters } }));
    }
    return lock;
  }

  private async take(requestId: number, pool: string): Promise<void> {
    await this.queue; // after Hello
    const failed = (code: string, message: string): void => this.send({ failed: { requestId, pool, code, message } });
    if (this.lockSession === null) return failed('BAD_REQUEST', 'Take before Hello');
    if (!POOL_NAME.test(pool)) return failed('BAD_REQUEST', `pool "${pool}" is not a pool name`);
    try {
      // Before the new holder reports the pool ready (which rewrites the index): what was active
      // on the holder that died is kept, so an orchestrator can restart the volumes' users. It
      // is written during the lock delay (the grant is sent once both are done), not after it.
      const grant = await this.lockFor(pool).take({ whileDelayed: (g) => this.recordWasActive(pool, g.previousHolder ?? '') });
      this.options.metrics?.lockGranted(this.hello!.nodeId, grant);
      this.log.info({ pool, token: grant.token.toString(), dirty: grant.dirty, previousHolder: grant.previousHolder, previousHolderDied: grant.previousHolderDied }, 'lock granted');
      this.send({
        granted: {
          requestId,
          pool,
          token: grant.token.toString(),
          dirty: grant.dirty,
          previousHolderDied: grant.previousHolderDied,
          previousHolder: grant.previousHolder ?? '',
        },
      });
    } catch (err) {
      const lockErr = err instanceof LockError ? err : null;
      failed(lockErr?.code ?? 'ETCD', (err as Error).message);
    }
  }

  /**
   * Adds the volumes the index shows active on `pool` to its was-active record. A failure is
   * logged only: the grant stands, and the record is what an orchestrator reads, not the lock.
   */
  private async recordWasActive(pool: string, previousHolder: string): Promise<void> {
    try {
      // A job's own volume is active only while the job discards it: no user to restart.
      const active = (await this.options.registry.volumes(pool)).filter((v) => v['active'] === true && !v['jobId']).map((v) => v.uuid);
      if (active.length === 0) return;
      await this.options.registry.updateWasActive(pool, (current) => ({ previousHolder, volumes: [...new Set([...(current?.volumes ?? []), ...active])] }));
      this.log.warn({ pool, previousHolder, volumes: active.length }, 'the holder that died had volumes active: reported as wasActive until they are activated again');
    } catch (err) {
      this.log.error({ pool, err }, 'could not record the volumes active on a holder that died');
    }
  }

  private async onRelease(requestId: number, pool: string): Promise<void> {
    const queued = (this.releasesQueued.get(pool) ?? 1) - 1;
    if (queued > 0) this.releasesQueued.set(pool, queued);
    else this.releasesQueued.delete(pool);
    try {
      await this.options.registry.deleteOwner(pool, this.hello!.nodeId);
      await this.lockFor(pool).release();
      this.log.info({ pool }, 'lock released');
      this.send({ released: { requestId, pool } });
    } catch (err) {
      const code = err instanceof LockError ? err.code : 'ETCD';
      this.send({ failed: { requestId, pool, code, message: (err as Error).message } });
    }
  }

  private async onPoolReady(pool: string, token: string): Promise<void> {
    if (this.ended) return;
    const held = this.lockSession!.lock(pool).held;
    if (held === null || held.token.toString() !== token) {
      this.log.warn({ pool, token, held: held?.token.toString() ?? null }, 'PoolReady for a grant this session does not hold; ignored');
      return;
    }
    const owner: OwnerRecord = { nodeId: this.hello!.nodeId, address: this.hello!.address, token };
    await this.options.registry.putOwner(pool, owner, this.lockSession!.leaseId);
    this.log.info({ pool, token }, 'pool ready');
    this.options.onPoolReady?.(pool, owner);
  }

  private fail(err: unknown): void {
    const code = (err as { code?: unknown }).code;
    this.log.warn({ err }, 'session stream failed');
    if (!this.ended) {
      this.stream.emit('error', Object.assign(new Error((err as Error).message), { code: typeof code === 'number' ? code : grpcStatus.INTERNAL }));
    }
    this.end((err as Error).message);
  }

  /**
   * Ends the stream and lets go of the lease object without releasing anything: the lease stays
   * until the agent resumes it or its TTL runs out. Idempotent.
   */
  end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    void this.acquireWatch?.cancel().catch(() => {});
    this.lockSession?.removeAllListeners('lost');
    this.lockSession?.detach();
    const nodeId = this.hello?.nodeId;
    if (nodeId !== undefined && this.sessions.byNode.get(nodeId) === this) this.sessions.byNode.delete(nodeId);
    try {
      this.stream.end();
    } catch {
      // already closed
    }
    this.log.info({ why }, 'agent stream ended');
  }
}
