/**
 * DeviceSnapshotService handlers (proto/thinfleet/agent/v1/device_snapshot.proto) over the
 * agent's DeviceSnapshots (device-snapshots/device-snapshots.ts) and its job manager (the merge
 * job, jobs/merge-job.ts). Every request field is checked before any work, naming the field.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { isEngineError } from '@thinfleet/engine';
import type {
  CreateDeviceSnapshotRequest__Output,
  DeleteDeviceSnapshotRequest__Output,
  DeviceSnapshot,
  DeviceSnapshotServiceHandlers,
  ListDeviceSnapshotsRequest__Output,
  MergeDeviceSnapshotRequest__Output,
} from '@thinfleet/proto';
import { AgentError, badRequest } from './agent-error.js';
import { checkSnapshotDevicePath, type DeviceSnapshots, type DeviceSnapshotView } from './device-snapshots/device-snapshots.js';
import type { JobManager } from './jobs/index.js';
import { jobMessage } from './proto-messages.js';
import { bytesField, countField, poolNameField, volumeNameField } from './request-checks.js';
import { unary, type RpcContext } from './rpc.js';

interface DeviceSnapshotDeps {
  readonly snapshots: DeviceSnapshots;
  readonly jobs: JobManager;
}

/** The wire form of a device snapshot of pool `pool`. Pure. */
export function deviceSnapshotMessage(pool: string, v: DeviceSnapshotView): DeviceSnapshot {
  return {
    pool,
    name: v.name,
    cowUuid: v.cowUuid,
    cowSizeBytes: v.cowSizeBytes,
    device: { path: v.record.device.path, sizeBytes: v.record.device.sizeBytes, label: v.record.device.label },
    chunkSectors: v.record.chunkSectors,
    created: new Date(v.record.createdAtMs).toISOString(),
    state: v.state,
    jobId: v.jobId ?? '',
    originDevicePath: v.originDevicePath ?? '',
    snapshotDevicePath: v.snapshotDevicePath ?? '',
    status: v.status,
  };
}

export function deviceSnapshotServiceHandlers(ctx: RpcContext, deps: DeviceSnapshotDeps): DeviceSnapshotServiceHandlers & UntypedServiceImplementation {
  const { snapshots, jobs } = deps;
  const target = (r: { pool: string; name: string }): { pool: string; name: string } => {
    const pool = poolNameField('pool', r.pool);
    return { pool, name: volumeNameField('name', pool, r.name) };
  };
  return {
    CreateDeviceSnapshot: unary(ctx, 'CreateDeviceSnapshot', async (r: CreateDeviceSnapshotRequest__Output) => {
      const { pool, name } = target(r);
      const device = checkSnapshotDevicePath('device', r.device);
      const sizeBytes = r.sizeBytes === 0 ? undefined : bytesField('size_bytes', r.sizeBytes);
      const chunkSectors = r.chunkSectors === 0 ? undefined : countField('chunk_sectors', r.chunkSectors, 1, 2 ** 22);
      try {
        const made = await snapshots.create({ pool, name, device, ...(sizeBytes === undefined ? {} : { sizeBytes }), ...(chunkSectors === undefined ? {} : { chunkSectors }) });
        return { snapshot: deviceSnapshotMessage(pool, made) };
      } catch (err) {
        if (isEngineError(err, 'INVALID_SIZE')) throw badRequest('size_bytes', err.message);
        throw err;
      }
    }),

    ListDeviceSnapshots: unary(ctx, 'ListDeviceSnapshots', async (r: ListDeviceSnapshotsRequest__Output) => {
      const pool = poolNameField('pool', r.pool);
      return { snapshots: (await snapshots.list(pool)).map((v) => deviceSnapshotMessage(pool, v)) };
    }),

    DeleteDeviceSnapshot: unary(ctx, 'DeleteDeviceSnapshot', async (r: DeleteDeviceSnapshotRequest__Output) => {
      const { pool, name } = target(r);
      const job = jobs.jobOnVolume(pool, name);
      if (job !== null) throw new AgentError('JOB_RUNNING', `device snapshot ${pool}/${name} is being worked on by job ${job.id} (${job.kind})`);
      return snapshots.delete(pool, name);
    }),

    MergeDeviceSnapshot: unary(ctx, 'MergeDeviceSnapshot', async (r: MergeDeviceSnapshotRequest__Output) => {
      const { pool, name } = target(r);
      return { job: jobMessage(await jobs.startMerge(pool, name)) };
    }),
  };
}
