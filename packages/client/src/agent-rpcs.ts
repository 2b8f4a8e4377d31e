/**
 * The unary RPCs of the agent API as AgentClient's methods: their types (one line each) and one
 * table saying which service serves each and whether it changes anything. The methods
 * themselves are one piece of code, installed from the table on {@link AgentRpcMethods}, which
 * hands every call to its subclass's `invoke`.
 */
import type {
  ActivatePoolRequest,
  ActivatePoolResponse__Output,
  ActivateVolumeRequest,
  ActivateVolumeResponse__Output,
  BatchRequest,
  BatchResponse__Output,
  CancelJobRequest,
  CancelJobResponse__Output,
  CreateDeviceSnapshotRequest,
  CreateDeviceSnapshotResponse__Output,
  CreatePoolRequest,
  CreatePoolResponse__Output,
  CreateRevisionRequest,
  CreateRevisionResponse__Output,
  CreateVolumeRequest,
  CreateVolumeResponse__Output,
  DeactivatePoolRequest,
  DeactivatePoolResponse__Output,
  DeactivateVolumeRequest,
  DeactivateVolumeResponse__Output,
  DeleteDeviceSnapshotRequest,
  DeleteDeviceSnapshotResponse__Output,
  DeleteVolumeRequest,
  DeleteVolumeResponse__Output,
  FlattenVolumeRequest,
  FlattenVolumeResponse__Output,
  MoveVolumeRequest,
  MoveVolumeResponse__Output,
  DestroyPoolRequest,
  ExportVolumeRequest,
  ExportVolumeResponse__Output,
  DiffVolumesRequest,
  DiffVolumesResponse__Output,
  DestroyPoolResponse__Output,
  DiscoverPoolsRequest,
  DiscoverPoolsResponse__Output,
  CopyVolumeRequest,
  CopyVolumeResponse__Output,
  ExtendPoolRequest,
  ExtendPoolResponse__Output,
  ForgetPoolRequest,
  ForgetPoolResponse__Output,
  GetJobRequest,
  GetJobResponse__Output,
  GetPoolRequest,
  GetPoolResponse__Output,
  GetVolumeRequest,
  GetVolumeResponse__Output,
  ImportVolumeRequest,
  ImportVolumeResponse__Output,
  JoinPoolRequest,
  JoinPoolResponse__Output,
  ListDeviceSnapshotsRequest,
  ListDeviceSnapshotsResponse__Output,
  ListJobsRequest,
  ListJobsResponse__Output,
  ListPoolsRequest,
  ListPoolsResponse__Output,
  ListVolumesRequest,
  ListVolumesResponse__Output,
  MergeDeviceSnapshotRequest,
  MergeDeviceSnapshotResponse__Output,
  PinVolumeRequest,
  PinVolumeResponse__Output,
  ReadVolumeRequest,
  ReadVolumeResponse__Output,
  RenameVolumeRequest,
  RenameVolumeResponse__Output,
  ResizeVolumeRequest,
  ResizeVolumeResponse__Output,
  RevertVolumeRequest,
  RevertVolumeResponse__Output,
  SetPoolRequest,
  SetPoolResponse__Output,
  SnapshotVolumeRequest,
  SnapshotVolumeResponse__Output,
  WriteVolumeRequest,
  WriteVolumeResponse__Output,
} from '@thinfleet/proto';
import type { AgentCallOptions } from './client-options.js';

/** A unary RPC: resolves to the response message as grpc-js decodes it; rejects with an AgentCallError. */
export type AgentRpc<Req, Res> = (request: Req, options?: AgentCallOptions) => Promise<Res>;

/** A unary read whose request may be left out (every field has a default): `{}` is sent then. */
export type AgentListRpc<Req, Res> = (request?: Req, options?: AgentCallOptions) => Promise<Res>;

/**
 * The unary RPC methods of AgentClient (`createPool` ... `cancelJob`): each takes the request
 * message and optional per-call options, and resolves to the response message (camelCase
 * fields, 64-bit integers as numbers, enums as names). They are as idempotent as the RPCs they
 * make (see the proto files); a mutating one carries a request id (AgentCallOptions.requestId).
 */
