// Original file: proto/thinfleet/agent/v1/pool.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ActivatePoolRequest as _thinfleet_agent_v1_ActivatePoolRequest, ActivatePoolRequest__Output as _thinfleet_agent_v1_ActivatePoolRequest__Output } from '../../../thinfleet/agent/v1/ActivatePoolRequest.js';
import type { ActivatePoolResponse as _thinfleet_agent_v1_ActivatePoolResponse, ActivatePoolResponse__Output as _thinfleet_agent_v1_ActivatePoolResponse__Output } from '../../../thinfleet/agent/v1/ActivatePoolResponse.js';
import type { CreatePoolRequest as _thinfleet_agent_v1_CreatePoolRequest, CreatePoolRequest__Output as _thinfleet_agent_v1_CreatePoolRequest__Output } from '../../../thinfleet/agent/v1/CreatePoolRequest.js';
import type { CreatePoolResponse as _thinfleet_agent_v1_CreatePoolResponse, CreatePoolResponse__Output as _thinfleet_agent_v1_CreatePoolResponse__Output } from '../../../thinfleet/agent/v1/CreatePoolResponse.js';
import type { DeactivatePoolRequest as _thinfleet_agent_v1_DeactivatePoolRequest, DeactivatePoolRequest__Output as _thinfleet_agent_v1_DeactivatePoolRequest__Output } from '../../../thinfleet/agent/v1/DeactivatePoolRequest.js';
import type { DeactivatePoolResponse as _thinfleet_agent_v1_DeactivatePoolResponse, DeactivatePoolResponse__Output as _thinfleet_agent_v1_DeactivatePoolResponse__Output } from '../../../thinfleet/agent/v1/DeactivatePoolResponse.js';
import type { DestroyPoolRequest as _thinfleet_agent_v1_DestroyPoolRequest, DestroyPoolRequest__Output as _thinfleet_agent_v1_DestroyPoolRequest__Output } from '../../../thinfleet/agent/v1/DestroyPoolRequest.js';
import type { DestroyPoolResponse as _thinfleet_agent_v1_DestroyPoolResponse, DestroyPoolResponse__Output as _thinfleet_agent_v1_DestroyPoolResponse__Output } from '../../../thinfleet/agent/v1/DestroyPoolResponse.js';
import type { DiscoverPoolsRequest as _thinfleet_agent_v1_DiscoverPoolsRequest, DiscoverPoolsRequest__Output as _thinfleet_agent_v1_DiscoverPoolsRequest__Output } from '../../../thinfleet/agent/v1/DiscoverPoolsRequest.js';
import type { DiscoverPoolsResponse as _thinfleet_agent_v1_DiscoverPoolsResponse, DiscoverPoolsResponse__Output as _thinfleet_agent_v1_DiscoverPoolsResponse__Output } from '../../../thinfleet/agent/v1/DiscoverPoolsResponse.js';
import type { GetPoolRequest as _thinfleet_agent_v1_GetPoolRequest, GetPoolRequest__Output as _thinfleet_agent_v1_GetPoolRequest__Output } from '../../../thinfleet/agent/v1/GetPoolRequest.js';
import type { GetPoolResponse as _thinfleet_agent_v1_GetPoolResponse, GetPoolResponse__Output as _thinfleet_agent_v1_GetPoolResponse__Output } from '../../../thinfleet/agent/v1/GetPoolResponse.js';
import type { JoinPoolRequest as _thinfleet_agent_v1_JoinPoolRequest, JoinPoolRequest__Output as _thinfleet_agent_v1_JoinPoolRequest__Output } from '../../../thinfleet/agent/v1/JoinPoolRequest.js';
import type { JoinPoolResponse as _thinfleet_agent_v1_JoinPoolResponse, JoinPoolResponse__Output as _thinfleet_agent_v1_JoinPoolResponse__Output } from '../../../thinfleet/agent/v1/JoinPoolResponse.js';
import type { ListPoolsRequest as _thinfleet_agent_v1_ListPoolsRequest, ListPoolsRequest__Output as _thinfleet_agent_v1_ListPoolsRequest__Output } from '../../../thinfleet/agent/v1/ListPoolsRequest.js';
import type { ListPoolsResponse as _thinfleet_agent_v1_ListPoolsResponse, ListPoolsResponse__Output as _thinfleet_agent_v1_ListPoolsResponse__Output } from '../../../thinfleet/agent/v1/ListPoolsResponse.js';

/**
 * The pools this agent knows: those it created, activated or found since its state began.
 */
