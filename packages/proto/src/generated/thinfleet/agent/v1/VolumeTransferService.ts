// Original file: proto/thinfleet/agent/v1/volume_transfer.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ReadVolumeRunsRequest as _thinfleet_agent_v1_ReadVolumeRunsRequest, ReadVolumeRunsRequest__Output as _thinfleet_agent_v1_ReadVolumeRunsRequest__Output } from '../../../thinfleet/agent/v1/ReadVolumeRunsRequest.js';
import type { ReadVolumeRunsResponse as _thinfleet_agent_v1_ReadVolumeRunsResponse, ReadVolumeRunsResponse__Output as _thinfleet_agent_v1_ReadVolumeRunsResponse__Output } from '../../../thinfleet/agent/v1/ReadVolumeRunsResponse.js';

/**
 * How the agent that makes a copy (CopyVolume, job kind "copy") reads its source when another
 * host holds the source's pool. Every agent serves it for the pools it holds; the coordinator
 * serves it too and routes each call to the holder of `pool`, with the pool's lock token (an
 * agent calls its coordinator, with the credentials of its session, never another agent). Reads
 * only: nothing is changed.
 */
export interface VolumeTransferServiceClient extends grpc.Client {
  /**
   * One window of a volume as a copy's destination needs it: the runs of bytes to write (only
   * mapped data, all-zero granules left out; with an external origin, see with_origin and
   * keep_origin), each with its SHA-256, in messages of at most 1 MiB of data, then a last
   * message with the SHA-256 of the whole window (zeros included), which the destination compares
   * with its window read back after writing. Refused: a request field out of range
   * (INVALID_ARGUMENT naming it), a volume the pool does not have (NOT_FOUND).
   */
  ReadVolumeRuns(argument: _thinfleet_agent_v1_ReadVolumeRunsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_ReadVolumeRunsResponse__Output>;
  ReadVolumeRuns(argument: _thinfleet_agent_v1_ReadVolumeRunsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_ReadVolumeRunsResponse__Output>;
  /**
   * One window of a volume as a copy's destination needs it: the runs of bytes to write (only
   * mapped data, all-zero granules left out; with an external origin, see with_origin and
   * keep_origin), each with its SHA-256, in messages of at most 1 MiB of data, then a last
   * message with the SHA-256 of the whole window (zeros included), which the destination compares
   * with its window read back after writing. Refused: a request field out of range
   * (INVALID_ARGUMENT naming it), a volume the pool does not have (NOT_FOUND).
   */
  readVolumeRuns(argument: _thinfleet_agent_v1_ReadVolumeRunsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_ReadVolumeRunsResponse__Output>;
  readVolumeRuns(argument: _thinfleet_agent_v1_ReadVolumeRunsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_thinfleet_agent_v1_ReadVolumeRunsResponse__Output>;
  
}

/**
 * How the agent that makes a copy (CopyVolume, job kind "copy") reads its source when another
 * host holds the source's pool. Every agent serves it for the pools it holds; the coordinator
 * serves it too and routes each call to the holder of `pool`, with the pool's lock token (an
 * agent calls its coordinator, with the credentials of its session, never another agent). Reads
 * only: nothing is changed.
 */
export interface VolumeTransferServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One window of a volume as a copy's destination needs it: the runs of bytes to write (only
   * mapped data, all-zero granules left out; with an external origin, see with_origin and
   * keep_origin), each with its SHA-256, in messages of at most 1 MiB of data, then a last
   * message with the SHA-256 of the whole window (zeros included), which the destination compares
   * with its window read back after writing. Refused: a request field out of range
   * (INVALID_ARGUMENT naming it), a volume the pool does not have (NOT_FOUND).
   */
  ReadVolumeRuns: grpc.handleServerStreamingCall<_thinfleet_agent_v1_ReadVolumeRunsRequest__Output, _thinfleet_agent_v1_ReadVolumeRunsResponse>;
  
}

export interface VolumeTransferServiceDefinition extends grpc.ServiceDefinition {
  ReadVolumeRuns: MethodDefinition<_thinfleet_agent_v1_ReadVolumeRunsRequest, _thinfleet_agent_v1_ReadVolumeRunsResponse, _thinfleet_agent_v1_ReadVolumeRunsRequest__Output, _thinfleet_agent_v1_ReadVolumeRunsResponse__Output>
}
