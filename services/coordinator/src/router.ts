/**
 * Routes the agent API (thinfleet.agent.v1 Pool, Volume and Job services) served by the
 * coordinator to the host that holds each pool, so a client can work on any volume of the cluster
 * through one address.
 *
 * A call that changes a pool goes to the pool's owner (the holder of its lock that reported the
 * pool ready), carrying the grant's token in `tf-lock-token`; the agent refuses it if the token
 * is not its current grant, so a call routed on stale knowledge can never change a pool another
 * host took over. When nobody holds the pool, a host that reaches it is asked to take it (the
 * `tf-host` hint first) and the call waits until it is ready. After a change the pool's volume
 * index is rewritten from the owner's list. Reads of a pool nobody holds are answered from the
 * index, so looking does not move pools between hosts.
 *
 * Crash story: the router keeps nothing. A coordinator that dies mid-call leaves the call's
 * outcome to the agent (done or not, as the client's retry will find); an acquire request it
 * made stays in etcd, bound to the host's lease, and is served by the host's coordinator.
 */
import { Metadata, status as grpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AgentChannels, AgentServiceClient, AgentServiceName } from './agent-channels.js';
import { hostUnreachable, rawUnaryCall, unaryCall } from './agent-calls.js';
import { coordinatorError, errorCodeOf, isHostUnreachable, isServiceError, unreachableWhy } from './coordinator-error.js';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import { choosePool, PlacementError } from './placement.js';
import type { ClusterRegistry, IndexedVolume, OwnerRecord } from './registry.js';
import { markWasActive, pruneWasActive } from './was-active.js';

export interface RouterOptions {
  readonly registry: ClusterRegistry;
  readonly channels: AgentChannels;
  readonly logger: Logger;
  /** How long a call waits for a host to take a free pool and report it ready (default 30 s). */
  readonly acquireTimeoutMs?: number;
  /** Where routed calls are counted by method and outcome. */
  readonly metrics?: Pick<CoordinatorMetrics, 'routedCall'>;
}

/** Metadata keys the router reads and writes. */
export const LOCK_TOKEN_METADATA = 'tf-lock-token';
export const HOST_HINT_METADATA = 'tf-host';

/** Agent refusals that happen before the agent does anything: safe to route again. */
const REFUSED_BEFORE_ACTING = new Set(['STALE_TOKEN', 'NOT_OWNER', 'TOKEN_REQUIRED']);
const READ_ONLY = /^(List|Get|Watch)/;
const POOL_NAME = /^[A-Za-z0-9][A-Za-z0-9+_.-]{0,31}$/;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** How long a job watch waits for a job handed over with its pool to show up on its next host. */
const JOB_FOLLOW_MS = 60_000;
/** How long GetJob and CancelJob wait for such a job before answering JOB_MOVED (retry). */
const JOB_LOOKUP_WAIT_MS = 5_000;

export class Router {
  private readonly acquireTimeoutMs: number;

  constructor(private readonly options: RouterOptions) {
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 30_000;
  }

