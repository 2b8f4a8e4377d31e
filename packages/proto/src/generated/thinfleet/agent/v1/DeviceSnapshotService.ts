// Original file: proto/thinfleet/agent/v1/device_snapshot.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateDeviceSnapshotRequest as _thinfleet_agent_v1_CreateDeviceSnapshotRequest, CreateDeviceSnapshotRequest__Output as _thinfleet_agent_v1_CreateDeviceSnapshotRequest__Output } from '../../../thinfleet/agent/v1/CreateDeviceSnapshotRequest.js';
import type { CreateDeviceSnapshotResponse as _thinfleet_agent_v1_CreateDeviceSnapshotResponse, CreateDeviceSnapshotResponse__Output as _thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output } from '../../../thinfleet/agent/v1/CreateDeviceSnapshotResponse.js';
import type { DeleteDeviceSnapshotRequest as _thinfleet_agent_v1_DeleteDeviceSnapshotRequest, DeleteDeviceSnapshotRequest__Output as _thinfleet_agent_v1_DeleteDeviceSnapshotRequest__Output } from '../../../thinfleet/agent/v1/DeleteDeviceSnapshotRequest.js';
import type { DeleteDeviceSnapshotResponse as _thinfleet_agent_v1_DeleteDeviceSnapshotResponse, DeleteDeviceSnapshotResponse__Output as _thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output } from '../../../thinfleet/agent/v1/DeleteDeviceSnapshotResponse.js';
import type { ListDeviceSnapshotsRequest as _thinfleet_agent_v1_ListDeviceSnapshotsRequest, ListDeviceSnapshotsRequest__Output as _thinfleet_agent_v1_ListDeviceSnapshotsRequest__Output } from '../../../thinfleet/agent/v1/ListDeviceSnapshotsRequest.js';
import type { ListDeviceSnapshotsResponse as _thinfleet_agent_v1_ListDeviceSnapshotsResponse, ListDeviceSnapshotsResponse__Output as _thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output } from '../../../thinfleet/agent/v1/ListDeviceSnapshotsResponse.js';
import type { MergeDeviceSnapshotRequest as _thinfleet_agent_v1_MergeDeviceSnapshotRequest, MergeDeviceSnapshotRequest__Output as _thinfleet_agent_v1_MergeDeviceSnapshotRequest__Output } from '../../../thinfleet/agent/v1/MergeDeviceSnapshotRequest.js';
import type { MergeDeviceSnapshotResponse as _thinfleet_agent_v1_MergeDeviceSnapshotResponse, MergeDeviceSnapshotResponse__Output as _thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output } from '../../../thinfleet/agent/v1/MergeDeviceSnapshotResponse.js';

