/**
 * Routes the agent API (thinfleet.agent.v1 Pool, Volume, Job and DeviceSnapshot services) served by the
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
import { Metadata, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';
import { ExponentialBackoff, handleWhen, noJitterGenerator, retry } from 'cockatiel';
import type { Logger } from 'pino';
import {
  LOCK_TOKEN_METADATA,
  POOL_NAME_PATTERN,
  type GetPoolResponse__Output,
  type ListVolumesResponse__Output,
  type DeviceSnapshotServiceHandlers,
  type Pool,
  type PoolServiceHandlers,
  type VolumeServiceHandlers,
} from '@thinfleet/proto';
import type { AgentChannels, AgentServiceClient, AgentServiceName } from './agent-channels.js';
import { rawUnaryCall, unaryCall } from './agent-calls.js';
import { coordinatorError, errorCodeOf, isHostUnreachable, unreachableWhy } from './coordinator-error.js';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import { JobRouter } from './job-router.js';
import { choosePool, PlacementError } from './placement.js';
import type { ClusterRegistry, IndexedVolume, OwnerRecord } from './registry.js';
import { hintOf, routedUnary } from './routed-status.js';
import { markWasActive, pruneWasActive } from './was-active.js';

export { HOST_HINT_METADATA } from './routed-status.js';
export { LOCK_TOKEN_METADATA };

export interface RouterOptions {
  readonly registry: ClusterRegistry;
  readonly channels: AgentChannels;
  readonly logger: Logger;
  /** How long a call waits for a host to take a free pool and report it ready (default 30 s). */
  readonly acquireTimeoutMs?: number;
  /** Where routed calls are counted by method and outcome. */
  readonly metrics?: Pick<CoordinatorMetrics, 'routedCall'>;
}

/** Agent refusals that happen before the agent does anything: safe to route again. */
const REFUSED_BEFORE_ACTING = new Set(['STALE_TOKEN', 'NOT_OWNER', 'TOKEN_REQUIRED']);
const READ_ONLY = /^(List|Get|Watch)/;

/** The volume name a routed request carries, or '' when it has none. */
function volumeNameOf(request: unknown): string {
  const name = (request as { name?: unknown }).name;
  return typeof name === 'string' ? name : '';
}

/** Volume methods that change a pool: sent to its owner with the grant's token. */
type ForwardedVolumeMethod =
  | 'SnapshotVolume'
  | 'RenameVolume'
  | 'ResizeVolume'
  | 'ActivateVolume'
  | 'DeactivateVolume'
  | 'DeleteVolume'
  | 'FlattenVolume'
  | 'MoveVolume'
  | 'RevertVolume'
  | 'CreateRevision'
  | 'PinVolume'
  | 'Batch'
  | 'ReadVolume'
  | 'WriteVolume'
  | 'ImportVolume'
  | 'ExportVolume'
  | 'DiffVolumes';
/** DeviceSnapshotService methods that change a pool: sent to its owner with the grant's token. */
type ForwardedDeviceSnapshotMethod = 'CreateDeviceSnapshot' | 'DeleteDeviceSnapshot' | 'MergeDeviceSnapshot';
/** Pool methods that work on a host's devices: refused here (AGENT_ONLY). */
type AgentOnlyPoolMethod = 'CreatePool' | 'DiscoverPools' | 'ActivatePool' | 'DeactivatePool' | 'DestroyPool' | 'ForgetPool' | 'ExtendPool' | 'SetPool' | 'JoinPool';
/** The routed part of the agent's PoolService (WatchPoolEvents is not served: UNIMPLEMENTED). */
export type RoutedPoolHandlers = Pick<PoolServiceHandlers, AgentOnlyPoolMethod | 'ListPools' | 'GetPool'>;

/** A pool as the agent's Pool message, plain JSON (from an owner, or made from the index). */
type PoolMessage = Pool & { name: string };

/**
 * Routing again after the agent refused the token before acting (the pool just changed hands):
 * two more tries, 50 then 100 ms apart.
 */
const refusedRetry = retry(
  handleWhen((err) => REFUSED_BEFORE_ACTING.has(errorCodeOf(err) ?? '')),
  { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 100, generator: noJitterGenerator }) },
);

