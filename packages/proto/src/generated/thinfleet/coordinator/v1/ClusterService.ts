// Original file: proto/thinfleet/coordinator/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ClusterStatusRequest as _thinfleet_coordinator_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _thinfleet_coordinator_v1_ClusterStatusRequest__Output } from '../../../thinfleet/coordinator/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _thinfleet_coordinator_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _thinfleet_coordinator_v1_ClusterStatusResponse__Output } from '../../../thinfleet/coordinator/v1/ClusterStatusResponse.js';
import type { FindVolumeRequest as _thinfleet_coordinator_v1_FindVolumeRequest, FindVolumeRequest__Output as _thinfleet_coordinator_v1_FindVolumeRequest__Output } from '../../../thinfleet/coordinator/v1/FindVolumeRequest.js';
import type { FindVolumeResponse as _thinfleet_coordinator_v1_FindVolumeResponse, FindVolumeResponse__Output as _thinfleet_coordinator_v1_FindVolumeResponse__Output } from '../../../thinfleet/coordinator/v1/FindVolumeResponse.js';

export interface ClusterServiceClient extends grpc.Client {
  ClusterStatus(argument: _thinfleet_coordinator_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_coordinator_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _thinfleet_coordinator_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_coordinator_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _thinfleet_coordinator_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_coordinator_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _thinfleet_coordinator_v1_ClusterStatusRequest, callback: grpc.requestCallback<_thinfleet_coordinator_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _thinfleet_coordinator_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_coordinator_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _thinfleet_coordinator_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_coordinator_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _thinfleet_coordinator_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_coordinator_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _thinfleet_coordinator_v1_ClusterStatusRequest, callback: grpc.requestCallback<_thinfleet_coordinator_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Where a volume lives, by name (`pool/name` or a bare name searched in every pool).
   */
  FindVolume(argument: _thinfleet_coordinator_v1_FindVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_coordinator_v1_FindVolumeResponse__Output>): grpc.ClientUnaryCall;
  FindVolume(argument: _thinfleet_coordinator_v1_FindVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_coordinator_v1_FindVolumeResponse__Output>): grpc.ClientUnaryCall;
  FindVolume(argument: _thinfleet_coordinator_v1_FindVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_coordinator_v1_FindVolumeResponse__Output>): grpc.ClientUnaryCall;
  FindVolume(argument: _thinfleet_coordinator_v1_FindVolumeRequest, callback: grpc.requestCallback<_thinfleet_coordinator_v1_FindVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Where a volume lives, by name (`pool/name` or a bare name searched in every pool).
   */
  findVolume(argument: _thinfleet_coordinator_v1_FindVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_coordinator_v1_FindVolumeResponse__Output>): grpc.ClientUnaryCall;
  findVolume(argument: _thinfleet_coordinator_v1_FindVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_coordinator_v1_FindVolumeResponse__Output>): grpc.ClientUnaryCall;
  findVolume(argument: _thinfleet_coordinator_v1_FindVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_coordinator_v1_FindVolumeResponse__Output>): grpc.ClientUnaryCall;
  findVolume(argument: _thinfleet_coordinator_v1_FindVolumeRequest, callback: grpc.requestCallback<_thinfleet_coordinator_v1_FindVolumeResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ClusterServiceHandlers extends grpc.UntypedServiceImplementation {
  ClusterStatus: grpc.handleUnaryCall<_thinfleet_coordinator_v1_ClusterStatusRequest__Output, _thinfleet_coordinator_v1_ClusterStatusResponse>;
  
  /**
   * Where a volume lives, by name (`pool/name` or a bare name searched in every pool).
   */
  FindVolume: grpc.handleUnaryCall<_thinfleet_coordinator_v1_FindVolumeRequest__Output, _thinfleet_coordinator_v1_FindVolumeResponse>;
  
}

export interface ClusterServiceDefinition extends grpc.ServiceDefinition {
  ClusterStatus: MethodDefinition<_thinfleet_coordinator_v1_ClusterStatusRequest, _thinfleet_coordinator_v1_ClusterStatusResponse, _thinfleet_coordinator_v1_ClusterStatusRequest__Output, _thinfleet_coordinator_v1_ClusterStatusResponse__Output>
  FindVolume: MethodDefinition<_thinfleet_coordinator_v1_FindVolumeRequest, _thinfleet_coordinator_v1_FindVolumeResponse, _thinfleet_coordinator_v1_FindVolumeRequest__Output, _thinfleet_coordinator_v1_FindVolumeResponse__Output>
}