export interface DeviceSnapshotServiceClient extends grpc.Client {
  /**
   * Makes a device snapshot: the exception store volume (with the device's identity in the
   * pool's catalog), then the snapshot and origin devices. Refused, changing nothing, for a bad
   * name, path or size (INVALID_ARGUMENT naming the field), a path that is not a block device
   * (NO_SUCH_DEVICE), a device of a pool or already protected (DEVICE_IN_USE).
   */
  CreateDeviceSnapshot(argument: _thinfleet_agent_v1_CreateDeviceSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  CreateDeviceSnapshot(argument: _thinfleet_agent_v1_CreateDeviceSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  CreateDeviceSnapshot(argument: _thinfleet_agent_v1_CreateDeviceSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  CreateDeviceSnapshot(argument: _thinfleet_agent_v1_CreateDeviceSnapshotRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Makes a device snapshot: the exception store volume (with the device's identity in the
   * pool's catalog), then the snapshot and origin devices. Refused, changing nothing, for a bad
   * name, path or size (INVALID_ARGUMENT naming the field), a path that is not a block device
   * (NO_SUCH_DEVICE), a device of a pool or already protected (DEVICE_IN_USE).
   */
  createDeviceSnapshot(argument: _thinfleet_agent_v1_CreateDeviceSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  createDeviceSnapshot(argument: _thinfleet_agent_v1_CreateDeviceSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  createDeviceSnapshot(argument: _thinfleet_agent_v1_CreateDeviceSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  createDeviceSnapshot(argument: _thinfleet_agent_v1_CreateDeviceSnapshotRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Drops a device snapshot: the device keeps its current content; the exception store volume
   * is deleted. Refused while a merge runs on it (JOB_RUNNING), while its snapshot device is
   * open (VOLUME_BUSY), or when its path names another device (DEVICE_MISMATCH).
   */
  DeleteDeviceSnapshot(argument: _thinfleet_agent_v1_DeleteDeviceSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  DeleteDeviceSnapshot(argument: _thinfleet_agent_v1_DeleteDeviceSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  DeleteDeviceSnapshot(argument: _thinfleet_agent_v1_DeleteDeviceSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  DeleteDeviceSnapshot(argument: _thinfleet_agent_v1_DeleteDeviceSnapshotRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Drops a device snapshot: the device keeps its current content; the exception store volume
   * is deleted. Refused while a merge runs on it (JOB_RUNNING), while its snapshot device is
   * open (VOLUME_BUSY), or when its path names another device (DEVICE_MISMATCH).
   */
  deleteDeviceSnapshot(argument: _thinfleet_agent_v1_DeleteDeviceSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  deleteDeviceSnapshot(argument: _thinfleet_agent_v1_DeleteDeviceSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  deleteDeviceSnapshot(argument: _thinfleet_agent_v1_DeleteDeviceSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  deleteDeviceSnapshot(argument: _thinfleet_agent_v1_DeleteDeviceSnapshotRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The device snapshots of an active pool.
   */
  ListDeviceSnapshots(argument: _thinfleet_agent_v1_ListDeviceSnapshotsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  ListDeviceSnapshots(argument: _thinfleet_agent_v1_ListDeviceSnapshotsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  ListDeviceSnapshots(argument: _thinfleet_agent_v1_ListDeviceSnapshotsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  ListDeviceSnapshots(argument: _thinfleet_agent_v1_ListDeviceSnapshotsRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The device snapshots of an active pool.
   */
  listDeviceSnapshots(argument: _thinfleet_agent_v1_ListDeviceSnapshotsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listDeviceSnapshots(argument: _thinfleet_agent_v1_ListDeviceSnapshotsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listDeviceSnapshots(argument: _thinfleet_agent_v1_ListDeviceSnapshotsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listDeviceSnapshots(argument: _thinfleet_agent_v1_ListDeviceSnapshotsRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Starts rolling the device back to the snapshot (a "merge" job) and returns the job. The
   * device stays usable through its origin device, which shows the snapshot's content at once.
   * A started merge cannot be undone: CancelJob ends the job, but the merge goes on and is
   * finished at the pool's next activation.
   */
  MergeDeviceSnapshot(argument: _thinfleet_agent_v1_MergeDeviceSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  MergeDeviceSnapshot(argument: _thinfleet_agent_v1_MergeDeviceSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  MergeDeviceSnapshot(argument: _thinfleet_agent_v1_MergeDeviceSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  MergeDeviceSnapshot(argument: _thinfleet_agent_v1_MergeDeviceSnapshotRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Starts rolling the device back to the snapshot (a "merge" job) and returns the job. The
   * device stays usable through its origin device, which shows the snapshot's content at once.
   * A started merge cannot be undone: CancelJob ends the job, but the merge goes on and is
   * finished at the pool's next activation.
   */
  mergeDeviceSnapshot(argument: _thinfleet_agent_v1_MergeDeviceSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  mergeDeviceSnapshot(argument: _thinfleet_agent_v1_MergeDeviceSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  mergeDeviceSnapshot(argument: _thinfleet_agent_v1_MergeDeviceSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  mergeDeviceSnapshot(argument: _thinfleet_agent_v1_MergeDeviceSnapshotRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface DeviceSnapshotServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Makes a device snapshot: the exception store volume (with the device's identity in the
   * pool's catalog), then the snapshot and origin devices. Refused, changing nothing, for a bad
   * name, path or size (INVALID_ARGUMENT naming the field), a path that is not a block device
   * (NO_SUCH_DEVICE), a device of a pool or already protected (DEVICE_IN_USE).
   */
  CreateDeviceSnapshot: grpc.handleUnaryCall<_thinfleet_agent_v1_CreateDeviceSnapshotRequest__Output, _thinfleet_agent_v1_CreateDeviceSnapshotResponse>;
  
  /**
   * Drops a device snapshot: the device keeps its current content; the exception store volume
   * is deleted. Refused while a merge runs on it (JOB_RUNNING), while its snapshot device is
   * open (VOLUME_BUSY), or when its path names another device (DEVICE_MISMATCH).
   */
  DeleteDeviceSnapshot: grpc.handleUnaryCall<_thinfleet_agent_v1_DeleteDeviceSnapshotRequest__Output, _thinfleet_agent_v1_DeleteDeviceSnapshotResponse>;
  
  /**
   * The device snapshots of an active pool.
   */
  ListDeviceSnapshots: grpc.handleUnaryCall<_thinfleet_agent_v1_ListDeviceSnapshotsRequest__Output, _thinfleet_agent_v1_ListDeviceSnapshotsResponse>;
  
  /**
   * Starts rolling the device back to the snapshot (a "merge" job) and returns the job. The
   * device stays usable through its origin device, which shows the snapshot's content at once.
   * A started merge cannot be undone: CancelJob ends the job, but the merge goes on and is
   * finished at the pool's next activation.
   */
  MergeDeviceSnapshot: grpc.handleUnaryCall<_thinfleet_agent_v1_MergeDeviceSnapshotRequest__Output, _thinfleet_agent_v1_MergeDeviceSnapshotResponse>;
  
}

export interface DeviceSnapshotServiceDefinition extends grpc.ServiceDefinition {
  CreateDeviceSnapshot: MethodDefinition<_thinfleet_agent_v1_CreateDeviceSnapshotRequest, _thinfleet_agent_v1_CreateDeviceSnapshotResponse, _thinfleet_agent_v1_CreateDeviceSnapshotRequest__Output, _thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output>
  DeleteDeviceSnapshot: MethodDefinition<_thinfleet_agent_v1_DeleteDeviceSnapshotRequest, _thinfleet_agent_v1_DeleteDeviceSnapshotResponse, _thinfleet_agent_v1_DeleteDeviceSnapshotRequest__Output, _thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output>
  ListDeviceSnapshots: MethodDefinition<_thinfleet_agent_v1_ListDeviceSnapshotsRequest, _thinfleet_agent_v1_ListDeviceSnapshotsResponse, _thinfleet_agent_v1_ListDeviceSnapshotsRequest__Output, _thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output>
  MergeDeviceSnapshot: MethodDefinition<_thinfleet_agent_v1_MergeDeviceSnapshotRequest, _thinfleet_agent_v1_MergeDeviceSnapshotResponse, _thinfleet_agent_v1_MergeDeviceSnapshotRequest__Output, _thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output>
}