export class Router {
  private readonly acquireTimeoutMs: number;
  private readonly jobs: JobRouter;

  constructor(private readonly options: RouterOptions) {
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 30_000;
    this.jobs = new JobRouter({ registry: options.registry, logger: options.logger, metrics: options.metrics, client: (address, service) => this.client(address, service) });
  }

  /**
   * The ready owner of `pool`. With `acquire`, a pool nobody holds is handed to a host that
   * reaches it (`hostHint` first) and this waits until that host reports it ready: it watches the
   * pool's owner record and lock keys and looks again at each change, until the acquire timeout.
   * @throws ServiceError NO_HOST (no live host reaches the pool), NOT_READY (timed out); etcd's
   *   error when it does not answer
   */
  async owner(pool: string, options: { acquire: boolean; hostHint?: string | null }): Promise<OwnerRecord | null> {
    const { registry } = this.options;
    const look = async (): Promise<{ ready: OwnerRecord | null; holder: string | null; free: boolean }> => {
      const [lock, owner] = await Promise.all([registry.lockView(pool), registry.owner(pool)]);
      const ready = lock.holder !== null && owner !== null && owner.nodeId === lock.holder && owner.token === lock.token ? owner : null;
      return { ready, holder: lock.holder, free: lock.holder === null && lock.waiters.length === 0 };
    };
    const first = await look();
    if (first.ready !== null || !options.acquire) return first.ready;
    const deadline = Date.now() + this.acquireTimeoutMs;
    // Watching before looking again: a change after that look still wakes the wait.
    const changes = await registry.watchPool(pool, deadline);
    try {
      let requested = false;
      for (;;) {
        const now = await look();
        if (now.ready !== null) return now.ready;
        // Nobody holds it and nobody is queued for it: ask a host to take it.
        if (!requested && now.free) {
          await this.requestAcquire(pool, options.hostHint ?? null);
          requested = true;
        }
        if (Date.now() >= deadline) {
          const why = now.holder === null ? 'no host took it' : `${now.holder} holds it but has not reported it ready`;
          throw coordinatorError('NOT_READY', `pool ${pool} is not served: ${why} within ${Math.round(this.acquireTimeoutMs / 100) / 10} s; retry (--wait SECONDS)`);
        }
        await changes.next(deadline);
      }
    } finally {
      void changes.close(); // not awaited: the answer need not wait for etcd to confirm the cancel
    }
  }

  /** Asks a live host that reaches `pool` (`hostHint` first, then one that has it active) to take it. @throws NO_HOST */
  private async requestAcquire(pool: string, hostHint: string | null): Promise<void> {
    const { registry } = this.options;
    const hosts = (await registry.hosts()).filter((h) => h.pools.some((p) => p.name === pool && p.uuid !== ''));
    if (hosts.length === 0) throw coordinatorError('NO_HOST', `no host with a live session reaches pool ${pool}`);
    const chosen = hosts.find((h) => h.nodeId === hostHint) ?? hosts.find((h) => h.pools.some((p) => p.name === pool && p.active)) ?? hosts[0]!;
    await registry.requestAcquire(chosen.nodeId, pool, BigInt(`0x${chosen.session}`).toString());
    this.options.logger.info({ pool, node: chosen.nodeId }, 'asked a host to take a free pool');
  }

  /**
   * Calls `method` on the owner of `pool` with its token; routes again (up to three tries in all)
   * when the agent refused the token before acting, as happens when the pool just changed hands.
   */
  async callOwner<Res>(pool: string, service: AgentServiceName, method: string, request: object, deadline: Date | number, hostHint: string | null): Promise<Res> {
    return refusedRetry.execute(async ({ attempt }) => {
      const owner = (await this.owner(pool, { acquire: true, hostHint }))!;
      const metadata = new Metadata();
      metadata.set(LOCK_TOKEN_METADATA, owner.token);
      try {
        const response = await this.ownerCall<Res>(pool, owner, service, method, request, metadata, deadline);
        // A volume deactivated on purpose is no longer one whose users need restarting.
        const acknowledged = method === 'DeactivateVolume' ? [volumeNameOf(request)] : [];
        if (!READ_ONLY.test(method)) await this.refreshIndex(pool, owner, acknowledged);
        return READ_ONLY.test(method) ? response : this.markWasActive(response);
      } catch (err) {
        const code = errorCodeOf(err);
        if (code !== null && REFUSED_BEFORE_ACTING.has(code) && attempt < 2)
          this.options.logger.info({ pool, node: owner.nodeId, code, attempt: attempt + 1 }, 'owner refused the token; routing again');
        throw err;
      }
    });
  }

