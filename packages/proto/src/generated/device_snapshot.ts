import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { CancelJobRequest as _thinfleet_agent_v1_CancelJobRequest, CancelJobRequest__Output as _thinfleet_agent_v1_CancelJobRequest__Output } from './thinfleet/agent/v1/CancelJobRequest.js';
import type { CancelJobResponse as _thinfleet_agent_v1_CancelJobResponse, CancelJobResponse__Output as _thinfleet_agent_v1_CancelJobResponse__Output } from './thinfleet/agent/v1/CancelJobResponse.js';
import type { CreateDeviceSnapshotRequest as _thinfleet_agent_v1_CreateDeviceSnapshotRequest, CreateDeviceSnapshotRequest__Output as _thinfleet_agent_v1_CreateDeviceSnapshotRequest__Output } from './thinfleet/agent/v1/CreateDeviceSnapshotRequest.js';
import type { CreateDeviceSnapshotResponse as _thinfleet_agent_v1_CreateDeviceSnapshotResponse, CreateDeviceSnapshotResponse__Output as _thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output } from './thinfleet/agent/v1/CreateDeviceSnapshotResponse.js';
import type { DeleteDeviceSnapshotRequest as _thinfleet_agent_v1_DeleteDeviceSnapshotRequest, DeleteDeviceSnapshotRequest__Output as _thinfleet_agent_v1_DeleteDeviceSnapshotRequest__Output } from './thinfleet/agent/v1/DeleteDeviceSnapshotRequest.js';
import type { DeleteDeviceSnapshotResponse as _thinfleet_agent_v1_DeleteDeviceSnapshotResponse, DeleteDeviceSnapshotResponse__Output as _thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output } from './thinfleet/agent/v1/DeleteDeviceSnapshotResponse.js';
import type { DeviceIdentity as _thinfleet_agent_v1_DeviceIdentity, DeviceIdentity__Output as _thinfleet_agent_v1_DeviceIdentity__Output } from './thinfleet/agent/v1/DeviceIdentity.js';
import type { DeviceSnapshot as _thinfleet_agent_v1_DeviceSnapshot, DeviceSnapshot__Output as _thinfleet_agent_v1_DeviceSnapshot__Output } from './thinfleet/agent/v1/DeviceSnapshot.js';
import type { DeviceSnapshotServiceClient as _thinfleet_agent_v1_DeviceSnapshotServiceClient, DeviceSnapshotServiceDefinition as _thinfleet_agent_v1_DeviceSnapshotServiceDefinition } from './thinfleet/agent/v1/DeviceSnapshotService.js';
import type { GetJobRequest as _thinfleet_agent_v1_GetJobRequest, GetJobRequest__Output as _thinfleet_agent_v1_GetJobRequest__Output } from './thinfleet/agent/v1/GetJobRequest.js';
import type { GetJobResponse as _thinfleet_agent_v1_GetJobResponse, GetJobResponse__Output as _thinfleet_agent_v1_GetJobResponse__Output } from './thinfleet/agent/v1/GetJobResponse.js';
import type { Job as _thinfleet_agent_v1_Job, Job__Output as _thinfleet_agent_v1_Job__Output } from './thinfleet/agent/v1/Job.js';
import type { JobServiceClient as _thinfleet_agent_v1_JobServiceClient, JobServiceDefinition as _thinfleet_agent_v1_JobServiceDefinition } from './thinfleet/agent/v1/JobService.js';
import type { ListDeviceSnapshotsRequest as _thinfleet_agent_v1_ListDeviceSnapshotsRequest, ListDeviceSnapshotsRequest__Output as _thinfleet_agent_v1_ListDeviceSnapshotsRequest__Output } from './thinfleet/agent/v1/ListDeviceSnapshotsRequest.js';
import type { ListDeviceSnapshotsResponse as _thinfleet_agent_v1_ListDeviceSnapshotsResponse, ListDeviceSnapshotsResponse__Output as _thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output } from './thinfleet/agent/v1/ListDeviceSnapshotsResponse.js';
import type { ListJobsRequest as _thinfleet_agent_v1_ListJobsRequest, ListJobsRequest__Output as _thinfleet_agent_v1_ListJobsRequest__Output } from './thinfleet/agent/v1/ListJobsRequest.js';
import type { ListJobsResponse as _thinfleet_agent_v1_ListJobsResponse, ListJobsResponse__Output as _thinfleet_agent_v1_ListJobsResponse__Output } from './thinfleet/agent/v1/ListJobsResponse.js';
import type { MergeDeviceSnapshotRequest as _thinfleet_agent_v1_MergeDeviceSnapshotRequest, MergeDeviceSnapshotRequest__Output as _thinfleet_agent_v1_MergeDeviceSnapshotRequest__Output } from './thinfleet/agent/v1/MergeDeviceSnapshotRequest.js';
import type { MergeDeviceSnapshotResponse as _thinfleet_agent_v1_MergeDeviceSnapshotResponse, MergeDeviceSnapshotResponse__Output as _thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output } from './thinfleet/agent/v1/MergeDeviceSnapshotResponse.js';
import type { WatchJobRequest as _thinfleet_agent_v1_WatchJobRequest, WatchJobRequest__Output as _thinfleet_agent_v1_WatchJobRequest__Output } from './thinfleet/agent/v1/WatchJobRequest.js';
import type { WatchJobResponse as _thinfleet_agent_v1_WatchJobResponse, WatchJobResponse__Output as _thinfleet_agent_v1_WatchJobResponse__Output } from './thinfleet/agent/v1/WatchJobResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  thinfleet: {
    agent: {
      v1: {
        CancelJobRequest: MessageTypeDefinition<_thinfleet_agent_v1_CancelJobRequest, _thinfleet_agent_v1_CancelJobRequest__Output>
        CancelJobResponse: MessageTypeDefinition<_thinfleet_agent_v1_CancelJobResponse, _thinfleet_agent_v1_CancelJobResponse__Output>
        CreateDeviceSnapshotRequest: MessageTypeDefinition<_thinfleet_agent_v1_CreateDeviceSnapshotRequest, _thinfleet_agent_v1_CreateDeviceSnapshotRequest__Output>
        CreateDeviceSnapshotResponse: MessageTypeDefinition<_thinfleet_agent_v1_CreateDeviceSnapshotResponse, _thinfleet_agent_v1_CreateDeviceSnapshotResponse__Output>
        DeleteDeviceSnapshotRequest: MessageTypeDefinition<_thinfleet_agent_v1_DeleteDeviceSnapshotRequest, _thinfleet_agent_v1_DeleteDeviceSnapshotRequest__Output>
        DeleteDeviceSnapshotResponse: MessageTypeDefinition<_thinfleet_agent_v1_DeleteDeviceSnapshotResponse, _thinfleet_agent_v1_DeleteDeviceSnapshotResponse__Output>
        DeviceIdentity: MessageTypeDefinition<_thinfleet_agent_v1_DeviceIdentity, _thinfleet_agent_v1_DeviceIdentity__Output>
        DeviceSnapshot: MessageTypeDefinition<_thinfleet_agent_v1_DeviceSnapshot, _thinfleet_agent_v1_DeviceSnapshot__Output>
        DeviceSnapshotService: SubtypeConstructor<typeof grpc.Client, _thinfleet_agent_v1_DeviceSnapshotServiceClient> & { service: _thinfleet_agent_v1_DeviceSnapshotServiceDefinition }
        GetJobRequest: MessageTypeDefinition<_thinfleet_agent_v1_GetJobRequest, _thinfleet_agent_v1_GetJobRequest__Output>
        GetJobResponse: MessageTypeDefinition<_thinfleet_agent_v1_GetJobResponse, _thinfleet_agent_v1_GetJobResponse__Output>
        Job: MessageTypeDefinition<_thinfleet_agent_v1_Job, _thinfleet_agent_v1_Job__Output>
        JobService: SubtypeConstructor<typeof grpc.Client, _thinfleet_agent_v1_JobServiceClient> & { service: _thinfleet_agent_v1_JobServiceDefinition }
        JobState: EnumTypeDefinition
        ListDeviceSnapshotsRequest: MessageTypeDefinition<_thinfleet_agent_v1_ListDeviceSnapshotsRequest, _thinfleet_agent_v1_ListDeviceSnapshotsRequest__Output>
        ListDeviceSnapshotsResponse: MessageTypeDefinition<_thinfleet_agent_v1_ListDeviceSnapshotsResponse, _thinfleet_agent_v1_ListDeviceSnapshotsResponse__Output>
        ListJobsRequest: MessageTypeDefinition<_thinfleet_agent_v1_ListJobsRequest, _thinfleet_agent_v1_ListJobsRequest__Output>
        ListJobsResponse: MessageTypeDefinition<_thinfleet_agent_v1_ListJobsResponse, _thinfleet_agent_v1_ListJobsResponse__Output>
        MergeDeviceSnapshotRequest: MessageTypeDefinition<_thinfleet_agent_v1_MergeDeviceSnapshotRequest, _thinfleet_agent_v1_MergeDeviceSnapshotRequest__Output>
        MergeDeviceSnapshotResponse: MessageTypeDefinition<_thinfleet_agent_v1_MergeDeviceSnapshotResponse, _thinfleet_agent_v1_MergeDeviceSnapshotResponse__Output>
        WatchJobRequest: MessageTypeDefinition<_thinfleet_agent_v1_WatchJobRequest, _thinfleet_agent_v1_WatchJobRequest__Output>
        WatchJobResponse: MessageTypeDefinition<_thinfleet_agent_v1_WatchJobResponse, _thinfleet_agent_v1_WatchJobResponse__Output>
      }
    }
  }
}

