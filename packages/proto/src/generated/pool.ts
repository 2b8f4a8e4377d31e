import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActivatePoolRequest as _thinfleet_agent_v1_ActivatePoolRequest, ActivatePoolRequest__Output as _thinfleet_agent_v1_ActivatePoolRequest__Output } from './thinfleet/agent/v1/ActivatePoolRequest.js';
import type { ActivatePoolResponse as _thinfleet_agent_v1_ActivatePoolResponse, ActivatePoolResponse__Output as _thinfleet_agent_v1_ActivatePoolResponse__Output } from './thinfleet/agent/v1/ActivatePoolResponse.js';
import type { CreatePoolRequest as _thinfleet_agent_v1_CreatePoolRequest, CreatePoolRequest__Output as _thinfleet_agent_v1_CreatePoolRequest__Output } from './thinfleet/agent/v1/CreatePoolRequest.js';
import type { CreatePoolResponse as _thinfleet_agent_v1_CreatePoolResponse, CreatePoolResponse__Output as _thinfleet_agent_v1_CreatePoolResponse__Output } from './thinfleet/agent/v1/CreatePoolResponse.js';
import type { DeactivatePoolRequest as _thinfleet_agent_v1_DeactivatePoolRequest, DeactivatePoolRequest__Output as _thinfleet_agent_v1_DeactivatePoolRequest__Output } from './thinfleet/agent/v1/DeactivatePoolRequest.js';
import type { DeactivatePoolResponse as _thinfleet_agent_v1_DeactivatePoolResponse, DeactivatePoolResponse__Output as _thinfleet_agent_v1_DeactivatePoolResponse__Output } from './thinfleet/agent/v1/DeactivatePoolResponse.js';
import type { DestroyPoolRequest as _thinfleet_agent_v1_DestroyPoolRequest, DestroyPoolRequest__Output as _thinfleet_agent_v1_DestroyPoolRequest__Output } from './thinfleet/agent/v1/DestroyPoolRequest.js';
import type { DestroyPoolResponse as _thinfleet_agent_v1_DestroyPoolResponse, DestroyPoolResponse__Output as _thinfleet_agent_v1_DestroyPoolResponse__Output } from './thinfleet/agent/v1/DestroyPoolResponse.js';
import type { DiscoverPoolsRequest as _thinfleet_agent_v1_DiscoverPoolsRequest, DiscoverPoolsRequest__Output as _thinfleet_agent_v1_DiscoverPoolsRequest__Output } from './thinfleet/agent/v1/DiscoverPoolsRequest.js';
import type { DiscoverPoolsResponse as _thinfleet_agent_v1_DiscoverPoolsResponse, DiscoverPoolsResponse__Output as _thinfleet_agent_v1_DiscoverPoolsResponse__Output } from './thinfleet/agent/v1/DiscoverPoolsResponse.js';
import type { DiscoveredPool as _thinfleet_agent_v1_DiscoveredPool, DiscoveredPool__Output as _thinfleet_agent_v1_DiscoveredPool__Output } from './thinfleet/agent/v1/DiscoveredPool.js';
import type { ExtendPoolRequest as _thinfleet_agent_v1_ExtendPoolRequest, ExtendPoolRequest__Output as _thinfleet_agent_v1_ExtendPoolRequest__Output } from './thinfleet/agent/v1/ExtendPoolRequest.js';
import type { ExtendPoolResponse as _thinfleet_agent_v1_ExtendPoolResponse, ExtendPoolResponse__Output as _thinfleet_agent_v1_ExtendPoolResponse__Output } from './thinfleet/agent/v1/ExtendPoolResponse.js';
import type { ForgetPoolRequest as _thinfleet_agent_v1_ForgetPoolRequest, ForgetPoolRequest__Output as _thinfleet_agent_v1_ForgetPoolRequest__Output } from './thinfleet/agent/v1/ForgetPoolRequest.js';
import type { ForgetPoolResponse as _thinfleet_agent_v1_ForgetPoolResponse, ForgetPoolResponse__Output as _thinfleet_agent_v1_ForgetPoolResponse__Output } from './thinfleet/agent/v1/ForgetPoolResponse.js';
import type { GetPoolRequest as _thinfleet_agent_v1_GetPoolRequest, GetPoolRequest__Output as _thinfleet_agent_v1_GetPoolRequest__Output } from './thinfleet/agent/v1/GetPoolRequest.js';
import type { GetPoolResponse as _thinfleet_agent_v1_GetPoolResponse, GetPoolResponse__Output as _thinfleet_agent_v1_GetPoolResponse__Output } from './thinfleet/agent/v1/GetPoolResponse.js';
import type { JoinPoolRequest as _thinfleet_agent_v1_JoinPoolRequest, JoinPoolRequest__Output as _thinfleet_agent_v1_JoinPoolRequest__Output } from './thinfleet/agent/v1/JoinPoolRequest.js';
import type { JoinPoolResponse as _thinfleet_agent_v1_JoinPoolResponse, JoinPoolResponse__Output as _thinfleet_agent_v1_JoinPoolResponse__Output } from './thinfleet/agent/v1/JoinPoolResponse.js';
import type { ListPoolsRequest as _thinfleet_agent_v1_ListPoolsRequest, ListPoolsRequest__Output as _thinfleet_agent_v1_ListPoolsRequest__Output } from './thinfleet/agent/v1/ListPoolsRequest.js';
import type { ListPoolsResponse as _thinfleet_agent_v1_ListPoolsResponse, ListPoolsResponse__Output as _thinfleet_agent_v1_ListPoolsResponse__Output } from './thinfleet/agent/v1/ListPoolsResponse.js';
import type { OverwrittenLabel as _thinfleet_agent_v1_OverwrittenLabel, OverwrittenLabel__Output as _thinfleet_agent_v1_OverwrittenLabel__Output } from './thinfleet/agent/v1/OverwrittenLabel.js';
import type { Pool as _thinfleet_agent_v1_Pool, Pool__Output as _thinfleet_agent_v1_Pool__Output } from './thinfleet/agent/v1/Pool.js';
import type { PoolEvent as _thinfleet_agent_v1_PoolEvent, PoolEvent__Output as _thinfleet_agent_v1_PoolEvent__Output } from './thinfleet/agent/v1/PoolEvent.js';
import type { PoolServiceClient as _thinfleet_agent_v1_PoolServiceClient, PoolServiceDefinition as _thinfleet_agent_v1_PoolServiceDefinition } from './thinfleet/agent/v1/PoolService.js';
import type { Recovery as _thinfleet_agent_v1_Recovery, Recovery__Output as _thinfleet_agent_v1_Recovery__Output } from './thinfleet/agent/v1/Recovery.js';
import type { SetPoolRequest as _thinfleet_agent_v1_SetPoolRequest, SetPoolRequest__Output as _thinfleet_agent_v1_SetPoolRequest__Output } from './thinfleet/agent/v1/SetPoolRequest.js';
import type { SetPoolResponse as _thinfleet_agent_v1_SetPoolResponse, SetPoolResponse__Output as _thinfleet_agent_v1_SetPoolResponse__Output } from './thinfleet/agent/v1/SetPoolResponse.js';
import type { WatchPoolEventsRequest as _thinfleet_agent_v1_WatchPoolEventsRequest, WatchPoolEventsRequest__Output as _thinfleet_agent_v1_WatchPoolEventsRequest__Output } from './thinfleet/agent/v1/WatchPoolEventsRequest.js';
import type { WatchPoolEventsResponse as _thinfleet_agent_v1_WatchPoolEventsResponse, WatchPoolEventsResponse__Output as _thinfleet_agent_v1_WatchPoolEventsResponse__Output } from './thinfleet/agent/v1/WatchPoolEventsResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  thinfleet: {
    agent: {
      v1: {
        ActivatePoolRequest: MessageTypeDefinition<_thinfleet_agent_v1_ActivatePoolRequest, _thinfleet_agent_v1_ActivatePoolRequest__Output>
        ActivatePoolResponse: MessageTypeDefinition<_thinfleet_agent_v1_ActivatePoolResponse, _thinfleet_agent_v1_ActivatePoolResponse__Output>
        CreatePoolRequest: MessageTypeDefinition<_thinfleet_agent_v1_CreatePoolRequest, _thinfleet_agent_v1_CreatePoolRequest__Output>
        CreatePoolResponse: MessageTypeDefinition<_thinfleet_agent_v1_CreatePoolResponse, _thinfleet_agent_v1_CreatePoolResponse__Output>
        DeactivatePoolRequest: MessageTypeDefinition<_thinfleet_agent_v1_DeactivatePoolRequest, _thinfleet_agent_v1_DeactivatePoolRequest__Output>
        DeactivatePoolResponse: MessageTypeDefinition<_thinfleet_agent_v1_DeactivatePoolResponse, _thinfleet_agent_v1_DeactivatePoolResponse__Output>
        DestroyPoolRequest: MessageTypeDefinition<_thinfleet_agent_v1_DestroyPoolRequest, _thinfleet_agent_v1_DestroyPoolRequest__Output>
        DestroyPoolResponse: MessageTypeDefinition<_thinfleet_agent_v1_DestroyPoolResponse, _thinfleet_agent_v1_DestroyPoolResponse__Output>
        DiscoverPoolsRequest: MessageTypeDefinition<_thinfleet_agent_v1_DiscoverPoolsRequest, _thinfleet_agent_v1_DiscoverPoolsRequest__Output>
        DiscoverPoolsResponse: MessageTypeDefinition<_thinfleet_agent_v1_DiscoverPoolsResponse, _thinfleet_agent_v1_DiscoverPoolsResponse__Output>
        DiscoveredPool: MessageTypeDefinition<_thinfleet_agent_v1_DiscoveredPool, _thinfleet_agent_v1_DiscoveredPool__Output>
        ExtendPoolRequest: MessageTypeDefinition<_thinfleet_agent_v1_ExtendPoolRequest, _thinfleet_agent_v1_ExtendPoolRequest__Output>
        ExtendPoolResponse: MessageTypeDefinition<_thinfleet_agent_v1_ExtendPoolResponse, _thinfleet_agent_v1_ExtendPoolResponse__Output>
        ForgetPoolRequest: MessageTypeDefinition<_thinfleet_agent_v1_ForgetPoolRequest, _thinfleet_agent_v1_ForgetPoolRequest__Output>
        ForgetPoolResponse: MessageTypeDefinition<_thinfleet_agent_v1_ForgetPoolResponse, _thinfleet_agent_v1_ForgetPoolResponse__Output>
        GetPoolRequest: MessageTypeDefinition<_thinfleet_agent_v1_GetPoolRequest, _thinfleet_agent_v1_GetPoolRequest__Output>
        GetPoolResponse: MessageTypeDefinition<_thinfleet_agent_v1_GetPoolResponse, _thinfleet_agent_v1_GetPoolResponse__Output>
        JoinPoolRequest: MessageTypeDefinition<_thinfleet_agent_v1_JoinPoolRequest, _thinfleet_agent_v1_JoinPoolRequest__Output>
        JoinPoolResponse: MessageTypeDefinition<_thinfleet_agent_v1_JoinPoolResponse, _thinfleet_agent_v1_JoinPoolResponse__Output>
        ListPoolsRequest: MessageTypeDefinition<_thinfleet_agent_v1_ListPoolsRequest, _thinfleet_agent_v1_ListPoolsRequest__Output>
        ListPoolsResponse: MessageTypeDefinition<_thinfleet_agent_v1_ListPoolsResponse, _thinfleet_agent_v1_ListPoolsResponse__Output>
        OverwrittenLabel: MessageTypeDefinition<_thinfleet_agent_v1_OverwrittenLabel, _thinfleet_agent_v1_OverwrittenLabel__Output>
        Pool: MessageTypeDefinition<_thinfleet_agent_v1_Pool, _thinfleet_agent_v1_Pool__Output>
        PoolEvent: MessageTypeDefinition<_thinfleet_agent_v1_PoolEvent, _thinfleet_agent_v1_PoolEvent__Output>
        /**
         * The pools this agent knows: those it created, activated or found since its state began.
         */
        PoolService: SubtypeConstructor<typeof grpc.Client, _thinfleet_agent_v1_PoolServiceClient> & { service: _thinfleet_agent_v1_PoolServiceDefinition }
        Recovery: MessageTypeDefinition<_thinfleet_agent_v1_Recovery, _thinfleet_agent_v1_Recovery__Output>
        SetPoolRequest: MessageTypeDefinition<_thinfleet_agent_v1_SetPoolRequest, _thinfleet_agent_v1_SetPoolRequest__Output>
        SetPoolResponse: MessageTypeDefinition<_thinfleet_agent_v1_SetPoolResponse, _thinfleet_agent_v1_SetPoolResponse__Output>
        WatchPoolEventsRequest: MessageTypeDefinition<_thinfleet_agent_v1_WatchPoolEventsRequest, _thinfleet_agent_v1_WatchPoolEventsRequest__Output>
        WatchPoolEventsResponse: MessageTypeDefinition<_thinfleet_agent_v1_WatchPoolEventsResponse, _thinfleet_agent_v1_WatchPoolEventsResponse__Output>
      }
    }
  }
}