export interface AgentRpcs {
  createPool: AgentRpc<CreatePoolRequest, CreatePoolResponse__Output>;
  listPools: AgentListRpc<ListPoolsRequest, ListPoolsResponse__Output>;
  getPool: AgentRpc<GetPoolRequest, GetPoolResponse__Output>;
  discoverPools: AgentRpc<DiscoverPoolsRequest, DiscoverPoolsResponse__Output>;
  activatePool: AgentRpc<ActivatePoolRequest, ActivatePoolResponse__Output>;
  deactivatePool: AgentRpc<DeactivatePoolRequest, DeactivatePoolResponse__Output>;
  /** Records a pool on `devices` as known on the agent's host without activating it (JoinPool). */
  joinPool: AgentRpc<JoinPoolRequest, JoinPoolResponse__Output>;
  destroyPool: AgentRpc<DestroyPoolRequest, DestroyPoolResponse__Output>;
  forgetPool: AgentRpc<ForgetPoolRequest, ForgetPoolResponse__Output>;
  extendPool: AgentRpc<ExtendPoolRequest, ExtendPoolResponse__Output>;
  setPool: AgentRpc<SetPoolRequest, SetPoolResponse__Output>;
  createVolume: AgentRpc<CreateVolumeRequest, CreateVolumeResponse__Output>;
  snapshotVolume: AgentRpc<SnapshotVolumeRequest, SnapshotVolumeResponse__Output>;
  listVolumes: AgentListRpc<ListVolumesRequest, ListVolumesResponse__Output>;
  getVolume: AgentRpc<GetVolumeRequest, GetVolumeResponse__Output>;
  renameVolume: AgentRpc<RenameVolumeRequest, RenameVolumeResponse__Output>;
  resizeVolume: AgentRpc<ResizeVolumeRequest, ResizeVolumeResponse__Output>;
  activateVolume: AgentRpc<ActivateVolumeRequest, ActivateVolumeResponse__Output>;
  deactivateVolume: AgentRpc<DeactivateVolumeRequest, DeactivateVolumeResponse__Output>;
  deleteVolume: AgentRpc<DeleteVolumeRequest, DeleteVolumeResponse__Output>;
  /** Starts a flatten job (copy the external origin in, then detach it); answers with the job. */
  flattenVolume: AgentRpc<FlattenVolumeRequest, FlattenVolumeResponse__Output>;
  moveVolume: AgentRpc<MoveVolumeRequest, MoveVolumeResponse__Output>;
  revertVolume: AgentRpc<RevertVolumeRequest, RevertVolumeResponse__Output>;
  createRevision: AgentRpc<CreateRevisionRequest, CreateRevisionResponse__Output>;
  pinVolume: AgentRpc<PinVolumeRequest, PinVolumeResponse__Output>;
  batch: AgentRpc<BatchRequest, BatchResponse__Output>;
  /** Reads up to 1 MiB of an active volume's content (sector-aligned). */
  readVolume: AgentRpc<ReadVolumeRequest, ReadVolumeResponse__Output>;
  /** Writes up to 1 MiB into an active volume (sector-aligned), durably once it resolves. */
  writeVolume: AgentRpc<WriteVolumeRequest, WriteVolumeResponse__Output>;
  /** Starts importing an image file on the agent's host into a new volume (a background job). */
  importVolume: AgentRpc<ImportVolumeRequest, ImportVolumeResponse__Output>;
  /** Starts exporting a volume to a new image file on the agent's host (a background job). */
  exportVolume: AgentRpc<ExportVolumeRequest, ExportVolumeResponse__Output>;
  /** Starts a sparse copy of a volume into a new volume of `target_pool` (a background job on that pool's holder). */
  copyVolume: AgentRpc<CopyVolumeRequest, CopyVolumeResponse__Output>;
  /** One page of the ranges where one volume differs from another of its lineage (from the thin metadata). */
  diffVolumes: AgentRpc<DiffVolumesRequest, DiffVolumesResponse__Output>;
  listJobs: AgentListRpc<ListJobsRequest, ListJobsResponse__Output>;
  getJob: AgentRpc<GetJobRequest, GetJobResponse__Output>;
  cancelJob: AgentRpc<CancelJobRequest, CancelJobResponse__Output>;
  createDeviceSnapshot: AgentRpc<CreateDeviceSnapshotRequest, CreateDeviceSnapshotResponse__Output>;
  listDeviceSnapshots: AgentRpc<ListDeviceSnapshotsRequest, ListDeviceSnapshotsResponse__Output>;
  deleteDeviceSnapshot: AgentRpc<DeleteDeviceSnapshotRequest, DeleteDeviceSnapshotResponse__Output>;
  /** Starts a device snapshot's merge back into its device; resolves with the job (follow it with watchJob). */
  mergeDeviceSnapshot: AgentRpc<MergeDeviceSnapshotRequest, MergeDeviceSnapshotResponse__Output>;
}