  /**
   * One call on the holder of `pool`. A holder that does not answer is HOST_UNREACHABLE, said in
   * the user's words (which pool, which host, why, what happens next).
   */
  private async ownerCall<Res>(pool: string, owner: OwnerRecord, service: AgentServiceName, method: string, request: object, metadata: Metadata, deadline: Date | number): Promise<Res> {
    try {
      return await rawUnaryCall<Res>(this.client(owner.address, service), method, request, metadata, deadline);
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
      const listed = await unaryCall<ListVolumesResponse__Output>(this.client(owner.address, 'VolumeService'), 'ListVolumes', { pool, usage: false }, new Metadata(), deadline);
      const volumes = listed.volumes as unknown as IndexedVolume[];
      await this.options.registry.putVolumes(pool, volumes);
      await pruneWasActive(this.options.registry, pool, volumes, acknowledged);
      const got = (await unaryCall<GetPoolResponse__Output>(this.client(owner.address, 'PoolService'), 'GetPool', { name: pool }, new Metadata(), deadline)).pool!;
      await this.options.registry.putPool({
        name: pool,
        uuid: got.uuid,
        dataSizeBytes: Number(got.dataTotalBytes),
        dataUsedBytes: Number(got.dataUsedBytes),
        dataBlockBytes: Number(got.dataBlockBytes),
        metadataSizeBytes: Number(got.metadataTotalBytes),
        metadataUsedBytes: Number(got.metadataUsedBytes),
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

  private unary<Req, Res>(fn: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>): handleUnaryCall<Req, Res> {
    return routedUnary(this.options, fn);
  }

  /** A change of a pool's volumes (or device snapshots): to the pool's owner, with the grant's token. */
  private forward<Req extends { pool: string }, Res>(method: ForwardedVolumeMethod | ForwardedDeviceSnapshotMethod, service: AgentServiceName = 'VolumeService'): handleUnaryCall<Req, Res> {
    return this.unary<Req, Res>(async (request, call) => {
      checkPool(request.pool);
      return this.callOwner<Res>(request.pool, service, method, request, call.getDeadline(), hintOf(call.metadata));
    });
  }

  /**
   * DeviceSnapshotService on the coordinator: changes go to the pool's owner (taken up by a host
   * when nobody holds it), like volume changes; a merge's job is then followed by JobService. A
   * list needs the pool's catalog, which only its holder reads: it goes to the owner, and a pool
   * nobody holds is NO_HOST (listing does not move pools).
   */
  deviceSnapshotHandlers(): DeviceSnapshotServiceHandlers {
    return {
      CreateDeviceSnapshot: this.forward('CreateDeviceSnapshot', 'DeviceSnapshotService'),
      DeleteDeviceSnapshot: this.forward('DeleteDeviceSnapshot', 'DeviceSnapshotService'),
      MergeDeviceSnapshot: this.forward('MergeDeviceSnapshot', 'DeviceSnapshotService'),
      ListDeviceSnapshots: this.unary(async (request, call) => {
        checkPool(request.pool);
        const owner = await this.owner(request.pool, { acquire: false });
        if (owner === null) throw coordinatorError('NO_HOST', `pool ${request.pool} is not held by any host: its device snapshots are listed by its holder; activate it on a host first`);
        return this.ownerCall(request.pool, owner, 'DeviceSnapshotService', 'ListDeviceSnapshots', request, new Metadata(), call.getDeadline());
      }),
    };
  }

  /** VolumeService on the coordinator. */
  volumeHandlers(): VolumeServiceHandlers {
    return {
      CreateVolume: this.unary(async (request, call) => {
        const hostHint = hintOf(call.metadata);
        let pool = request.pool;
        if (pool === '') {
          pool = await this.place(hostHint, Number(request.sizeBytes ?? 0));
          request = { ...request, pool };
        }
        checkPool(pool);
        return this.callOwner(pool, 'VolumeService', 'CreateVolume', request, call.getDeadline(), hostHint);
      }),
      SnapshotVolume: this.forward('SnapshotVolume'),
      RenameVolume: this.forward('RenameVolume'),
      ResizeVolume: this.forward('ResizeVolume'),
      ActivateVolume: this.forward('ActivateVolume'),
      DeactivateVolume: this.forward('DeactivateVolume'),
      DeleteVolume: this.forward('DeleteVolume'),
      FlattenVolume: this.forward('FlattenVolume'),
      // A copy runs on the holder of the pool it makes its volume in; that holder reads the
      // source through its own pool's holder (docs/coordinator.md, Copy between hosts).
      CopyVolume: this.unary(async (request, call) => {
        checkPool(request.pool);
        checkPool(request.targetPool, 'target_pool');
        return this.callOwner(request.targetPool, 'VolumeService', 'CopyVolume', request, call.getDeadline(), hintOf(call.metadata));
      }),
      // A move to another host's pool runs where the copy runs: on the target pool's holder
      // (`host` asked to take it when nobody holds it); a live move on the source pool's holder.
      MoveVolume: this.unary(async (request, call) => {
        checkPool(request.pool);
        if (request.host === '') return this.callOwner(request.pool, 'VolumeService', 'MoveVolume', request, call.getDeadline(), hintOf(call.metadata));
        if (request.host.length > 253) throw coordinatorError('BAD_REQUEST', `host: ${request.host.length} characters, at most 253`, { field: 'host' });
        checkPool(request.targetPool, 'target_pool');
        return this.callOwner(request.targetPool, 'VolumeService', 'MoveVolume', request, call.getDeadline(), request.host);
      }),
      RevertVolume: this.forward('RevertVolume'),
      CreateRevision: this.forward('CreateRevision'),
      PinVolume: this.forward('PinVolume'),
      Batch: this.forward('Batch'),
      ReadVolume: this.forward('ReadVolume'),
      WriteVolume: this.forward('WriteVolume'),
      // The image file is on the pool's owner: its path is read or written there.
      ImportVolume: this.forward('ImportVolume'),
      ExportVolume: this.forward('ExportVolume'),
      // Reads the pool's live thin metadata: only its holder can (it may activate the pool).
      DiffVolumes: this.forward('DiffVolumes'),
      ListVolumes: this.unary(async (request, call) => {
        if (request.pool === '') return this.markWasActive({ volumes: await this.options.registry.volumes(null) });
        checkPool(request.pool);
        const owner = await this.owner(request.pool, { acquire: false });
        if (owner !== null) return this.markWasActive(await this.ownerCall(request.pool, owner, 'VolumeService', 'ListVolumes', request, new Metadata(), call.getDeadline()));
        return this.markWasActive({ volumes: await this.options.registry.volumes(request.pool) });
      }),
      GetVolume: this.unary(async (request, call) => {
        checkPool(request.pool);
        const owner = await this.owner(request.pool, { acquire: false });
        if (owner !== null) return this.markWasActive(await this.ownerCall(request.pool, owner, 'VolumeService', 'GetVolume', request, new Metadata(), call.getDeadline()));
        const volume = (await this.options.registry.volumes(request.pool)).find((v) => v.name === request.name);
        if (volume === undefined) throw coordinatorError('NO_SUCH_VOLUME', `pool ${request.pool} has no volume ${request.name} in the cluster index`);
        return this.markWasActive({ volume });
      }),
    };
  }

  private async place(hostHint: string | null, sizeBytes: number): Promise<string> {
    try {
      return choosePool({ host: hostHint, sizeBytes }, await this.options.registry.hosts(), await this.options.registry.pools());
    } catch (err) {
      if (err instanceof PlacementError) throw coordinatorError('NO_PLACEMENT', err.message, { cause: err });
      throw err;
    }
  }

  /** A pool method that works on a host's devices: refused with AGENT_ONLY. */
  private agentOnly<Req, Res>(method: AgentOnlyPoolMethod): handleUnaryCall<Req, Res> {
    return this.unary<Req, Res>(async () => {
      throw coordinatorError('AGENT_ONLY', `${method} works on a host's devices: call the agent on that host (thinfleet --agent ...), not the coordinator`);
    });
  }

  /** PoolService on the coordinator: listing and showing; changes go to an agent. */
  poolHandlers(): RoutedPoolHandlers {
    return {
      CreatePool: this.agentOnly('CreatePool'),
      DiscoverPools: this.agentOnly('DiscoverPools'),
      ActivatePool: this.agentOnly('ActivatePool'),
      DeactivatePool: this.agentOnly('DeactivatePool'),
      DestroyPool: this.agentOnly('DestroyPool'),
      ForgetPool: this.agentOnly('ForgetPool'),
      ExtendPool: this.agentOnly('ExtendPool'),
      SetPool: this.agentOnly('SetPool'),
      JoinPool: this.agentOnly('JoinPool'),
      ListPools: this.unary(async (_request, call) => ({ pools: await this.clusterPools(call.getDeadline()) })),
      GetPool: this.unary(async (request, call) => {
        checkPool(request.name);
        const owner = await this.owner(request.name, { acquire: false });
        if (owner !== null) return this.ownerCall(request.name, owner, 'PoolService', 'GetPool', request, new Metadata(), call.getDeadline());
        const pool = (await this.poolsFromIndex()).find((p) => p.name === request.name);
        if (pool === undefined) throw coordinatorError('NO_SUCH_POOL', `no host of the cluster knows pool ${request.name}`);
        return { pool };
      }),
    };
  }

  /** JobService on the coordinator (job-router.ts). */
  jobHandlers(): ReturnType<JobRouter['handlers']> {
    return this.jobs.handlers();
  }

  /**
   * Every pool of the cluster as the agent's Pool message: a served pool as its owner reports it
   * now (so `pool list` and `pool show` agree), others, and a served one whose owner does not
   * answer, from the index.
   */
  private async clusterPools(deadline: Date | number): Promise<PoolMessage[]> {
    const indexed = await this.poolsFromIndex();
    return Promise.all(
      indexed.map(async (pool) => {
        const owner = await this.owner(pool.name, { acquire: false });
        if (owner === null) return pool;
        try {
          const got = await unaryCall<{ pool: PoolMessage }>(this.client(owner.address, 'PoolService'), 'GetPool', { name: pool.name }, new Metadata(), deadline);
          return got.pool;
        } catch (err) {
          this.options.logger.warn({ pool: pool.name, node: owner.nodeId, err }, 'the owner did not report the pool; listing it from the index');
          return pool;
        }
      }),
    );
  }

  /** Every pool a live host reaches or the index knows, as the agent's Pool message. */
  private async poolsFromIndex(): Promise<PoolMessage[]> {
    const { registry } = this.options;
    const [hosts, records, volumes] = await Promise.all([registry.hosts(), registry.pools(), registry.volumes(null)]);
    const names = new Set([...records.map((p) => p.name), ...hosts.flatMap((h) => h.pools.filter((p) => p.uuid !== '').map((p) => p.name))]);
    const out: PoolMessage[] = [];
    for (const name of [...names].sort()) {
      const record = records.find((p) => p.name === name);
      const reported = hosts.flatMap((h) => h.pools).find((p) => p.name === name);
      const owner = await this.owner(name, { acquire: false });
      out.push({
        name,
        uuid: record?.uuid ?? reported?.uuid ?? '',
        active: owner !== null,
        devices: [...(reported?.devices ?? [])],
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
}

/** @throws BAD_REQUEST naming `field` for a malformed pool name (a short prefix quoted). */
export function checkPool(pool: string, field = 'pool'): void {
  if (!POOL_NAME_PATTERN.test(pool))
    throw coordinatorError(
      'BAD_REQUEST',
      `${field === 'pool' ? 'pool' : `${field}: pool`} ${JSON.stringify(pool.slice(0, 80))}${pool.length > 80 ? `… (${pool.length} characters)` : ''} is not a pool name (letters, digits and + _ . -, at most 32)`,
      { field },
    );
}
