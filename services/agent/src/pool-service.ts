/** PoolService handlers: pool lifecycle through HostPools, reports through poolMessage. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { quoted, type Pool } from '@thinfleet/engine';
import type { CreatePoolRequest__Output, PoolServiceHandlers } from '@thinfleet/proto';
import { AgentError, badRequest } from './agent-error.js';
import { checkDevicePath } from './device-attachments.js';
import type { CreatedHostPool, CreateHostPoolRequest, HostPools } from './host-pools.js';
import type { JobManager } from './jobs/index.js';
import { poolMessage } from './proto-messages.js';
import { namingFields } from './engine-fields.js';
import { bytesField, poolNameField } from './request-checks.js';
import { unary, type RpcContext } from './rpc.js';
import { noSpaceModeField, type CapacityRpc } from './pool-capacity-service.js';

const KiB64 = 64 * 1024;
/** Longest pool reference ActivatePool takes (a name is at most 32 bytes, a uuid 36). */
const MAX_POOL_REF_BYTES = 64;

function devicesField(field: string, devices: readonly string[], required: boolean): string[] {
  if (required && devices.length === 0) throw badRequest(field, 'at least one device is required');
  const seen = new Set<string>();
  return devices.map((d, i) => {
    const path = checkDevicePath(`${field}[${i}]`, d);
    if (seen.has(path)) throw badRequest(`${field}[${i}]`, `${quoted(path)} is named twice`);
    seen.add(path);
    return path;
  });
}

/**
 * What the pool lifecycle calls go through: HostPools itself on a standalone host; in cluster
 * mode the cluster node, which takes the pool's lock before and releases it after.
 */
export interface PoolLifecycle {
  create(request: CreateHostPoolRequest): Promise<CreatedHostPool>;
  activate(name: string, devices: readonly string[]): Promise<Pool>;
  deactivate(name: string): Promise<void>;
  destroy(name: string, force: boolean): Promise<void>;
  forget(name: string): Promise<{ released: string[] }>;
  /** Records a pool on `devices` as known here without activating it (or taking its lock). */
  join(name: string, devices: readonly string[], prefer: boolean): Promise<void>;
}

/**
 * PoolServiceHandlers without the index signature it inherits from UntypedServiceImplementation:
 * `Omit` over the index signature would drop every named RPC, and with them the request types
 * the handlers below are checked against.
 */
type NamedPoolServiceHandlers = { [K in keyof PoolServiceHandlers as string extends K ? never : K]: PoolServiceHandlers[K] };

export function poolServiceHandlers(
  ctx: RpcContext,
  pools: HostPools,
  jobs: JobManager,
  lifecycle: PoolLifecycle = pools,
): Omit<NamedPoolServiceHandlers, CapacityRpc> & UntypedServiceImplementation {
  const view = async (name: string) => ({ pool: poolMessage(await pools.view(name)) });
  return {
    CreatePool: unary(ctx, 'CreatePool', async (r: CreatePoolRequest__Output) => {
      const name = poolNameField('name', r.name);
      const devices = devicesField('devices', r.devices, true);
      const dataBlockBytes = r.dataBlockBytes === 0 ? undefined : bytesField('data_block_bytes', r.dataBlockBytes, KiB64);
      if (dataBlockBytes !== undefined && (dataBlockBytes % KiB64 !== 0 || dataBlockBytes > 1024 ** 3)) {
        throw badRequest('data_block_bytes', 'must be a multiple of 64 KiB up to 1 GiB');
      }
      const metadataBytes = r.metadataBytes === 0 ? undefined : bytesField('metadata_bytes', r.metadataBytes);
      const noSpaceMode = noSpaceModeField('no_space_mode', r.noSpaceMode);
      const created = await namingFields({ dataBlockBytes: 'data_block_bytes', metadataBytes: 'metadata_bytes', devices: 'devices' }, () =>
        lifecycle.create({
          name,
          devices,
          force: r.force,
          ...(dataBlockBytes ? { dataBlockBytes } : {}),
          ...(metadataBytes ? { metadataBytes } : {}),
          ...(noSpaceMode ? { noSpaceMode } : {}),
        }),
      );
      return {
        ...(await view(name)),
        overwritten: created.overwritten.map((l) => ({ device: l.device, poolName: l.poolName, poolUuid: l.poolUuid, deviceIndex: l.deviceIndex })),
      };
    }),

    ListPools: unary(ctx, 'ListPools', async () => ({ pools: (await pools.list()).map(poolMessage) })),

    GetPool: unary(ctx, 'GetPool', async (r) => view(poolNameField('name', r.name))),

    DiscoverPools: unary(ctx, 'DiscoverPools', async (r) => {
      const devices = devicesField('devices', r.devices, true);
      const found = await pools.discover(devices);
      return {
        pools: found.map((p) => ({ name: p.name, uuid: p.uuid, devices: p.devices.map((d) => d ?? ''), complete: p.complete, problems: [...p.problems] })),
      };
    }),

    ActivatePool: unary(ctx, 'ActivatePool', async (r) => {
      if (r.name === '') throw badRequest('name', 'required');
      // A pool name or uuid; anything longer names no pool and would only be repeated in errors.
      if (Buffer.byteLength(r.name) > MAX_POOL_REF_BYTES) throw badRequest('name', `must be a pool name or uuid, at most ${MAX_POOL_REF_BYTES} bytes`);
      const devices = devicesField('devices', r.devices, false);
      const pool = await lifecycle.activate(r.name, devices);
      return view(pool.name);
    }),

    DeactivatePool: unary(ctx, 'DeactivatePool', async (r) => {
      const name = poolNameField('name', r.name);
      await lifecycle.deactivate(name);
      return view(name);
    }),

    JoinPool: unary(ctx, 'JoinPool', async (r) => {
      const name = poolNameField('name', r.name);
      const devices = devicesField('devices', r.devices, true);
      await lifecycle.join(name, devices, r.prefer);
      return view(name);
    }),

    DestroyPool: unary(ctx, 'DestroyPool', async (r) => {
      const name = poolNameField('name', r.name);
      const pending = jobs.list().filter((j) => j.pool === name && (j.state === 'queued' || j.state === 'running'));
      if (pending.length > 0) {
        throw new AgentError('JOB_RUNNING', `pool ${name} has unfinished jobs (${pending.map((j) => j.id).join(', ')}); wait for them or cancel them first`);
      }
      await lifecycle.destroy(name, r.force);
      return {};
    }),

    ForgetPool: unary(ctx, 'ForgetPool', async (r) => {
      const name = poolNameField('name', r.name);
      const pending = jobs.list().filter((j) => j.pool === name && (j.state === 'queued' || j.state === 'running'));
      if (pending.length > 0) {
        throw new AgentError('JOB_RUNNING', `pool ${name} has unfinished jobs (${pending.map((j) => j.id).join(', ')}); wait for them or cancel them first`);
      }
      const { released } = await lifecycle.forget(name);
      return { releasedFiles: released };
    }),
  };
}