  /**
   * The ready owner of `pool`. With `acquire`, a pool nobody holds is handed to a host that
   * reaches it (`hostHint` first) and this waits until that host reports it ready.
   * @throws ServiceError NO_HOST (no live host reaches the pool), NOT_READY (timed out)
   */
  async owner(pool: string, options: { acquire: boolean; hostHint?: string | null }): Promise<OwnerRecord | null> {
    const { registry } = this.options;
    const deadline = Date.now() + this.acquireTimeoutMs;
    let requested = false;
    let lastHolder: string | null = null;
    for (let delayMs = 10; ; delayMs = Math.min(200, delayMs * 2)) {
      const [lock, owner] = await Promise.all([registry.lockView(pool), registry.owner(pool)]);
      if (lock.holder !== null && owner !== null && owner.nodeId === lock.holder && owner.token === lock.token) return owner;
      if (!options.acquire) return null;
      lastHolder = lock.holder;
      // Nobody holds it and nobody is queued for it: ask a host to take it.
      if (!requested && lock.holder === null && lock.waiters.length === 0) {
        const hosts = (await registry.hosts()).filter((h) => h.pools.some((p) => p.name === pool && p.uuid !== ''));
        if (hosts.length === 0) throw coordinatorError('NO_HOST', `no host with a live session reaches pool ${pool}`);
        const chosen = hosts.find((h) => h.nodeId === options.hostHint) ?? hosts.find((h) => h.pools.some((p) => p.name === pool && p.active)) ?? hosts[0]!;
        await registry.requestAcquire(chosen.nodeId, pool, BigInt(`0x${chosen.session}`).toString());
        this.options.logger.info({ pool, node: chosen.nodeId }, 'asked a host to take a free pool');
        requested = true;
      }
      if (Date.now() >= deadline) {
        const why = lastHolder === null ? 'no host took it' : `${lastHolder} holds it but has not reported it ready`;
        throw coordinatorError('NOT_READY', `pool ${pool} is not served: ${why} within ${Math.round(this.acquireTimeoutMs / 100) / 10} s; retry (--wait SECONDS)`);
      }
      await sleep(delayMs);
    }
  }