/** The grpc-js client (of AgentClient) that serves a method. */
export type AgentServiceName = 'pools' | 'volumes' | 'jobs' | 'deviceSnapshots';

/**
 * How a method is sent: `mutating` with a request id, retried while its answer is lost
 * (AgentCallOptions.retryForMs); `read` once; `list` as `read`, with `{}` for a missing request.
 */
export type AgentRpcKind = 'read' | 'list' | 'mutating';

/** Each unary RPC method: its service, and how it is sent. The method name is the grpc-js client's. */
export const AGENT_RPCS: { readonly [M in keyof AgentRpcs]: readonly [AgentServiceName, AgentRpcKind] } = {
  createPool: ['pools', 'mutating'],
  listPools: ['pools', 'list'],
  getPool: ['pools', 'read'],
  discoverPools: ['pools', 'read'],
  activatePool: ['pools', 'mutating'],
  deactivatePool: ['pools', 'mutating'],
  joinPool: ['pools', 'read'],
  destroyPool: ['pools', 'mutating'],
  forgetPool: ['pools', 'mutating'],
  extendPool: ['pools', 'mutating'],
  setPool: ['pools', 'mutating'],
  createVolume: ['volumes', 'mutating'],
  snapshotVolume: ['volumes', 'mutating'],
  listVolumes: ['volumes', 'list'],
  getVolume: ['volumes', 'read'],
  renameVolume: ['volumes', 'mutating'],
  resizeVolume: ['volumes', 'mutating'],
  activateVolume: ['volumes', 'mutating'],
  deactivateVolume: ['volumes', 'mutating'],
  deleteVolume: ['volumes', 'mutating'],
  flattenVolume: ['volumes', 'mutating'],
  moveVolume: ['volumes', 'mutating'],
  revertVolume: ['volumes', 'mutating'],
  createRevision: ['volumes', 'mutating'],
  pinVolume: ['volumes', 'mutating'],
  batch: ['volumes', 'mutating'],
  readVolume: ['volumes', 'read'],
  writeVolume: ['volumes', 'mutating'],
  importVolume: ['volumes', 'mutating'],
  exportVolume: ['volumes', 'mutating'],
  copyVolume: ['volumes', 'mutating'],
  diffVolumes: ['volumes', 'read'],
  listJobs: ['jobs', 'list'],
  getJob: ['jobs', 'read'],
  cancelJob: ['jobs', 'mutating'],
  createDeviceSnapshot: ['deviceSnapshots', 'mutating'],
  listDeviceSnapshots: ['deviceSnapshots', 'read'],
  deleteDeviceSnapshot: ['deviceSnapshots', 'mutating'],
  mergeDeviceSnapshot: ['deviceSnapshots', 'mutating'],
};

/**
 * The base of AgentClient: one prototype method per entry of {@link AGENT_RPCS}, each passing
 * its request (`{}` for a missing one of a `list` method) and options to `invoke`.
 */
export abstract class AgentRpcMethods {
  /** Makes the call `method` of `service` as `kind` says; rejects with an AgentCallError. */
  protected abstract invoke(service: AgentServiceName, method: keyof AgentRpcs, kind: AgentRpcKind, request: object, options: AgentCallOptions | undefined): Promise<unknown>;

  static {
    for (const [method, [service, kind]] of Object.entries(AGENT_RPCS) as Array<[keyof AgentRpcs, readonly [AgentServiceName, AgentRpcKind]]>) {
      Object.defineProperty(AgentRpcMethods.prototype, method, {
        value(this: AgentRpcMethods, request: object | undefined, options?: AgentCallOptions): Promise<unknown> {
          return this.invoke(service, method, kind, kind === 'list' && request === undefined ? {} : (request as object), options);
        },
        writable: true,
        configurable: true,
      });
    }
  }
}

/** {@link AgentRpcMethods} with the method types of {@link AgentRpcs}: what AgentClient extends. */
export const AgentRpcBase = AgentRpcMethods as abstract new () => AgentRpcMethods & AgentRpcs;
