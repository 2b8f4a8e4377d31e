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
import type { ExtendPoolRequest as _thinfleet_agent_v1_ExtendPoolRequest, ExtendPoolRequest__Output as _thinfleet_agent_v1_ExtendPoolRequest__Output } from '../../../thinfleet/agent/v1/ExtendPoolRequest.js';
import type { ExtendPoolResponse as _thinfleet_agent_v1_ExtendPoolResponse, ExtendPoolResponse__Output as _thinfleet_agent_v1_ExtendPoolResponse__Output } from '../../../thinfleet/agent/v1/ExtendPoolResponse.js';
import type { ForgetPoolRequest as _thinfleet_agent_v1_ForgetPoolRequest, ForgetPoolRequest__Output as _thinfleet_agent_v1_ForgetPoolRequest__Output } from '../../../thinfleet/agent/v1/ForgetPoolRequest.js';
import type { ForgetPoolResponse as _thinfleet_agent_v1_ForgetPoolResponse, ForgetPoolResponse__Output as _thinfleet_agent_v1_ForgetPoolResponse__Output } from '../../../thinfleet/agent/v1/ForgetPoolResponse.js';
import type { GetPoolRequest as _thinfleet_agent_v1_GetPoolRequest, GetPoolRequest__Output as _thinfleet_agent_v1_GetPoolRequest__Output } from '../../../thinfleet/agent/v1/GetPoolRequest.js';
import type { GetPoolResponse as _thinfleet_agent_v1_GetPoolResponse, GetPoolResponse__Output as _thinfleet_agent_v1_GetPoolResponse__Output } from '../../../thinfleet/agent/v1/GetPoolResponse.js';
import type { JoinPoolRequest as _thinfleet_agent_v1_JoinPoolRequest, JoinPoolRequest__Output as _thinfleet_agent_v1_JoinPoolRequest__Output } from '../../../thinfleet/agent/v1/JoinPoolRequest.js';
import type { JoinPoolResponse as _thinfleet_agent_v1_JoinPoolResponse, JoinPoolResponse__Output as _thinfleet_agent_v1_JoinPoolResponse__Output } from '../../../thinfleet/agent/v1/JoinPoolResponse.js';
import type { ListPoolsRequest as _thinfleet_agent_v1_ListPoolsRequest, ListPoolsRequest__Output as _thinfleet_agent_v1_ListPoolsRequest__Output } from '../../../thinfleet/agent/v1/ListPoolsRequest.js';
import type { ListPoolsResponse as _thinfleet_agent_v1_ListPoolsResponse, ListPoolsResponse__Output as _thinfleet_agent_v1_ListPoolsResponse__Output } from '../../../thinfleet/agent/v1/ListPoolsResponse.js';
import type { SetPoolRequest as _thinfleet_agent_v1_SetPoolRequest, SetPoolRequest__Output as _thinfleet_agent_v1_SetPoolRequest__Output } from '../../../thinfleet/agent/v1/SetPoolRequest.js';
import type { SetPoolResponse as _thinfleet_agent_v1_SetPoolResponse, SetPoolResponse__Output as _thinfleet_agent_v1_SetPoolResponse__Output } from '../../../thinfleet/agent/v1/SetPoolResponse.js';
import type { WatchPoolEventsRequest as _thinfleet_agent_v1_WatchPoolEventsRequest, WatchPoolEventsRequest__Output as _thinfleet_agent_v1_WatchPoolEventsRequest__Output } from '../../../thinfleet/agent/v1/WatchPoolEventsRequest.js';
import type { WatchPoolEventsResponse as _thinfleet_agent_v1_WatchPoolEventsResponse, WatchPoolEventsResponse__Output as _thinfleet_agent_v1_WatchPoolEventsResponse__Output } from '../../../thinfleet/agent/v1/WatchPoolEventsResponse.js';

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
   * `force`. Never touches (`force` included) a device another pool of this host uses, under
   * any name (the file, a loop device over it, the block device), nor one a device-mapper table
   * holds, nor a label of a pool this host or the cluster's registry knows (DEVICE_IN_USE). In
   * cluster mode, `force` over a labelled device is refused (CLUSTER_UNAVAILABLE) while the
   * coordinator cannot be asked. The pool is active when the call returns.
   */
  CreatePool(argument: _thinfleet_agent_v1_CreatePoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  CreatePool(argument: _thinfleet_agent_v1_CreatePoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  CreatePool(argument: _thinfleet_agent_v1_CreatePoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  CreatePool(argument: _thinfleet_agent_v1_CreatePoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CreatePoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Makes a new pool on the given devices. Refuses devices that carry a thinfleet label unless
   * `force`. Never touches (`force` included) a device another pool of this host uses, under
   * any name (the file, a loop device over it, the block device), nor one a device-mapper table
   * holds, nor a label of a pool this host or the cluster's registry knows (DEVICE_IN_USE). In
   * cluster mode, `force` over a labelled device is refused (CLUSTER_UNAVAILABLE) while the
   * coordinator cannot be asked. The pool is active when the call returns.
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
   * `force`. Only an active pool can be destroyed (a known inactive one: POOL_INACTIVE; see
   * ForgetPool). A refused call changes nothing.
   */
  DestroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  DestroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  DestroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  DestroyPool(argument: _thinfleet_agent_v1_DestroyPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DestroyPoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Wipes the pool's labels so no host finds it again. Refused while it has volumes unless
   * `force`. Only an active pool can be destroyed (a known inactive one: POOL_INACTIVE; see
   * ForgetPool). A refused call changes nothing.
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
   * Adds a device (or a part of one) to an active pool's data region: labels it, appends it to
   * the data linear device and reloads the thin-pool with the larger size. Refuses a device that
   * is in use or carries a label. Not idempotent: each call adds space.
   */
  ExtendPool(argument: _thinfleet_agent_v1_ExtendPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ExtendPoolResponse__Output>): grpc.ClientUnaryCall;
  ExtendPool(argument: _thinfleet_agent_v1_ExtendPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ExtendPoolResponse__Output>): grpc.ClientUnaryCall;
  ExtendPool(argument: _thinfleet_agent_v1_ExtendPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ExtendPoolResponse__Output>): grpc.ClientUnaryCall;
  ExtendPool(argument: _thinfleet_agent_v1_ExtendPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ExtendPoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Adds a device (or a part of one) to an active pool's data region: labels it, appends it to
   * the data linear device and reloads the thin-pool with the larger size. Refuses a device that
   * is in use or carries a label. Not idempotent: each call adds space.
   */
  extendPool(argument: _thinfleet_agent_v1_ExtendPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ExtendPoolResponse__Output>): grpc.ClientUnaryCall;
  extendPool(argument: _thinfleet_agent_v1_ExtendPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ExtendPoolResponse__Output>): grpc.ClientUnaryCall;
  extendPool(argument: _thinfleet_agent_v1_ExtendPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ExtendPoolResponse__Output>): grpc.ClientUnaryCall;
  extendPool(argument: _thinfleet_agent_v1_ExtendPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ExtendPoolResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Drops this host's record of a pool that is not active here (e.g. its devices lost their
   * label): releases the loop devices the agent attached for it and writes nothing to any
   * device. Refused for an active pool (POOL_ACTIVE).
   */
  ForgetPool(argument: _thinfleet_agent_v1_ForgetPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ForgetPoolResponse__Output>): grpc.ClientUnaryCall;
  ForgetPool(argument: _thinfleet_agent_v1_ForgetPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ForgetPoolResponse__Output>): grpc.ClientUnaryCall;
  ForgetPool(argument: _thinfleet_agent_v1_ForgetPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ForgetPoolResponse__Output>): grpc.ClientUnaryCall;
  ForgetPool(argument: _thinfleet_agent_v1_ForgetPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ForgetPoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Drops this host's record of a pool that is not active here (e.g. its devices lost their
   * label): releases the loop devices the agent attached for it and writes nothing to any
   * device. Refused for an active pool (POOL_ACTIVE).
   */
  forgetPool(argument: _thinfleet_agent_v1_ForgetPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ForgetPoolResponse__Output>): grpc.ClientUnaryCall;
  forgetPool(argument: _thinfleet_agent_v1_ForgetPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ForgetPoolResponse__Output>): grpc.ClientUnaryCall;
  forgetPool(argument: _thinfleet_agent_v1_ForgetPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ForgetPoolResponse__Output>): grpc.ClientUnaryCall;
  forgetPool(argument: _thinfleet_agent_v1_ForgetPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ForgetPoolResponse__Output>): grpc.ClientUnaryCall;
  
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
  
  /**
   * Changes an active pool's settings (its no-space mode); the thin-pool table is reloaded.
   * Idempotent.
   */
  SetPool(argument: _thinfleet_agent_v1_SetPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_SetPoolResponse__Output>): grpc.ClientUnaryCall;
  SetPool(argument: _thinfleet_agent_v1_SetPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_SetPoolResponse__Output>): grpc.ClientUnaryCall;
  SetPool(argument: _thinfleet_agent_v1_SetPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_SetPoolResponse__Output>): grpc.ClientUnaryCall;
  SetPool(argument: _thinfleet_agent_v1_SetPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_SetPoolResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Changes an active pool's settings (its no-space mode); the thin-pool table is reloaded.
   * Idempotent.
   */
  setPool(argument: _thinfleet_agent_v1_SetPoolRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_SetPoolResponse__Output>): grpc.ClientUnaryCall;
  setPool(argument: _thinfleet_agent_v1_SetPoolRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_SetPoolResponse__Output>): grpc.ClientUnaryCall;
  setPool(argument: _thinfleet_agent_v1_SetPoolRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_SetPoolResponse__Output>): grpc.ClientUnaryCall;
  setPool(argument: _thinfleet_agent_v1_SetPoolRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_SetPoolResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The capacity events of one pool, or of every pool on this host: data and metadata use
   * crossing their thresholds and falling back, out of data space and back, extended, autoextend
   * failed. A new stream first gets, marked `current`, the thresholds each watched pool is over
   * now; then every change as the agent's poll finds it. Ends only when the client cancels or the
   * agent stops (UNAVAILABLE). Agent only: a coordinator answers UNIMPLEMENTED.
   */
  WatchPoolEvents(argument: _thinfleet_agent_v1_WatchPoolEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_WatchPoolEventsResponse__Output>;
  WatchPoolEvents(argument: _thinfleet_agent_v1_WatchPoolEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_WatchPoolEventsResponse__Output>;
  /**
   * The capacity events of one pool, or of every pool on this host: data and metadata use
   * crossing their thresholds and falling back, out of data space and back, extended, autoextend
   * failed. A new stream first gets, marked `current`, the thresholds each watched pool is over
   * now; then every change as the agent's poll finds it. Ends only when the client cancels or the
   * agent stops (UNAVAILABLE). Agent only: a coordinator answers UNIMPLEMENTED.
   */
  watchPoolEvents(argument: _thinfleet_agent_v1_WatchPoolEventsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_WatchPoolEventsResponse__Output>;
  watchPoolEvents(argument: _thinfleet_agent_v1_WatchPoolEventsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_WatchPoolEventsResponse__Output>;
  
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
   * `force`. Never touches (`force` included) a device another pool of this host uses, under
   * any name (the file, a loop device over it, the block device), nor one a device-mapper table
   * holds, nor a label of a pool this host or the cluster's registry knows (DEVICE_IN_USE). In
   * cluster mode, `force` over a labelled device is refused (CLUSTER_UNAVAILABLE) while the
   * coordinator cannot be asked. The pool is active when the call returns.
   */
  CreatePool: grpc.handleUnaryCall<_thinfleet_agent_v1_CreatePoolRequest__Output, _thinfleet_agent_v1_CreatePoolResponse>;
  
  /**
   * Deactivates a pool and all its volumes. Refused while a volume is open. Idempotent.
   */
  DeactivatePool: grpc.handleUnaryCall<_thinfleet_agent_v1_DeactivatePoolRequest__Output, _thinfleet_agent_v1_DeactivatePoolResponse>;
  
  /**
   * Wipes the pool's labels so no host finds it again. Refused while it has volumes unless
   * `force`. Only an active pool can be destroyed (a known inactive one: POOL_INACTIVE; see
   * ForgetPool). A refused call changes nothing.
   */
  DestroyPool: grpc.handleUnaryCall<_thinfleet_agent_v1_DestroyPoolRequest__Output, _thinfleet_agent_v1_DestroyPoolResponse>;
  
  /**
   * Reads the labels on the given devices and reports the pools they belong to. Changes nothing.
   */
  DiscoverPools: grpc.handleUnaryCall<_thinfleet_agent_v1_DiscoverPoolsRequest__Output, _thinfleet_agent_v1_DiscoverPoolsResponse>;
  
  /**
   * Adds a device (or a part of one) to an active pool's data region: labels it, appends it to
   * the data linear device and reloads the thin-pool with the larger size. Refuses a device that
   * is in use or carries a label. Not idempotent: each call adds space.
   */
  ExtendPool: grpc.handleUnaryCall<_thinfleet_agent_v1_ExtendPoolRequest__Output, _thinfleet_agent_v1_ExtendPoolResponse>;
  
  /**
   * Drops this host's record of a pool that is not active here (e.g. its devices lost their
   * label): releases the loop devices the agent attached for it and writes nothing to any
   * device. Refused for an active pool (POOL_ACTIVE).
   */
  ForgetPool: grpc.handleUnaryCall<_thinfleet_agent_v1_ForgetPoolRequest__Output, _thinfleet_agent_v1_ForgetPoolResponse>;
  
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
  
  /**
   * Changes an active pool's settings (its no-space mode); the thin-pool table is reloaded.
   * Idempotent.
   */
  SetPool: grpc.handleUnaryCall<_thinfleet_agent_v1_SetPoolRequest__Output, _thinfleet_agent_v1_SetPoolResponse>;
  
  /**
   * The capacity events of one pool, or of every pool on this host: data and metadata use
   * crossing their thresholds and falling back, out of data space and back, extended, autoextend
   * failed. A new stream first gets, marked `current`, the thresholds each watched pool is over
   * now; then every change as the agent's poll finds it. Ends only when the client cancels or the
   * agent stops (UNAVAILABLE). Agent only: a coordinator answers UNIMPLEMENTED.
   */
  WatchPoolEvents: grpc.handleServerStreamingCall<_thinfleet_agent_v1_WatchPoolEventsRequest__Output, _thinfleet_agent_v1_WatchPoolEventsResponse>;
  
}

export interface PoolServiceDefinition extends grpc.ServiceDefinition {
  ActivatePool: MethodDefinition<_thinfleet_agent_v1_ActivatePoolRequest, _thinfleet_agent_v1_ActivatePoolResponse, _thinfleet_agent_v1_ActivatePoolRequest__Output, _thinfleet_agent_v1_ActivatePoolResponse__Output>
  CreatePool: MethodDefinition<_thinfleet_agent_v1_CreatePoolRequest, _thinfleet_agent_v1_CreatePoolResponse, _thinfleet_agent_v1_CreatePoolRequest__Output, _thinfleet_agent_v1_CreatePoolResponse__Output>
  DeactivatePool: MethodDefinition<_thinfleet_agent_v1_DeactivatePoolRequest, _thinfleet_agent_v1_DeactivatePoolResponse, _thinfleet_agent_v1_DeactivatePoolRequest__Output, _thinfleet_agent_v1_DeactivatePoolResponse__Output>
  DestroyPool: MethodDefinition<_thinfleet_agent_v1_DestroyPoolRequest, _thinfleet_agent_v1_DestroyPoolResponse, _thinfleet_agent_v1_DestroyPoolRequest__Output, _thinfleet_agent_v1_DestroyPoolResponse__Output>
  DiscoverPools: MethodDefinition<_thinfleet_agent_v1_DiscoverPoolsRequest, _thinfleet_agent_v1_DiscoverPoolsResponse, _thinfleet_agent_v1_DiscoverPoolsRequest__Output, _thinfleet_agent_v1_DiscoverPoolsResponse__Output>
  ExtendPool: MethodDefinition<_thinfleet_agent_v1_ExtendPoolRequest, _thinfleet_agent_v1_ExtendPoolResponse, _thinfleet_agent_v1_ExtendPoolRequest__Output, _thinfleet_agent_v1_ExtendPoolResponse__Output>
  ForgetPool: MethodDefinition<_thinfleet_agent_v1_ForgetPoolRequest, _thinfleet_agent_v1_ForgetPoolResponse, _thinfleet_agent_v1_ForgetPoolRequest__Output, _thinfleet_agent_v1_ForgetPoolResponse__Output>
  GetPool: MethodDefinition<_thinfleet_agent_v1_GetPoolRequest, _thinfleet_agent_v1_GetPoolResponse, _thinfleet_agent_v1_GetPoolRequest__Output, _thinfleet_agent_v1_GetPoolResponse__Output>
  JoinPool: MethodDefinition<_thinfleet_agent_v1_JoinPoolRequest, _thinfleet_agent_v1_JoinPoolResponse, _thinfleet_agent_v1_JoinPoolRequest__Output, _thinfleet_agent_v1_JoinPoolResponse__Output>
  ListPools: MethodDefinition<_thinfleet_agent_v1_ListPoolsRequest, _thinfleet_agent_v1_ListPoolsResponse, _thinfleet_agent_v1_ListPoolsRequest__Output, _thinfleet_agent_v1_ListPoolsResponse__Output>
  SetPool: MethodDefinition<_thinfleet_agent_v1_SetPoolRequest, _thinfleet_agent_v1_SetPoolResponse, _thinfleet_agent_v1_SetPoolRequest__Output, _thinfleet_agent_v1_SetPoolResponse__Output>
  WatchPoolEvents: MethodDefinition<_thinfleet_agent_v1_WatchPoolEventsRequest, _thinfleet_agent_v1_WatchPoolEventsResponse, _thinfleet_agent_v1_WatchPoolEventsRequest__Output, _thinfleet_agent_v1_WatchPoolEventsResponse__Output>
}