  /**
   * Calls `method` on the owner of `pool` with its token; routes again (up to three times) when
   * the agent refused the token before acting, as happens when the pool just changed hands.
   */
  async callOwner(pool: string, service: AgentServiceName, method: string, request: unknown, deadline: Date | number, hostHint: string | null): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const owner = (await this.owner(pool, { acquire: true, hostHint }))!;
      const metadata = new Metadata();
      metadata.set(LOCK_TOKEN_METADATA, owner.token);
      try {
        const response = await this.ownerCall(pool, owner, service, method, request, metadata, deadline);
        // A volume deactivated on purpose is no longer one whose users need restarting.
        const acknowledged = method === 'DeactivateVolume' ? [String((request as { name?: unknown }).name ?? '')] : [];
        if (!READ_ONLY.test(method)) await this.refreshIndex(pool, owner, acknowledged);
        return READ_ONLY.test(method) ? response : this.markWasActive(response);
      } catch (err) {
        const code = errorCodeOf(err);
        if (attempt >= 3 || code === null || !REFUSED_BEFORE_ACTING.has(code)) throw err;
        this.options.logger.info({ pool, node: owner.nodeId, code, attempt }, 'owner refused the token; routing again');
        await sleep(50 * attempt);
      }
    }
  }

  /**
   * One call on the holder of `pool`. A holder that does not answer is HOST_UNREACHABLE, said in
   * the user's words (which pool, which host, why, what happens next).
   */
  private async ownerCall(pool: string, owner: OwnerRecord, service: AgentServiceName, method: string, request: unknown, metadata: Metadata, deadline: Date | number): Promise<unknown> {
    try {
      return await rawUnaryCall(this.client(owner.address, service), method, request, metadata, deadline);
    } catch (err) {
      if (!isHostUnreachable(err)) throw err;
      throw coordinatorError(
        'HOST_UNREACHABLE',
        `pool ${pool}: its holder ${owner.nodeId} did not answer (${unreachableWhy(err.details)}); if it died, another host takes the pool within the lease TTL and lock delay: retry (--wait SECONDS)`,
        { cause: err },
      );
    }
  }

  private client(address: string, service: AgentServiceName): AgentServiceClient {
    try {
      return this.options.channels.client(address, service);
    } catch (err) {
      throw coordinatorError('NO_HOST', (err as Error).message, { cause: err });
    }
  }

  /**
   * Rewrites the index of `pool` from its owner's list and pool status. A failure is logged, not
   * raised: the change it follows is done, and the next change or grant rewrites the index.
   */
  async refreshIndex(pool: string, owner: OwnerRecord, acknowledged: readonly string[] = []): Promise<void> {
    try {
      const deadline = Date.now() + 10_000;
      const listed = (await unaryCall(this.client(owner.address, 'VolumeService'), 'ListVolumes', { pool, usage: false }, new Metadata(), deadline)) as { volumes: IndexedVolume[] };
      await this.options.registry.putVolumes(pool, listed.volumes);
      await pruneWasActive(this.options.registry, pool, listed.volumes, acknowledged);
      const got = (await unaryCall(this.client(owner.address, 'PoolService'), 'GetPool', { name: pool }, new Metadata(), deadline)) as {
        pool: { name: string; uuid: string; dataBlockBytes: number; dataTotalBytes: number; dataUsedBytes: number; metadataTotalBytes: number; metadataUsedBytes: number };
      };
      await this.options.registry.putPool({
        name: pool,
        uuid: got.pool.uuid,
        dataSizeBytes: Number(got.pool.dataTotalBytes),
        dataUsedBytes: Number(got.pool.dataUsedBytes),
        dataBlockBytes: Number(got.pool.dataBlockBytes),
        metadataSizeBytes: Number(got.pool.metadataTotalBytes),
        metadataUsedBytes: Number(got.pool.metadataUsedBytes),
      });
    } catch (err) {
      this.options.logger.warn({ pool, node: owner.nodeId, err }, 'volume index not refreshed');
    }
  }

  /** `answer` with `wasActive` set (was-active.ts); unmarked when etcd does not answer. */
  private async markWasActive<T>(answer: T): Promise<T> {
    try {
      return markWasActive(answer, await this.options.registry.wasActiveAll());
    } catch (err) {
      this.options.logger.warn({ err }, 'was-active records not read; answering without them');
      return answer;
    }
  }

  /** VolumeService on the coordinator. */
  volumeHandlers(): UntypedServiceImplementation {
    const handlers: UntypedServiceImplementation = {};
    for (const method of ['CreateVolume', 'SnapshotVolume', 'RenameVolume', 'ResizeVolume', 'ActivateVolume', 'DeactivateVolume', 'DeleteVolume', 'RevertVolume', 'CreateRevision', 'PinVolume', 'Batch', 'ReadVolume', 'WriteVolume']) {
      handlers[method] = this.unary(async (request: { pool: string; sizeBytes?: number | null }, call) => {
        const hostHint = hintOf(call.metadata);
        let pool = request.pool;
        if (method === 'CreateVolume' && pool === '') {
          pool = await this.place(hostHint, Number(request.sizeBytes ?? 0));
          request = { ...request, pool };
        }
        checkPool(pool);
        return this.callOwner(pool, 'VolumeService', method, request, call.getDeadline(), hostHint);
      });
    }
    handlers['ListVolumes'] = this.unary(async (request: { pool: string; usage: boolean }, call) => {
      if (request.pool === '') return this.markWasActive({ volumes: await this.options.registry.volumes(null) });
      checkPool(request.pool);
      const owner = await this.owner(request.pool, { acquire: false });
      if (owner !== null) return this.markWasActive(await this.ownerCall(request.pool, owner, 'VolumeService', 'ListVolumes', request, new Metadata(), call.getDeadline()));
      return this.markWasActive({ volumes: await this.options.registry.volumes(request.pool) });
    });
    handlers['GetVolume'] = this.unary(async (request: { pool: string; name: string; usage: boolean }, call) => {
      checkPool(request.pool);
      const owner = await this.owner(request.pool, { acquire: false });
      if (owner !== null) return this.markWasActive(await this.ownerCall(request.pool, owner, 'VolumeService', 'GetVolume', request, new Metadata(), call.getDeadline()));
      const volume = (await this.options.registry.volumes(request.pool)).find((v) => v.name === request.name);
      if (volume === undefined) throw coordinatorError('NO_SUCH_VOLUME', `pool ${request.pool} has no volume ${request.name} in the cluster index`);
      return this.markWasActive({ volume });
    });
    return handlers;
  }

  private async place(hostHint: string | null, sizeBytes: number): Promise<string> {
    try {
      return choosePool({ host: hostHint, sizeBytes }, await this.options.registry.hosts(), await this.options.registry.pools());
    } catch (err) {
      if (err instanceof PlacementError) throw coordinatorError('NO_PLACEMENT', err.message, { cause: err });
      throw err;
    }
  }

  /** PoolService on the coordinator: listing and showing; changes go to an agent. */
  poolHandlers(): UntypedServiceImplementation {
    const handlers: UntypedServiceImplementation = {};
    for (const method of ['CreatePool', 'DiscoverPools', 'ActivatePool', 'DeactivatePool', 'DestroyPool', 'ForgetPool', 'ExtendPool', 'SetPool', 'JoinPool']) {
      handlers[method] = this.unary(async () => {
        throw coordinatorError('AGENT_ONLY', `${method} works on a host's devices: call the agent on that host (thinfleet --agent ...), not the coordinator`);
      });
    }
    handlers['ListPools'] = this.unary(async (_request: unknown, call) => ({ pools: await this.clusterPools(call.getDeadline()) }));
    handlers['GetPool'] = this.unary(async (request: { name: string }, call) => {
      checkPool(request.name);
      const owner = await this.owner(request.name, { acquire: false });
      if (owner !== null) return this.ownerCall(request.name, owner, 'PoolService', 'GetPool', request, new Metadata(), call.getDeadline());
      const pool = (await this.poolsFromIndex()).find((p) => p.name === request.name);
      if (pool === undefined) throw coordinatorError('NO_SUCH_POOL', `no host of the cluster knows pool ${request.name}`);
      return { pool };
    });
    return handlers;
  }

  /**
   * Every pool of the cluster as the agent's Pool message: a served pool as its owner reports it
   * now (so `pool list` and `pool show` agree), others, and a served one whose owner does not
   * answer, from the index.
   */
  private async clusterPools(deadline: Date | number): Promise<Array<Record<string, unknown> & { name: string }>> {
    const indexed = await this.poolsFromIndex();
    return Promise.all(
      indexed.map(async (pool) => {
        const owner = await this.owner(pool.name, { acquire: false });
        if (owner === null) return pool;
        try {
          const got = (await unaryCall(this.client(owner.address, 'PoolService'), 'GetPool', { name: pool.name }, new Metadata(), deadline)) as { pool: Record<string, unknown> & { name: string } };
          return got.pool;
        } catch (err) {
          this.options.logger.warn({ pool: pool.name, node: owner.nodeId, err }, 'the owner did not report the pool; listing it from the index');
          return pool;
        }
      }),
    );
  }

  /** Every pool a live host reaches or the index knows, as the agent's Pool message. */
  private async poolsFromIndex(): Promise<Array<Record<string, unknown> & { name: string }>> {
    const { registry } = this.options;
    const [hosts, records, volumes] = await Promise.all([registry.hosts(), registry.pools(), registry.volumes(null)]);
    const names = new Set([...records.map((p) => p.name), ...hosts.flatMap((h) => h.pools.filter((p) => p.uuid !== '').map((p) => p.name))]);
    const out = [];
    for (const name of [...names].sort()) {
      const record = records.find((p) => p.name === name);
      const reported = hosts.flatMap((h) => h.pools).find((p) => p.name === name);
      const owner = await this.owner(name, { acquire: false });
      out.push({
        name,
        uuid: record?.uuid ?? reported?.uuid ?? '',
        active: owner !== null,
        devices: reported?.devices ?? [],
        mode: owner !== null ? 'rw' : 'inactive',
        dataBlockBytes: record?.dataBlockBytes ?? 0,
        dataTotalBytes: record?.dataSizeBytes ?? 0,
        dataUsedBytes: record?.dataUsedBytes ?? 0,
        metadataTotalBytes: record?.metadataSizeBytes ?? 0,
        metadataUsedBytes: record?.metadataUsedBytes ?? 0,
        volumes: volumes.filter((v) => v.pool === name).length,
        problem: '',
      });
    }
    return out;
  }

  /** JobService on the coordinator: a job lives on one host; calls find it by asking each. */
  jobHandlers(): UntypedServiceImplementation {
    return {
      ListJobs: this.unary(async (_request: unknown, call) => {
        const all = await this.eachHost('ListJobs', {}, call.getDeadline());
        return { jobs: all.flatMap((r) => (r as { jobs: Array<{ created: string }> }).jobs).sort((a, b) => a.created.localeCompare(b.created)) };
      }),
      GetJob: this.unary(async (request: { id: string }, call) => this.onJobHost(request.id, 'GetJob', call.getDeadline())),
      CancelJob: this.unary(async (request: { id: string }, call) => this.onJobHost(request.id, 'CancelJob', call.getDeadline())),
      WatchJob: (call: ServerWritableStream<{ id: string }, unknown>) => {
        void this.watchJob(call).catch((err: unknown) => call.emit('error', asStatus(err)));
      },
    };
  }

  /**
   * Calls `method` of the JobService on the host that has job `id`. A job moving with its pool
   * (handed over, not yet adopted, or moved between finding it and calling) is waited for up to
   * JOB_LOOKUP_WAIT_MS. @throws NO_SUCH_JOB; JOB_MOVED when it is still moving after that
   */
  private async onJobHost(id: string, method: 'GetJob' | 'CancelJob', deadline: Date | number): Promise<unknown> {
    const untilMs = Date.now() + JOB_LOOKUP_WAIT_MS;
    let moving = false;
    for (;;) {
      const host = await this.jobHost(id, deadline, { untilMs, moving, cancelled: () => false });
      try {
        return await unaryCall(this.client(host, 'JobService'), method, { id }, new Metadata(), deadline);
      } catch (err) {
        if (errorCodeOf(err) !== 'NO_SUCH_JOB' || Date.now() > untilMs) throw err;
        moving = true;
      }
    }
  }

  /**
   * Relays the watch of a job from the host that runs it. A job handed over with its pool ends
   * its watch there with JOB_MOVED, or, when the hand-over came between finding the host and
   * opening the watch, with NO_SUCH_JOB; either way the watch follows the job to the host that
   * adopts it (asked again for up to JOB_FOLLOW_MS since the last message, within the call's
   * deadline), so a client sees one stream to the job's end.
   */
  private async watchJob(call: ServerWritableStream<{ id: string }, unknown>): Promise<void> {
    let cancelled = false;
    let current: { cancel(): void } | null = null;
    call.on('cancelled', () => {
      cancelled = true;
      current?.cancel();
    });
    let followUntil = Date.now() + JOB_FOLLOW_MS;
    let host = await this.jobHost(call.request.id, call.getDeadline(), { untilMs: followUntil, moving: false, cancelled: () => cancelled });
    for (;;) {
      const upstream = (this.client(host, 'JobService') as unknown as { WatchJob(r: unknown, m: Metadata, o: object): NodeJS.EventEmitter & { cancel(): void } }).WatchJob(
        call.request,
        new Metadata(),
        { deadline: call.getDeadline() },
      );
      current = upstream;
      const ended = await new Promise<Error | null>((resolve) => {
        upstream.on('data', (message: unknown) => {
          followUntil = Date.now() + JOB_FOLLOW_MS;
          call.write(message);
        });
        upstream.on('error', (err: Error) => resolve(err));
        upstream.on('end', () => resolve(null));
      });
      if (cancelled) return;
      if (ended === null) {
        call.end();
        return;
      }
      const code = errorCodeOf(ended);
      if ((code !== 'JOB_MOVED' && code !== 'NO_SUCH_JOB') || Date.now() > followUntil) {
        call.emit('error', isHostUnreachable(ended) ? hostUnreachable(host, ended) : ended);
        return;
      }
      host = await this.jobHost(call.request.id, call.getDeadline(), { untilMs: followUntil, moving: true, cancelled: () => cancelled });
    }
  }

  private async eachHost(method: string, request: unknown, deadline: Date | number): Promise<unknown[]> {
    const hosts = await this.options.registry.hosts();
    const answers = await Promise.allSettled(hosts.map((h) => unaryCall(this.client(h.address, 'JobService'), method, request, new Metadata(), deadline)));
    return answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  }

  /**
   * The address of the host that has job `id`. When no host has it but it is moving with its
   * pool (`moving`: a host said so; otherwise the volume index names the job on a volume), this
   * asks again every 250 ms until `untilMs`, for the pool's next holder to adopt it.
   * @throws NO_SUCH_JOB when no host has it and it is not moving; JOB_MOVED at `untilMs`
   */
  private async jobHost(id: string, deadline: Date | number, follow: { untilMs: number; moving: boolean; cancelled: () => boolean }): Promise<string> {
    let moving = follow.moving;
    let pool: string | null = null;
    for (;;) {
      const hosts = await this.options.registry.hosts();
      const answers = await Promise.allSettled(hosts.map((h) => unaryCall(this.client(h.address, 'JobService'), 'GetJob', { id }, new Metadata(), deadline).then(() => h.address)));
      const found = answers.find((a) => a.status === 'fulfilled');
      if (found !== undefined) return (found as PromiseFulfilledResult<string>).value;
      if (!moving) {
        pool = (await this.options.registry.volumes(null)).find((v) => v['jobId'] === id)?.pool ?? null;
        if (pool === null) throw coordinatorError('NO_SUCH_JOB', `no host with a live session has job ${id}`);
        moving = true;
      }
      if (follow.cancelled() || Date.now() > follow.untilMs) {
        throw coordinatorError('JOB_MOVED', `job ${id} is moving with its pool${pool === null ? '' : ` ${pool}`} to the pool's next holder, which has not taken it up yet; retry in a few seconds (--wait SECONDS)`);
      }
      await sleep(250);
    }
  }

  /**
   * A unary handler: errors that are statuses pass through; others become INTERNAL with their
   * message. Each call is counted by method and outcome (OK, `tf-error-code`, or the status name).
   */
  private unary<Req>(fn: (request: Req, call: ServerUnaryCall<Req, unknown>) => Promise<unknown>): (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>) => void {
    return (call, callback) => {
      const method = call.getPath().slice(call.getPath().lastIndexOf('/') + 1);
      fn(call.request, call).then(
        (response) => {
          this.options.metrics?.routedCall(method, 'OK');
          callback(null, response);
        },
        (err: unknown) => {
          if (!isServiceError(err)) this.options.logger.error({ err }, 'routing failed');
          const status = asStatus(err);
          this.options.metrics?.routedCall(method, outcomeOf(status));
          callback(status);
        },
      );
    };
  }
}

