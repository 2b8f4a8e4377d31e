/**
 * ClusterService: the cluster as etcd has it — hosts with live sessions, every pool with its
 * owner, token, waiters and the hosts that reach it — and where a volume lives. Read-only.
 */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { ClusterPool, ClusterServiceHandlers, ClusterStatusResponse, FindVolumeRequest__Output, FindVolumeResponse } from '@thinfleet/proto';
import { coordinatorError } from './coordinator-error.js';
import type { ClusterRegistry } from './registry.js';
import { asStatus } from './routed-status.js';

export interface ClusterServiceOptions {
  readonly registry: ClusterRegistry;
  readonly coordinatorId: string;
  readonly etcdEndpoints: readonly string[];
  readonly embeddedEtcd: boolean;
}

/** The status as the ClusterStatus RPC answers it. */
export async function clusterStatus(options: ClusterServiceOptions): Promise<ClusterStatusResponse> {
  const { registry } = options;
  const [hosts, records, volumes] = await Promise.all([registry.hosts(), registry.pools(), registry.volumes(null)]);
  const names = new Set([...records.map((p) => p.name), ...hosts.flatMap((h) => h.pools.filter((p) => p.uuid !== '').map((p) => p.name))]);
  const pools: ClusterPool[] = [];
  for (const name of [...names].sort()) {
    const [lock, owner] = await Promise.all([registry.lockView(name), registry.owner(name)]);
    const record = records.find((p) => p.name === name);
    pools.push({
      name,
      uuid: record?.uuid ?? hosts.flatMap((h) => h.pools).find((p) => p.name === name)?.uuid ?? '',
      owner: lock.holder ?? '',
      token: lock.token ?? '',
      ready: lock.holder !== null && owner !== null && owner.nodeId === lock.holder && owner.token === lock.token,
      waiters: [...lock.waiters],
      hosts: hosts.filter((h) => h.pools.some((p) => p.name === name)).map((h) => h.nodeId),
      dataSizeBytes: record?.dataSizeBytes ?? 0,
      dataUsedBytes: record?.dataUsedBytes ?? 0,
      volumeCount: volumes.filter((v) => v.pool === name).length,
    });
  }
  return {
    hosts: hosts.map((h) => ({
      nodeId: h.nodeId,
      address: h.address,
      session: h.session,
      version: h.version,
      coordinator: h.coordinator,
      pools: h.pools.map((p) => p.name),
      fencing: h.fencing ?? 'none',
      watchdogTimeoutSeconds: h.watchdogTimeoutSeconds ?? 0,
    })),
    pools,
    etcdEndpoints: [...options.etcdEndpoints],
    embeddedEtcd: options.embeddedEtcd,
    coordinator: options.coordinatorId,
  };
}

/** `pool/name` finds that volume; a bare name is looked up in every pool. */
export async function findVolume(options: ClusterServiceOptions, request: FindVolumeRequest__Output): Promise<FindVolumeResponse> {
  const name = request.name;
  if (name === '') throw coordinatorError('BAD_REQUEST', 'name is required (pool/name or a volume name)', { field: 'name' });
  const slash = name.indexOf('/');
  const [pool, volume] = slash < 0 ? [null, name] : [name.slice(0, slash), name.slice(slash + 1)];
  const found = (await options.registry.volumes(pool)).filter((v) => v.name === volume);
  const locations = [];
  for (const v of found) {
    const lock = await options.registry.lockView(v.pool);
    locations.push({ pool: v.pool, name: v.name, uuid: v.uuid, sizeBytes: v.sizeBytes, owner: lock.holder ?? '' });
  }
  return { locations };
}

export function clusterServiceHandlers(options: ClusterServiceOptions): ClusterServiceHandlers {
  const answer =
    <Req, Res>(fn: (request: Req) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      fn(call.request).then(
        (response) => callback(null, response),
        (err: unknown) => callback(asStatus(err)),
      );
    };
  return {
    ClusterStatus: answer(() => clusterStatus(options)),
    FindVolume: answer((request: FindVolumeRequest__Output) => findVolume(options, request)),
  };
}
