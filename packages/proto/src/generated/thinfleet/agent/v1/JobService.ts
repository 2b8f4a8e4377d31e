// Original file: proto/thinfleet/agent/v1/job.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelJobRequest as _thinfleet_agent_v1_CancelJobRequest, CancelJobRequest__Output as _thinfleet_agent_v1_CancelJobRequest__Output } from '../../../thinfleet/agent/v1/CancelJobRequest.js';
import type { CancelJobResponse as _thinfleet_agent_v1_CancelJobResponse, CancelJobResponse__Output as _thinfleet_agent_v1_CancelJobResponse__Output } from '../../../thinfleet/agent/v1/CancelJobResponse.js';
import type { GetJobRequest as _thinfleet_agent_v1_GetJobRequest, GetJobRequest__Output as _thinfleet_agent_v1_GetJobRequest__Output } from '../../../thinfleet/agent/v1/GetJobRequest.js';
import type { GetJobResponse as _thinfleet_agent_v1_GetJobResponse, GetJobResponse__Output as _thinfleet_agent_v1_GetJobResponse__Output } from '../../../thinfleet/agent/v1/GetJobResponse.js';
import type { ListJobsRequest as _thinfleet_agent_v1_ListJobsRequest, ListJobsRequest__Output as _thinfleet_agent_v1_ListJobsRequest__Output } from '../../../thinfleet/agent/v1/ListJobsRequest.js';
import type { ListJobsResponse as _thinfleet_agent_v1_ListJobsResponse, ListJobsResponse__Output as _thinfleet_agent_v1_ListJobsResponse__Output } from '../../../thinfleet/agent/v1/ListJobsResponse.js';
import type { WatchJobRequest as _thinfleet_agent_v1_WatchJobRequest, WatchJobRequest__Output as _thinfleet_agent_v1_WatchJobRequest__Output } from '../../../thinfleet/agent/v1/WatchJobRequest.js';
import type { WatchJobResponse as _thinfleet_agent_v1_WatchJobResponse, WatchJobResponse__Output as _thinfleet_agent_v1_WatchJobResponse__Output } from '../../../thinfleet/agent/v1/WatchJobResponse.js';

export interface JobServiceClient extends grpc.Client {
  /**
   * Asks a job to stop after its current chunk. Idempotent; a job that ended is reported as it
   * ended.
   */
  CancelJob(argument: _thinfleet_agent_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CancelJobResponse__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _thinfleet_agent_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CancelJobResponse__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _thinfleet_agent_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CancelJobResponse__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _thinfleet_agent_v1_CancelJobRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CancelJobResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Asks a job to stop after its current chunk. Idempotent; a job that ended is reported as it
   * ended.
   */
  cancelJob(argument: _thinfleet_agent_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CancelJobResponse__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _thinfleet_agent_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CancelJobResponse__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _thinfleet_agent_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CancelJobResponse__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _thinfleet_agent_v1_CancelJobRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CancelJobResponse__Output>): grpc.ClientUnaryCall;
  
  GetJob(argument: _thinfleet_agent_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetJobResponse__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _thinfleet_agent_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_GetJobResponse__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _thinfleet_agent_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetJobResponse__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _thinfleet_agent_v1_GetJobRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_GetJobResponse__Output>): grpc.ClientUnaryCall;
  getJob(argument: _thinfleet_agent_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetJobResponse__Output>): grpc.ClientUnaryCall;
  getJob(argument: _thinfleet_agent_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_GetJobResponse__Output>): grpc.ClientUnaryCall;
  getJob(argument: _thinfleet_agent_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetJobResponse__Output>): grpc.ClientUnaryCall;
  getJob(argument: _thinfleet_agent_v1_GetJobRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_GetJobResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Jobs that are running, and those that ended since the agent started.
   */
  ListJobs(argument: _thinfleet_agent_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _thinfleet_agent_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _thinfleet_agent_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _thinfleet_agent_v1_ListJobsRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Jobs that are running, and those that ended since the agent started.
   */
  listJobs(argument: _thinfleet_agent_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _thinfleet_agent_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _thinfleet_agent_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _thinfleet_agent_v1_ListJobsRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The job now, then each change of its progress or state, until it ends. The stream ends
   * with the job's final state.
   */
  WatchJob(argument: _thinfleet_agent_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_WatchJobResponse__Output>;
  WatchJob(argument: _thinfleet_agent_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_WatchJobResponse__Output>;
  /**
   * The job now, then each change of its progress or state, until it ends. The stream ends
   * with the job's final state.
   */
  watchJob(argument: _thinfleet_agent_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_WatchJobResponse__Output>;
  watchJob(argument: _thinfleet_agent_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_WatchJobResponse__Output>;
  
}

export interface JobServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Asks a job to stop after its current chunk. Idempotent; a job that ended is reported as it
   * ended.
   */
  CancelJob: grpc.handleUnaryCall<_thinfleet_agent_v1_CancelJobRequest__Output, _thinfleet_agent_v1_CancelJobResponse>;
  
  GetJob: grpc.handleUnaryCall<_thinfleet_agent_v1_GetJobRequest__Output, _thinfleet_agent_v1_GetJobResponse>;
  
  /**
   * Jobs that are running, and those that ended since the agent started.
   */
  ListJobs: grpc.handleUnaryCall<_thinfleet_agent_v1_ListJobsRequest__Output, _thinfleet_agent_v1_ListJobsResponse>;
  
  /**
   * The job now, then each change of its progress or state, until it ends. The stream ends
   * with the job's final state.
   */
  WatchJob: grpc.handleServerStreamingCall<_thinfleet_agent_v1_WatchJobRequest__Output, _thinfleet_agent_v1_WatchJobResponse>;
  
}

export interface JobServiceDefinition extends grpc.ServiceDefinition {
  CancelJob: MethodDefinition<_thinfleet_agent_v1_CancelJobRequest, _thinfleet_agent_v1_CancelJobResponse, _thinfleet_agent_v1_CancelJobRequest__Output, _thinfleet_agent_v1_CancelJobResponse__Output>
  GetJob: MethodDefinition<_thinfleet_agent_v1_GetJobRequest, _thinfleet_agent_v1_GetJobResponse, _thinfleet_agent_v1_GetJobRequest__Output, _thinfleet_agent_v1_GetJobResponse__Output>
  ListJobs: MethodDefinition<_thinfleet_agent_v1_ListJobsRequest, _thinfleet_agent_v1_ListJobsResponse, _thinfleet_agent_v1_ListJobsRequest__Output, _thinfleet_agent_v1_ListJobsResponse__Output>
  WatchJob: MethodDefinition<_thinfleet_agent_v1_WatchJobRequest, _thinfleet_agent_v1_WatchJobResponse, _thinfleet_agent_v1_WatchJobRequest__Output, _thinfleet_agent_v1_WatchJobResponse__Output>
}
