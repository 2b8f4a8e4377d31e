import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ClusterHost as _thinfleet_coordinator_v1_ClusterHost, ClusterHost__Output as _thinfleet_coordinator_v1_ClusterHost__Output } from './thinfleet/coordinator/v1/ClusterHost.js';
import type { ClusterPool as _thinfleet_coordinator_v1_ClusterPool, ClusterPool__Output as _thinfleet_coordinator_v1_ClusterPool__Output } from './thinfleet/coordinator/v1/ClusterPool.js';
import type { ClusterServiceClient as _thinfleet_coordinator_v1_ClusterServiceClient, ClusterServiceDefinition as _thinfleet_coordinator_v1_ClusterServiceDefinition } from './thinfleet/coordinator/v1/ClusterService.js';
import type { ClusterStatusRequest as _thinfleet_coordinator_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _thinfleet_coordinator_v1_ClusterStatusRequest__Output } from './thinfleet/coordinator/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _thinfleet_coordinator_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _thinfleet_coordinator_v1_ClusterStatusResponse__Output } from './thinfleet/coordinator/v1/ClusterStatusResponse.js';
import type { FindVolumeRequest as _thinfleet_coordinator_v1_FindVolumeRequest, FindVolumeRequest__Output as _thinfleet_coordinator_v1_FindVolumeRequest__Output } from './thinfleet/coordinator/v1/FindVolumeRequest.js';
import type { FindVolumeResponse as _thinfleet_coordinator_v1_FindVolumeResponse, FindVolumeResponse__Output as _thinfleet_coordinator_v1_FindVolumeResponse__Output } from './thinfleet/coordinator/v1/FindVolumeResponse.js';
import type { VolumeLocation as _thinfleet_coordinator_v1_VolumeLocation, VolumeLocation__Output as _thinfleet_coordinator_v1_VolumeLocation__Output } from './thinfleet/coordinator/v1/VolumeLocation.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  thinfleet: {
    coordinator: {
      v1: {
        ClusterHost: MessageTypeDefinition<_thinfleet_coordinator_v1_ClusterHost, _thinfleet_coordinator_v1_ClusterHost__Output>
        ClusterPool: MessageTypeDefinition<_thinfleet_coordinator_v1_ClusterPool, _thinfleet_coordinator_v1_ClusterPool__Output>
        ClusterService: SubtypeConstructor<typeof grpc.Client, _thinfleet_coordinator_v1_ClusterServiceClient> & { service: _thinfleet_coordinator_v1_ClusterServiceDefinition }
        ClusterStatusRequest: MessageTypeDefinition<_thinfleet_coordinator_v1_ClusterStatusRequest, _thinfleet_coordinator_v1_ClusterStatusRequest__Output>
        ClusterStatusResponse: MessageTypeDefinition<_thinfleet_coordinator_v1_ClusterStatusResponse, _thinfleet_coordinator_v1_ClusterStatusResponse__Output>
        FindVolumeRequest: MessageTypeDefinition<_thinfleet_coordinator_v1_FindVolumeRequest, _thinfleet_coordinator_v1_FindVolumeRequest__Output>
        FindVolumeResponse: MessageTypeDefinition<_thinfleet_coordinator_v1_FindVolumeResponse, _thinfleet_coordinator_v1_FindVolumeResponse__Output>
        VolumeLocation: MessageTypeDefinition<_thinfleet_coordinator_v1_VolumeLocation, _thinfleet_coordinator_v1_VolumeLocation__Output>
      }
    }
  }
}