export interface PoolServiceClient extends grpc.Client {
  /**
   * Activates a known pool, or imports one from `devices`, recovering any interrupted
   * transaction first. Idempotent: an active pool is reported as it is.
   */
  ActivatePool(argument: _thinfleet_agent_v1_ActivatePoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivatePoolResponse__Output>): grpc.ClientUnaryCall;
  ActivatePool(argument: _thinfleet_agent_v1_ActivatePoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivatePoolResponse__Output>): grpc.ClientUnaryCall;
  ActivatePool(argument: _thinfleet_agent_v1_ActivatePoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivatePoolResponse__Output>): grpc.ClientUnaryCall;
  ActivatePool(argument: _thinfleet_agent_v1_ActivatePoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivatePoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Activates a known pool, or imports one from `devices`, recovering any interrupted
   * transaction first. Idempotent: an active pool is reported as it is.
   */
  activatePool(argument: _thinfleet_agent_v1_ActivatePoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivatePoolResponse__Output>): grpc.ClientUnaryCall;
  activatePool(argument: _thinfleet_agent_v1_ActivatePoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivatePoolResponse__Output>): grpc.ClientUnaryCall;
  activatePool(argument: _thinfleet_agent_v1_ActivatePoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivatePoolResponse__Output>): grpc.ClientUnaryCall;
  activatePool(argument: _thinfleet_agent_v1_ActivatePoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivatePoolResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Makes a new pool on the given devices. Refuses devices that carry a thinfleet label unless
   * `force`. The pool is active when the call returns.
   */
  CreatePool(argument: _thinfleet_agent_v1_CreatePoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  CreatePool(argument: _thinfleet_agent_v1_CreatePoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  CreatePool(argument: _thinfleet_agent_v1_CreatePoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  CreatePool(argument: _thinfleet_agent_v1_CreatePoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Makes a new pool on the given devices. Refuses devices that carry a thinfleet label unless
   * `force`. The pool is active when the call returns.
   */
  createPool(argument: _thinfleet_agent_v1_CreatePoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  createPool(argument: _thinfleet_agent_v1_CreatePoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  createPool(argument: _thinfleet_agent_v1_CreatePoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  createPool(argument: _thinfleet_agent_v1_CreatePoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deactivates a pool and all its volumes. Refused while a volume is open. Idempotent.
   */
  DeactivatePool(argument: _thinfleet_agent_v1_DeactivatePoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivatePoolResponse__Output>): grpc.ClientUnaryCall;
  DeactivatePool(argument: _thinfleet_agent_v1_DeactivatePoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivatePoolResponse__Output>): grpc.ClientUnaryCall;
  DeactivatePool(argument: _thinfleet_agent_v1_DeactivatePoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivatePoolResponse__Output>): grpc.ClientUnaryCall;
  DeactivatePool(argument: _thinfleet_agent_v1_DeactivatePoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivatePoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deactivates a pool and all its volumes. Refused while a volume is open. Idempotent.
   */
  deactivatePool(argument: _thinfleet_agent_v1_DeactivatePoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivatePoolResponse__Output>): grpc.ClientUnaryCall;
  deactivatePool(argument: _thinfleet_agent_v1_DeactivatePoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivatePoolResponse__Output>): grpc.ClientUnaryCall;
  deactivatePool(argument: _thinfleet_agent_v1_DeactivatePoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivatePoolResponse__Output>): grpc.ClientUnaryCall;
  deactivatePool(argument: _thinfleet_agent_v1_DeactivatePoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivatePoolResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Wipes the pool's labels so no host finds it again. Refused while it has volumes unless
   * `force`.
   */
  DestroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  DestroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  DestroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  DestroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Wipes the pool's labels so no host finds it again. Refused while it has volumes unless
   * `force`.
   */
  destroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  destroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  destroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  destroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reads the labels on the given devices and reports the pools they belong to. Changes nothing.
   */
  DiscoverPools(argument: _thinfleet_agent_v1_DiscoverPoolsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DiscoverPoolsResponse__Output>): grpc.ClientUnaryCall;
  DiscoverPools(argument: _thinfleet_agent_v1_DiscoverPoolsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DiscoverPoolsResponse__Output>): grpc.ClientUnaryCall;
  DiscoverPools(argument: _thinfleet_agent_v1_DiscoverPoolsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DiscoverPoolsResponse__Output>): grpc.ClientUnaryCall;
  DiscoverPools(argument: _thinfleet_agent_v1_DiscoverPoolsRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DiscoverPoolsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Reads the labels on the given devices and reports the pools they belong to. Changes nothing.
   */
  discoverPools(argument: _thinfleet_agent_v1_DiscoverPoolsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DiscoverPoolsResponse__Output>): grpc.ClientUnaryCall;
  discoverPools(argument: _thinfleet_agent_v1_DiscoverPoolsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DiscoverPoolsResponse__Output>): grpc.ClientUnaryCall;
  discoverPools(argument: _thinfleet_agent_v1_DiscoverPoolsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DiscoverPoolsResponse__Output>): grpc.ClientUnaryCall;
  discoverPools(argument: _thinfleet_agent_v1_DiscoverPoolsRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DiscoverPoolsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * One pool by name.
   */
  GetPool(argument: _thinfleet_agent_v1_GetPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetPoolResponse__Output>): grpc.ClientUnaryCall;
  GetPool(argument: _thinfleet_agent_v1_GetPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_GetPoolResponse__Output>): grpc.ClientUnaryCall;
  GetPool(argument: _thinfleet_agent_v1_GetPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetPoolResponse__Output>): grpc.ClientUnaryCall;
  GetPool(argument: _thinfleet_agent_v1_GetPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_GetPoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * One pool by name.
   */
  getPool(argument: _thinfleet_agent_v1_GetPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetPoolResponse__Output>): grpc.ClientUnaryCall;
  getPool(argument: _thinfleet_agent_v1_GetPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_GetPoolResponse__Output>): grpc.ClientUnaryCall;
  getPool(argument: _thinfleet_agent_v1_GetPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetPoolResponse__Output>): grpc.ClientUnaryCall;
  getPool(argument: _thinfleet_agent_v1_GetPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_GetPoolResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Records a pool found on `devices` as known on this host without activating it and, in
   * cluster mode, without taking its lock: a second host joins a pool on shared storage and
   * reports that it reaches it. Reads the labels only. Idempotent (a repeat updates `prefer`).
   */
  JoinPool(argument: _thinfleet_agent_v1_JoinPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_JoinPoolResponse__Output>): grpc.ClientUnaryCall;
  JoinPool(argument: _thinfleet_agent_v1_JoinPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_JoinPoolResponse__Output>): grpc.ClientUnaryCall;
  JoinPool(argument: _thinfleet_agent_v1_JoinPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_JoinPoolResponse__Output>): grpc.ClientUnaryCall;
  JoinPool(argument: _thinfleet_agent_v1_JoinPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_JoinPoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Records a pool found on `devices` as known on this host without activating it and, in
   * cluster mode, without taking its lock: a second host joins a pool on shared storage and
   * reports that it reaches it. Reads the labels only. Idempotent (a repeat updates `prefer`).
   */
  joinPool(argument: _thinfleet_agent_v1_JoinPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_JoinPoolResponse__Output>): grpc.ClientUnaryCall;
  joinPool(argument: _thinfleet_agent_v1_JoinPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_JoinPoolResponse__Output>): grpc.ClientUnaryCall;
  joinPool(argument: _thinfleet_agent_v1_JoinPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_JoinPoolResponse__Output>): grpc.ClientUnaryCall;
  joinPool(argument: _thinfleet_agent_v1_JoinPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_JoinPoolResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every pool the agent knows, active or not.
   */
  ListPools(argument: _thinfleet_agent_v1_ListPoolsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListPoolsResponse__Output>): grpc.ClientUnaryCall;
  ListPools(argument: _thinfleet_agent_v1_ListPoolsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ListPoolsResponse__Output>): grpc.ClientUnaryCall;
  ListPools(argument: _thinfleet_agent_v1_ListPoolsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListPoolsResponse__Output>): grpc.ClientUnaryCall;
  ListPools(argument: _thinfleet_agent_v1_ListPoolsRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ListPoolsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every pool the agent knows, active or not.
   */
  listPools(argument: _thinfleet_agent_v1_ListPoolsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListPoolsResponse__Output>): grpc.ClientUnaryCall;
  listPools(argument: _thinfleet_agent_v1_ListPoolsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ListPoolsResponse__Output>): grpc.ClientUnaryCall;
  listPools(argument: _thinfleet_agent_v1_ListPoolsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListPoolsResponse__Output>): grpc.ClientUnaryCall;
  listPools(argument: _thinfleet_agent_v1_ListPoolsRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ListPoolsResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * The pools this agent knows: those it created, activated or found since its state began.
 */
export interface PoolServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Activates a known pool, or imports one from `devices`, recovering any interrupted
   * transaction first. Idempotent: an active pool is reported as it is.
   */
  ActivatePool: grpc.handleUnaryCall<_thinfleet_agent_v1_ActivatePoolRequest__Output, _thinfleet_agent_v1_ActivatePoolResponse>;
  
  /**
   * Makes a new pool on the given devices. Refuses devices that carry a thinfleet label unless
   * `force`. The pool is active when the call returns.
   */
  CreatePool: grpc.handleUnaryCall<_thinfleet_agent_v1_CreatePoolRequest__Output, _thinfleet_agent_v1_CreatePoolResponse>;
  
  /**
   * Deactivates a pool and all its volumes. Refused while a volume is open. Idempotent.
   */
  DeactivatePool: grpc.handleUnaryCall<_thinfleet_agent_v1_DeactivatePoolRequest__Output, _thinfleet_agent_v1_DeactivatePoolResponse>;
  
  /**
   * Wipes the pool's labels so no host finds it again. Refused while it has volumes unless
   * `force`.
   */
  DestroyPool: grpc.handleUnaryCall<_thinfleet_agent_v1_DestroyPoolRequest__Output, _thinfleet_agent_v1_DestroyPoolResponse>;
  
  /**
   * Reads the labels on the given devices and reports the pools they belong to. Changes nothing.
   */
  DiscoverPools: grpc.handleUnaryCall<_thinfleet_agent_v1_DiscoverPoolsRequest__Output, _thinfleet_agent_v1_DiscoverPoolsResponse>;
  
  /**
   * One pool by name.
   */
  GetPool: grpc.handleUnaryCall<_thinfleet_agent_v1_GetPoolRequest__Output, _thinfleet_agent_v1_GetPoolResponse>;
  
  /**
   * Records a pool found on `devices` as known on this host without activating it and, in
   * cluster mode, without taking its lock: a second host joins a pool on shared storage and
   * reports that it reaches it. Reads the labels only. Idempotent (a repeat updates `prefer`).
   */
  JoinPool: grpc.handleUnaryCall<_thinfleet_agent_v1_JoinPoolRequest__Output, _thinfleet_agent_v1_JoinPoolResponse>;
  
  /**
   * Every pool the agent knows, active or not.
   */
  ListPools: grpc.handleUnaryCall<_thinfleet_agent_v1_ListPoolsRequest__Output, _thinfleet_agent_v1_ListPoolsResponse>;
  
}

export interface PoolServiceDefinition extends grpc.ServiceDefinition {
  ActivatePool: MethodDefinition<_thinfleet_agent_v1_ActivatePoolRequest, _thinfleet_agent_v1_ActivatePoolResponse, _thinfleet_agent_v1_ActivatePoolRequest__Output, _thinfleet_agent_v1_ActivatePoolResponse__Output>
  CreatePool: MethodDefinition<_thinfleet_agent_v1_CreatePoolRequest, _thinfleet_agent_v1_CreatePoolResponse, _thinfleet_agent_v1_CreatePoolRequest__Output, _thinfleet_agent_v1_CreatePoolResponse__Output>
  DeactivatePool: MethodDefinition<_thinfleet_agent_v1_DeactivatePoolRequest, _thinfleet_agent_v1_DeactivatePoolResponse, _thinfleet_agent_v1_DeactivatePoolRequest__Output, _thinfleet_agent_v1_DeactivatePoolResponse__Output>
  DestroyPool: MethodDefinition<_thinfleet_agent_v1_DestroyPoolRequest, _thinfleet_agent_v1_DestroyPoolResponse, _thinfleet_agent_v1_DestroyPoolRequest__Output, _thinfleet_agent_v1_DestroyPoolResponse__Output>
  DiscoverPools: MethodDefinition<_thinfleet_agent_v1_DiscoverPoolsRequest, _thinfleet_agent_v1_DiscoverPoolsResponse, _thinfleet_agent_v1_DiscoverPoolsRequest__Output, _thinfleet_agent_v1_DiscoverPoolsResponse__Output>
  GetPool: MethodDefinition<_thinfleet_agent_v1_GetPoolRequest, _thinfleet_agent_v1_GetPoolResponse, _thinfleet_agent_v1_GetPoolRequest__Output, _thinfleet_agent_v1_GetPoolResponse__Output>
  JoinPool: MethodDefinition<_thinfleet_agent_v1_JoinPoolRequest, _thinfleet_agent_v1_JoinPoolResponse, _thinfleet_agent_v1_JoinPoolRequest__Output, _thinfleet_agent_v1_JoinPoolResponse__Output>
  ListPools: MethodDefinition<_thinfleet_agent_v1_ListPoolsRequest, _thinfleet_agent_v1_ListPoolsResponse, _thinfleet_agent_v1_ListPoolsRequest__Output, _thinfleet_agent_v1_ListPoolsResponse__Output>
}
