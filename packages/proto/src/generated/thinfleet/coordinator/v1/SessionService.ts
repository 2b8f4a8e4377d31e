// Original file: proto/thinfleet/coordinator/v1/session.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentMessage as _thinfleet_coordinator_v1_AgentMessage, AgentMessage__Output as _thinfleet_coordinator_v1_AgentMessage__Output } from '../../../thinfleet/coordinator/v1/AgentMessage.js';
import type { CoordinatorMessage as _thinfleet_coordinator_v1_CoordinatorMessage, CoordinatorMessage__Output as _thinfleet_coordinator_v1_CoordinatorMessage__Output } from '../../../thinfleet/coordinator/v1/CoordinatorMessage.js';

export interface SessionServiceClient extends grpc.Client {
  /**
   * The agent sends Hello first, then keepalives and lock requests; the coordinator answers on
   * the same stream and pushes contention, lost locks and acquire requests. The session (the
   * lease) outlives the stream by up to its TTL: an agent that reconnects with `resume_session`
   * before then keeps its lease and its place in every lock queue.
   */
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_thinfleet_coordinator_v1_AgentMessage, _thinfleet_coordinator_v1_CoordinatorMessage__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_thinfleet_coordinator_v1_AgentMessage, _thinfleet_coordinator_v1_CoordinatorMessage__Output>;
  /**
   * The agent sends Hello first, then keepalives and lock requests; the coordinator answers on
   * the same stream and pushes contention, lost locks and acquire requests. The session (the
   * lease) outlives the stream by up to its TTL: an agent that reconnects with `resume_session`
   * before then keeps its lease and its place in every lock queue.
   */
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_thinfleet_coordinator_v1_AgentMessage, _thinfleet_coordinator_v1_CoordinatorMessage__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_thinfleet_coordinator_v1_AgentMessage, _thinfleet_coordinator_v1_CoordinatorMessage__Output>;
  
}

export interface SessionServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The agent sends Hello first, then keepalives and lock requests; the coordinator answers on
   * the same stream and pushes contention, lost locks and acquire requests. The session (the
   * lease) outlives the stream by up to its TTL: an agent that reconnects with `resume_session`
   * before then keeps its lease and its place in every lock queue.
   */
  Connect: grpc.handleBidiStreamingCall<_thinfleet_coordinator_v1_AgentMessage__Output, _thinfleet_coordinator_v1_CoordinatorMessage>;
  
}

export interface SessionServiceDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_thinfleet_coordinator_v1_AgentMessage, _thinfleet_coordinator_v1_CoordinatorMessage, _thinfleet_coordinator_v1_AgentMessage__Output, _thinfleet_coordinator_v1_CoordinatorMessage__Output>
}
