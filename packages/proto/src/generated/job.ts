import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { CancelJobRequest as _thinfleet_agent_v1_CancelJobRequest, CancelJobRequest__Output as _thinfleet_agent_v1_CancelJobRequest__Output } from './thinfleet/agent/v1/CancelJobRequest.js';
import type { CancelJobResponse as _thinfleet_agent_v1_CancelJobResponse, CancelJobResponse__Output as _thinfleet_agent_v1_CancelJobResponse__Output } from './thinfleet/agent/v1/CancelJobResponse.js';
import type { GetJobRequest as _thinfleet_agent_v1_GetJobRequest, GetJobRequest__Output as _thinfleet_agent_v1_GetJobRequest__Output } from './thinfleet/agent/v1/GetJobRequest.js';
import type { GetJobResponse as _thinfleet_agent_v1_GetJobResponse, GetJobResponse__Output as _thinfleet_agent_v1_GetJobResponse__Output } from './thinfleet/agent/v1/GetJobResponse.js';
import type { Job as _thinfleet_agent_v1_Job, Job__Output as _thinfleet_agent_v1_Job__Output } from './thinfleet/agent/v1/Job.js';
import type { JobServiceClient as _thinfleet_agent_v1_JobServiceClient, JobServiceDefinition as _thinfleet_agent_v1_JobServiceDefinition } from './thinfleet/agent/v1/JobService.js';
import type { ListJobsRequest as _thinfleet_agent_v1_ListJobsRequest, ListJobsRequest__Output as _thinfleet_agent_v1_ListJobsRequest__Output } from './thinfleet/agent/v1/ListJobsRequest.js';
import type { ListJobsResponse as _thinfleet_agent_v1_ListJobsResponse, ListJobsResponse__Output as _thinfleet_agent_v1_ListJobsResponse__Output } from './thinfleet/agent/v1/ListJobsResponse.js';
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
        GetJobRequest: MessageTypeDefinition<_thinfleet_agent_v1_GetJobRequest, _thinfleet_agent_v1_GetJobRequest__Output>
        GetJobResponse: MessageTypeDefinition<_thinfleet_agent_v1_GetJobResponse, _thinfleet_agent_v1_GetJobResponse__Output>
        Job: MessageTypeDefinition<_thinfleet_agent_v1_Job, _thinfleet_agent_v1_Job__Output>
        JobService: SubtypeConstructor<typeof grpc.Client, _thinfleet_agent_v1_JobServiceClient> & { service: _thinfleet_agent_v1_JobServiceDefinition }
        JobState: EnumTypeDefinition
        ListJobsRequest: MessageTypeDefinition<_thinfleet_agent_v1_ListJobsRequest, _thinfleet_agent_v1_ListJobsRequest__Output>
        ListJobsResponse: MessageTypeDefinition<_thinfleet_agent_v1_ListJobsResponse, _thinfleet_agent_v1_ListJobsResponse__Output>
        WatchJobRequest: MessageTypeDefinition<_thinfleet_agent_v1_WatchJobRequest, _thinfleet_agent_v1_WatchJobRequest__Output>
        WatchJobResponse: MessageTypeDefinition<_thinfleet_agent_v1_WatchJobResponse, _thinfleet_agent_v1_WatchJobResponse__Output>
      }
    }
  }
}