function asStatus(err: unknown): Parameters<sendUnaryData<unknown>>[0] {
  if (isServiceError(err)) return err;
  const message = (err as Error).message ?? String(err);
  return coordinatorError('ETCD', `coordinator: ${message}`, { cause: err });
}

/** A failed call's outcome label: its `tf-error-code`, else the gRPC status name. */
function outcomeOf(status: Parameters<sendUnaryData<unknown>>[0]): string {
  const code = errorCodeOf(status);
  if (code !== null) return code.slice(0, 64); // an agent's code, from a fixed set; bounded all the same
  const numeric = (status as { code?: unknown } | null)?.code;
  return typeof numeric === 'number' ? (grpcStatus[numeric] ?? 'UNKNOWN') : 'UNKNOWN';
}

function hintOf(metadata: Metadata): string | null {
  const value = metadata.get(HOST_HINT_METADATA)[0];
  return typeof value === 'string' && value !== '' ? value : null;
}

function checkPool(pool: string): void {
  if (!POOL_NAME.test(pool)) throw coordinatorError('BAD_REQUEST', `pool ${JSON.stringify(pool.slice(0, 80))}${pool.length > 80 ? `… (${pool.length} characters)` : ''} is not a pool name (letters, digits and + _ . -, at most 32)`, { field: 'pool' });
}
