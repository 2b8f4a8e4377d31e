import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ReadVolumeRunsRequest as _thinfleet_agent_v1_ReadVolumeRunsRequest, ReadVolumeRunsRequest__Output as _thinfleet_agent_v1_ReadVolumeRunsRequest__Output } from './thinfleet/agent/v1/ReadVolumeRunsRequest.js';
import type { ReadVolumeRunsResponse as _thinfleet_agent_v1_ReadVolumeRunsResponse, ReadVolumeRunsResponse__Output as _thinfleet_agent_v1_ReadVolumeRunsResponse__Output } from './thinfleet/agent/v1/ReadVolumeRunsResponse.js';
import type { VolumeTransferServiceClient as _thinfleet_agent_v1_VolumeTransferServiceClient, VolumeTransferServiceDefinition as _thinfleet_agent_v1_VolumeTransferServiceDefinition } from './thinfleet/agent/v1/VolumeTransferService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  thinfleet: {
    agent: {
      v1: {
        ReadVolumeRunsRequest: MessageTypeDefinition<_thinfleet_agent_v1_ReadVolumeRunsRequest, _thinfleet_agent_v1_ReadVolumeRunsRequest__Output>
        ReadVolumeRunsResponse: MessageTypeDefinition<_thinfleet_agent_v1_ReadVolumeRunsResponse, _thinfleet_agent_v1_ReadVolumeRunsResponse__Output>
        /**
         * How the agent that makes a copy (CopyVolume, job kind "copy") reads its source when another
         * host holds the source's pool. Every agent serves it for the pools it holds; the coordinator
         * serves it too and routes each call to the holder of `pool`, with the pool's lock token (an
         * agent calls its coordinator, with the credentials of its session, never another agent). Reads
         * only: nothing is changed.
         */
        VolumeTransferService: SubtypeConstructor<typeof grpc.Client, _thinfleet_agent_v1_VolumeTransferServiceClient> & { service: _thinfleet_agent_v1_VolumeTransferServiceDefinition }
      }
    }
  }
}

