// Original file: proto/thinfleet/agent/v1/volume.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ActivateVolumeRequest as _thinfleet_agent_v1_ActivateVolumeRequest, ActivateVolumeRequest__Output as _thinfleet_agent_v1_ActivateVolumeRequest__Output } from '../../../thinfleet/agent/v1/ActivateVolumeRequest.js';
import type { ActivateVolumeResponse as _thinfleet_agent_v1_ActivateVolumeResponse, ActivateVolumeResponse__Output as _thinfleet_agent_v1_ActivateVolumeResponse__Output } from '../../../thinfleet/agent/v1/ActivateVolumeResponse.js';
import type { BatchRequest as _thinfleet_agent_v1_BatchRequest, BatchRequest__Output as _thinfleet_agent_v1_BatchRequest__Output } from '../../../thinfleet/agent/v1/BatchRequest.js';
import type { BatchResponse as _thinfleet_agent_v1_BatchResponse, BatchResponse__Output as _thinfleet_agent_v1_BatchResponse__Output } from '../../../thinfleet/agent/v1/BatchResponse.js';
import type { CopyVolumeRequest as _thinfleet_agent_v1_CopyVolumeRequest, CopyVolumeRequest__Output as _thinfleet_agent_v1_CopyVolumeRequest__Output } from '../../../thinfleet/agent/v1/CopyVolumeRequest.js';
import type { CopyVolumeResponse as _thinfleet_agent_v1_CopyVolumeResponse, CopyVolumeResponse__Output as _thinfleet_agent_v1_CopyVolumeResponse__Output } from '../../../thinfleet/agent/v1/CopyVolumeResponse.js';
import type { CreateRevisionRequest as _thinfleet_agent_v1_CreateRevisionRequest, CreateRevisionRequest__Output as _thinfleet_agent_v1_CreateRevisionRequest__Output } from '../../../thinfleet/agent/v1/CreateRevisionRequest.js';
import type { CreateRevisionResponse as _thinfleet_agent_v1_CreateRevisionResponse, CreateRevisionResponse__Output as _thinfleet_agent_v1_CreateRevisionResponse__Output } from '../../../thinfleet/agent/v1/CreateRevisionResponse.js';
import type { CreateVolumeRequest as _thinfleet_agent_v1_CreateVolumeRequest, CreateVolumeRequest__Output as _thinfleet_agent_v1_CreateVolumeRequest__Output } from '../../../thinfleet/agent/v1/CreateVolumeRequest.js';
import type { CreateVolumeResponse as _thinfleet_agent_v1_CreateVolumeResponse, CreateVolumeResponse__Output as _thinfleet_agent_v1_CreateVolumeResponse__Output } from '../../../thinfleet/agent/v1/CreateVolumeResponse.js';
import type { DeactivateVolumeRequest as _thinfleet_agent_v1_DeactivateVolumeRequest, DeactivateVolumeRequest__Output as _thinfleet_agent_v1_DeactivateVolumeRequest__Output } from '../../../thinfleet/agent/v1/DeactivateVolumeRequest.js';
import type { DeactivateVolumeResponse as _thinfleet_agent_v1_DeactivateVolumeResponse, DeactivateVolumeResponse__Output as _thinfleet_agent_v1_DeactivateVolumeResponse__Output } from '../../../thinfleet/agent/v1/DeactivateVolumeResponse.js';
import type { DeleteVolumeRequest as _thinfleet_agent_v1_DeleteVolumeRequest, DeleteVolumeRequest__Output as _thinfleet_agent_v1_DeleteVolumeRequest__Output } from '../../../thinfleet/agent/v1/DeleteVolumeRequest.js';
import type { DeleteVolumeResponse as _thinfleet_agent_v1_DeleteVolumeResponse, DeleteVolumeResponse__Output as _thinfleet_agent_v1_DeleteVolumeResponse__Output } from '../../../thinfleet/agent/v1/DeleteVolumeResponse.js';
import type { DiffVolumesRequest as _thinfleet_agent_v1_DiffVolumesRequest, DiffVolumesRequest__Output as _thinfleet_agent_v1_DiffVolumesRequest__Output } from '../../../thinfleet/agent/v1/DiffVolumesRequest.js';
import type { DiffVolumesResponse as _thinfleet_agent_v1_DiffVolumesResponse, DiffVolumesResponse__Output as _thinfleet_agent_v1_DiffVolumesResponse__Output } from '../../../thinfleet/agent/v1/DiffVolumesResponse.js';
import type { ExportVolumeRequest as _thinfleet_agent_v1_ExportVolumeRequest, ExportVolumeRequest__Output as _thinfleet_agent_v1_ExportVolumeRequest__Output } from '../../../thinfleet/agent/v1/ExportVolumeRequest.js';
import type { ExportVolumeResponse as _thinfleet_agent_v1_ExportVolumeResponse, ExportVolumeResponse__Output as _thinfleet_agent_v1_ExportVolumeResponse__Output } from '../../../thinfleet/agent/v1/ExportVolumeResponse.js';
import type { FlattenVolumeRequest as _thinfleet_agent_v1_FlattenVolumeRequest, FlattenVolumeRequest__Output as _thinfleet_agent_v1_FlattenVolumeRequest__Output } from '../../../thinfleet/agent/v1/FlattenVolumeRequest.js';
import type { FlattenVolumeResponse as _thinfleet_agent_v1_FlattenVolumeResponse, FlattenVolumeResponse__Output as _thinfleet_agent_v1_FlattenVolumeResponse__Output } from '../../../thinfleet/agent/v1/FlattenVolumeResponse.js';
import type { GetVolumeRequest as _thinfleet_agent_v1_GetVolumeRequest, GetVolumeRequest__Output as _thinfleet_agent_v1_GetVolumeRequest__Output } from '../../../thinfleet/agent/v1/GetVolumeRequest.js';
import type { GetVolumeResponse as _thinfleet_agent_v1_GetVolumeResponse, GetVolumeResponse__Output as _thinfleet_agent_v1_GetVolumeResponse__Output } from '../../../thinfleet/agent/v1/GetVolumeResponse.js';
import type { ImportVolumeRequest as _thinfleet_agent_v1_ImportVolumeRequest, ImportVolumeRequest__Output as _thinfleet_agent_v1_ImportVolumeRequest__Output } from '../../../thinfleet/agent/v1/ImportVolumeRequest.js';
import type { ImportVolumeResponse as _thinfleet_agent_v1_ImportVolumeResponse, ImportVolumeResponse__Output as _thinfleet_agent_v1_ImportVolumeResponse__Output } from '../../../thinfleet/agent/v1/ImportVolumeResponse.js';
import type { ListVolumesRequest as _thinfleet_agent_v1_ListVolumesRequest, ListVolumesRequest__Output as _thinfleet_agent_v1_ListVolumesRequest__Output } from '../../../thinfleet/agent/v1/ListVolumesRequest.js';
import type { ListVolumesResponse as _thinfleet_agent_v1_ListVolumesResponse, ListVolumesResponse__Output as _thinfleet_agent_v1_ListVolumesResponse__Output } from '../../../thinfleet/agent/v1/ListVolumesResponse.js';
import type { MoveVolumeRequest as _thinfleet_agent_v1_MoveVolumeRequest, MoveVolumeRequest__Output as _thinfleet_agent_v1_MoveVolumeRequest__Output } from '../../../thinfleet/agent/v1/MoveVolumeRequest.js';
import type { MoveVolumeResponse as _thinfleet_agent_v1_MoveVolumeResponse, MoveVolumeResponse__Output as _thinfleet_agent_v1_MoveVolumeResponse__Output } from '../../../thinfleet/agent/v1/MoveVolumeResponse.js';
import type { PinVolumeRequest as _thinfleet_agent_v1_PinVolumeRequest, PinVolumeRequest__Output as _thinfleet_agent_v1_PinVolumeRequest__Output } from '../../../thinfleet/agent/v1/PinVolumeRequest.js';
import type { PinVolumeResponse as _thinfleet_agent_v1_PinVolumeResponse, PinVolumeResponse__Output as _thinfleet_agent_v1_PinVolumeResponse__Output } from '../../../thinfleet/agent/v1/PinVolumeResponse.js';
import type { ReadVolumeRequest as _thinfleet_agent_v1_ReadVolumeRequest, ReadVolumeRequest__Output as _thinfleet_agent_v1_ReadVolumeRequest__Output } from '../../../thinfleet/agent/v1/ReadVolumeRequest.js';
import type { ReadVolumeResponse as _thinfleet_agent_v1_ReadVolumeResponse, ReadVolumeResponse__Output as _thinfleet_agent_v1_ReadVolumeResponse__Output } from '../../../thinfleet/agent/v1/ReadVolumeResponse.js';
import type { RenameVolumeRequest as _thinfleet_agent_v1_RenameVolumeRequest, RenameVolumeRequest__Output as _thinfleet_agent_v1_RenameVolumeRequest__Output } from '../../../thinfleet/agent/v1/RenameVolumeRequest.js';
import type { RenameVolumeResponse as _thinfleet_agent_v1_RenameVolumeResponse, RenameVolumeResponse__Output as _thinfleet_agent_v1_RenameVolumeResponse__Output } from '../../../thinfleet/agent/v1/RenameVolumeResponse.js';
import type { ResizeVolumeRequest as _thinfleet_agent_v1_ResizeVolumeRequest, ResizeVolumeRequest__Output as _thinfleet_agent_v1_ResizeVolumeRequest__Output } from '../../../thinfleet/agent/v1/ResizeVolumeRequest.js';
import type { ResizeVolumeResponse as _thinfleet_agent_v1_ResizeVolumeResponse, ResizeVolumeResponse__Output as _thinfleet_agent_v1_ResizeVolumeResponse__Output } from '../../../thinfleet/agent/v1/ResizeVolumeResponse.js';
import type { RevertVolumeRequest as _thinfleet_agent_v1_RevertVolumeRequest, RevertVolumeRequest__Output as _thinfleet_agent_v1_RevertVolumeRequest__Output } from '../../../thinfleet/agent/v1/RevertVolumeRequest.js';
import type { RevertVolumeResponse as _thinfleet_agent_v1_RevertVolumeResponse, RevertVolumeResponse__Output as _thinfleet_agent_v1_RevertVolumeResponse__Output } from '../../../thinfleet/agent/v1/RevertVolumeResponse.js';
import type { SnapshotVolumeRequest as _thinfleet_agent_v1_SnapshotVolumeRequest, SnapshotVolumeRequest__Output as _thinfleet_agent_v1_SnapshotVolumeRequest__Output } from '../../../thinfleet/agent/v1/SnapshotVolumeRequest.js';
import type { SnapshotVolumeResponse as _thinfleet_agent_v1_SnapshotVolumeResponse, SnapshotVolumeResponse__Output as _thinfleet_agent_v1_SnapshotVolumeResponse__Output } from '../../../thinfleet/agent/v1/SnapshotVolumeResponse.js';
import type { WriteVolumeRequest as _thinfleet_agent_v1_WriteVolumeRequest, WriteVolumeRequest__Output as _thinfleet_agent_v1_WriteVolumeRequest__Output } from '../../../thinfleet/agent/v1/WriteVolumeRequest.js';
import type { WriteVolumeResponse as _thinfleet_agent_v1_WriteVolumeResponse, WriteVolumeResponse__Output as _thinfleet_agent_v1_WriteVolumeResponse__Output } from '../../../thinfleet/agent/v1/WriteVolumeResponse.js';

/**
 * Every call names its pool; volume names are unique within a pool.
 */
export interface VolumeServiceClient extends grpc.Client {
  /**
   * Makes the volume's block device. Idempotent.
   */
  ActivateVolume(argument: _thinfleet_agent_v1_ActivateVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  ActivateVolume(argument: _thinfleet_agent_v1_ActivateVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  ActivateVolume(argument: _thinfleet_agent_v1_ActivateVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  ActivateVolume(argument: _thinfleet_agent_v1_ActivateVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Makes the volume's block device. Idempotent.
   */
  activateVolume(argument: _thinfleet_agent_v1_ActivateVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  activateVolume(argument: _thinfleet_agent_v1_ActivateVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  activateVolume(argument: _thinfleet_agent_v1_ActivateVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  activateVolume(argument: _thinfleet_agent_v1_ActivateVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ActivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Many operations on one pool as one transaction: all are applied or none.
   */
  Batch(argument: _thinfleet_agent_v1_BatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_BatchResponse__Output>): grpc.ClientUnaryCall;
  Batch(argument: _thinfleet_agent_v1_BatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_BatchResponse__Output>): grpc.ClientUnaryCall;
  Batch(argument: _thinfleet_agent_v1_BatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_BatchResponse__Output>): grpc.ClientUnaryCall;
  Batch(argument: _thinfleet_agent_v1_BatchRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_BatchResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Many operations on one pool as one transaction: all are applied or none.
   */
  batch(argument: _thinfleet_agent_v1_BatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_BatchResponse__Output>): grpc.ClientUnaryCall;
  batch(argument: _thinfleet_agent_v1_BatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_BatchResponse__Output>): grpc.ClientUnaryCall;
  batch(argument: _thinfleet_agent_v1_BatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_BatchResponse__Output>): grpc.ClientUnaryCall;
  batch(argument: _thinfleet_agent_v1_BatchRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_BatchResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Starts a sparse copy of a volume into a new volume of `target_pool` (on the same host or,
   * routed by the coordinator, on another) as a background job (kind "copy"): only the mapped
   * blocks of the source travel, each run with a SHA-256 checked on receipt, each window read
   * back and compared; the new volume is invisible until the copy is complete and verified. A
   * failed or cancelled copy leaves no volume. Runs on the holder of the TARGET pool.
   */
  CopyVolume(argument: _thinfleet_agent_v1_CopyVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CopyVolumeResponse__Output>): grpc.ClientUnaryCall;
  CopyVolume(argument: _thinfleet_agent_v1_CopyVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CopyVolumeResponse__Output>): grpc.ClientUnaryCall;
  CopyVolume(argument: _thinfleet_agent_v1_CopyVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CopyVolumeResponse__Output>): grpc.ClientUnaryCall;
  CopyVolume(argument: _thinfleet_agent_v1_CopyVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CopyVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Starts a sparse copy of a volume into a new volume of `target_pool` (on the same host or,
   * routed by the coordinator, on another) as a background job (kind "copy"): only the mapped
   * blocks of the source travel, each run with a SHA-256 checked on receipt, each window read
   * back and compared; the new volume is invisible until the copy is complete and verified. A
   * failed or cancelled copy leaves no volume. Runs on the holder of the TARGET pool.
   */
  copyVolume(argument: _thinfleet_agent_v1_CopyVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CopyVolumeResponse__Output>): grpc.ClientUnaryCall;
  copyVolume(argument: _thinfleet_agent_v1_CopyVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CopyVolumeResponse__Output>): grpc.ClientUnaryCall;
  copyVolume(argument: _thinfleet_agent_v1_CopyVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CopyVolumeResponse__Output>): grpc.ClientUnaryCall;
  copyVolume(argument: _thinfleet_agent_v1_CopyVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CopyVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Snapshots a volume as its next revision `<name>.rev<N>`, keeping the newest `keep`
   * unpinned revisions.
   */
  CreateRevision(argument: _thinfleet_agent_v1_CreateRevisionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateRevisionResponse__Output>): grpc.ClientUnaryCall;
  CreateRevision(argument: _thinfleet_agent_v1_CreateRevisionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateRevisionResponse__Output>): grpc.ClientUnaryCall;
  CreateRevision(argument: _thinfleet_agent_v1_CreateRevisionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateRevisionResponse__Output>): grpc.ClientUnaryCall;
  CreateRevision(argument: _thinfleet_agent_v1_CreateRevisionRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateRevisionResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Snapshots a volume as its next revision `<name>.rev<N>`, keeping the newest `keep`
   * unpinned revisions.
   */
  createRevision(argument: _thinfleet_agent_v1_CreateRevisionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateRevisionResponse__Output>): grpc.ClientUnaryCall;
  createRevision(argument: _thinfleet_agent_v1_CreateRevisionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateRevisionResponse__Output>): grpc.ClientUnaryCall;
  createRevision(argument: _thinfleet_agent_v1_CreateRevisionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateRevisionResponse__Output>): grpc.ClientUnaryCall;
  createRevision(argument: _thinfleet_agent_v1_CreateRevisionRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateRevisionResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A new, empty volume, or one over a read-only external origin. Not idempotent: an existing
   * name is ALREADY_EXISTS.
   */
  CreateVolume(argument: _thinfleet_agent_v1_CreateVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  CreateVolume(argument: _thinfleet_agent_v1_CreateVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  CreateVolume(argument: _thinfleet_agent_v1_CreateVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  CreateVolume(argument: _thinfleet_agent_v1_CreateVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A new, empty volume, or one over a read-only external origin. Not idempotent: an existing
   * name is ALREADY_EXISTS.
   */
  createVolume(argument: _thinfleet_agent_v1_CreateVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  createVolume(argument: _thinfleet_agent_v1_CreateVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  createVolume(argument: _thinfleet_agent_v1_CreateVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  createVolume(argument: _thinfleet_agent_v1_CreateVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_CreateVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Removes the volume's block device; refused while it is open. Idempotent.
   */
  DeactivateVolume(argument: _thinfleet_agent_v1_DeactivateVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  DeactivateVolume(argument: _thinfleet_agent_v1_DeactivateVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  DeactivateVolume(argument: _thinfleet_agent_v1_DeactivateVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  DeactivateVolume(argument: _thinfleet_agent_v1_DeactivateVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Removes the volume's block device; refused while it is open. Idempotent.
   */
  deactivateVolume(argument: _thinfleet_agent_v1_DeactivateVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  deactivateVolume(argument: _thinfleet_agent_v1_DeactivateVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  deactivateVolume(argument: _thinfleet_agent_v1_DeactivateVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  deactivateVolume(argument: _thinfleet_agent_v1_DeactivateVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DeactivateVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Deletes a volume at once, or through a chunked background job (see DeleteMode).
   */
  DeleteVolume(argument: _thinfleet_agent_v1_DeleteVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteVolumeResponse__Output>): grpc.ClientUnaryCall;
  DeleteVolume(argument: _thinfleet_agent_v1_DeleteVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteVolumeResponse__Output>): grpc.ClientUnaryCall;
  DeleteVolume(argument: _thinfleet_agent_v1_DeleteVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteVolumeResponse__Output>): grpc.ClientUnaryCall;
  DeleteVolume(argument: _thinfleet_agent_v1_DeleteVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deletes a volume at once, or through a chunked background job (see DeleteMode).
   */
  deleteVolume(argument: _thinfleet_agent_v1_DeleteVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteVolumeResponse__Output>): grpc.ClientUnaryCall;
  deleteVolume(argument: _thinfleet_agent_v1_DeleteVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteVolumeResponse__Output>): grpc.ClientUnaryCall;
  deleteVolume(argument: _thinfleet_agent_v1_DeleteVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteVolumeResponse__Output>): grpc.ClientUnaryCall;
  deleteVolume(argument: _thinfleet_agent_v1_DeleteVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DeleteVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Where volume `other` (B, the newer) differs from volume `name` (A, the older) of one pool,
   * from the kernel's thin metadata (no data is read; both mappings under one metadata
   * snapshot): byte ranges classed as thin_delta classes them. Both must be of one lineage (one
   * a snapshot of the other, directly or through a chain, or snapshots of one volume; else
   * INVALID_ARGUMENT naming `other`); either may be active or inactive. A bounded unary answer
   * with paging (at most `max_ranges` ranges, then `next_from_bytes`): see docs/agent.md.
   */
  DiffVolumes(argument: _thinfleet_agent_v1_DiffVolumesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DiffVolumesResponse__Output>): grpc.ClientUnaryCall;
  DiffVolumes(argument: _thinfleet_agent_v1_DiffVolumesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DiffVolumesResponse__Output>): grpc.ClientUnaryCall;
  DiffVolumes(argument: _thinfleet_agent_v1_DiffVolumesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DiffVolumesResponse__Output>): grpc.ClientUnaryCall;
  DiffVolumes(argument: _thinfleet_agent_v1_DiffVolumesRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DiffVolumesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Where volume `other` (B, the newer) differs from volume `name` (A, the older) of one pool,
   * from the kernel's thin metadata (no data is read; both mappings under one metadata
   * snapshot): byte ranges classed as thin_delta classes them. Both must be of one lineage (one
   * a snapshot of the other, directly or through a chain, or snapshots of one volume; else
   * INVALID_ARGUMENT naming `other`); either may be active or inactive. A bounded unary answer
   * with paging (at most `max_ranges` ranges, then `next_from_bytes`): see docs/agent.md.
   */
  diffVolumes(argument: _thinfleet_agent_v1_DiffVolumesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DiffVolumesResponse__Output>): grpc.ClientUnaryCall;
  diffVolumes(argument: _thinfleet_agent_v1_DiffVolumesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_DiffVolumesResponse__Output>): grpc.ClientUnaryCall;
  diffVolumes(argument: _thinfleet_agent_v1_DiffVolumesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_DiffVolumesResponse__Output>): grpc.ClientUnaryCall;
  diffVolumes(argument: _thinfleet_agent_v1_DiffVolumesRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_DiffVolumesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Writes a volume to a new image file on the agent's host, in a background job (kind
   * "export"): raw as a sparse file, other formats through qemu-img. Never overwrites a file;
   * a failed or cancelled export leaves no file behind.
   */
  ExportVolume(argument: _thinfleet_agent_v1_ExportVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ExportVolumeResponse__Output>): grpc.ClientUnaryCall;
  ExportVolume(argument: _thinfleet_agent_v1_ExportVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ExportVolumeResponse__Output>): grpc.ClientUnaryCall;
  ExportVolume(argument: _thinfleet_agent_v1_ExportVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ExportVolumeResponse__Output>): grpc.ClientUnaryCall;
  ExportVolume(argument: _thinfleet_agent_v1_ExportVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ExportVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Writes a volume to a new image file on the agent's host, in a background job (kind
   * "export"): raw as a sparse file, other formats through qemu-img. Never overwrites a file;
   * a failed or cancelled export leaves no file behind.
   */
  exportVolume(argument: _thinfleet_agent_v1_ExportVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ExportVolumeResponse__Output>): grpc.ClientUnaryCall;
  exportVolume(argument: _thinfleet_agent_v1_ExportVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ExportVolumeResponse__Output>): grpc.ClientUnaryCall;
  exportVolume(argument: _thinfleet_agent_v1_ExportVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ExportVolumeResponse__Output>): grpc.ClientUnaryCall;
  exportVolume(argument: _thinfleet_agent_v1_ExportVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ExportVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Detaches a volume from its external origin in the background: a `flatten` job copies every
   * origin block the volume has not written into it (the volume may stay open and written),
   * then drops the origin. Returns the job (see JobService). Refused while a job works on the
   * volume; a volume without an external origin is INVALID_ARGUMENT (`name`).
   */
  FlattenVolume(argument: _thinfleet_agent_v1_FlattenVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_FlattenVolumeResponse__Output>): grpc.ClientUnaryCall;
  FlattenVolume(argument: _thinfleet_agent_v1_FlattenVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_FlattenVolumeResponse__Output>): grpc.ClientUnaryCall;
  FlattenVolume(argument: _thinfleet_agent_v1_FlattenVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_FlattenVolumeResponse__Output>): grpc.ClientUnaryCall;
  FlattenVolume(argument: _thinfleet_agent_v1_FlattenVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_FlattenVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Detaches a volume from its external origin in the background: a `flatten` job copies every
   * origin block the volume has not written into it (the volume may stay open and written),
   * then drops the origin. Returns the job (see JobService). Refused while a job works on the
   * volume; a volume without an external origin is INVALID_ARGUMENT (`name`).
   */
  flattenVolume(argument: _thinfleet_agent_v1_FlattenVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_FlattenVolumeResponse__Output>): grpc.ClientUnaryCall;
  flattenVolume(argument: _thinfleet_agent_v1_FlattenVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_FlattenVolumeResponse__Output>): grpc.ClientUnaryCall;
  flattenVolume(argument: _thinfleet_agent_v1_FlattenVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_FlattenVolumeResponse__Output>): grpc.ClientUnaryCall;
  flattenVolume(argument: _thinfleet_agent_v1_FlattenVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_FlattenVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  GetVolume(argument: _thinfleet_agent_v1_GetVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetVolumeResponse__Output>): grpc.ClientUnaryCall;
  GetVolume(argument: _thinfleet_agent_v1_GetVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_GetVolumeResponse__Output>): grpc.ClientUnaryCall;
  GetVolume(argument: _thinfleet_agent_v1_GetVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetVolumeResponse__Output>): grpc.ClientUnaryCall;
  GetVolume(argument: _thinfleet_agent_v1_GetVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_GetVolumeResponse__Output>): grpc.ClientUnaryCall;
  getVolume(argument: _thinfleet_agent_v1_GetVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetVolumeResponse__Output>): grpc.ClientUnaryCall;
  getVolume(argument: _thinfleet_agent_v1_GetVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_GetVolumeResponse__Output>): grpc.ClientUnaryCall;
  getVolume(argument: _thinfleet_agent_v1_GetVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_GetVolumeResponse__Output>): grpc.ClientUnaryCall;
  getVolume(argument: _thinfleet_agent_v1_GetVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_GetVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Makes a new volume from an image file on the agent's host, in a background job (kind
   * "import"): raw sparsely (zero blocks are not written), other formats through qemu-img. A
   * failed or cancelled import leaves no volume behind; the volume takes no other change and
   * cannot be activated until the job succeeds.
   */
  ImportVolume(argument: _thinfleet_agent_v1_ImportVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ImportVolumeResponse__Output>): grpc.ClientUnaryCall;
  ImportVolume(argument: _thinfleet_agent_v1_ImportVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ImportVolumeResponse__Output>): grpc.ClientUnaryCall;
  ImportVolume(argument: _thinfleet_agent_v1_ImportVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ImportVolumeResponse__Output>): grpc.ClientUnaryCall;
  ImportVolume(argument: _thinfleet_agent_v1_ImportVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ImportVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Makes a new volume from an image file on the agent's host, in a background job (kind
   * "import"): raw sparsely (zero blocks are not written), other formats through qemu-img. A
   * failed or cancelled import leaves no volume behind; the volume takes no other change and
   * cannot be activated until the job succeeds.
   */
  importVolume(argument: _thinfleet_agent_v1_ImportVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ImportVolumeResponse__Output>): grpc.ClientUnaryCall;
  importVolume(argument: _thinfleet_agent_v1_ImportVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ImportVolumeResponse__Output>): grpc.ClientUnaryCall;
  importVolume(argument: _thinfleet_agent_v1_ImportVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ImportVolumeResponse__Output>): grpc.ClientUnaryCall;
  importVolume(argument: _thinfleet_agent_v1_ImportVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ImportVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The volumes of one pool, or of every active pool.
   */
  ListVolumes(argument: _thinfleet_agent_v1_ListVolumesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListVolumesResponse__Output>): grpc.ClientUnaryCall;
  ListVolumes(argument: _thinfleet_agent_v1_ListVolumesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ListVolumesResponse__Output>): grpc.ClientUnaryCall;
  ListVolumes(argument: _thinfleet_agent_v1_ListVolumesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListVolumesResponse__Output>): grpc.ClientUnaryCall;
  ListVolumes(argument: _thinfleet_agent_v1_ListVolumesRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ListVolumesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The volumes of one pool, or of every active pool.
   */
  listVolumes(argument: _thinfleet_agent_v1_ListVolumesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListVolumesResponse__Output>): grpc.ClientUnaryCall;
  listVolumes(argument: _thinfleet_agent_v1_ListVolumesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ListVolumesResponse__Output>): grpc.ClientUnaryCall;
  listVolumes(argument: _thinfleet_agent_v1_ListVolumesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ListVolumesResponse__Output>): grpc.ClientUnaryCall;
  listVolumes(argument: _thinfleet_agent_v1_ListVolumesRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ListVolumesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Moves an active (possibly open and written) volume to another pool of this host, live, in a
   * background job (kind "move"): its device is reloaded onto a kernel mirror of the source and
   * a new volume of the same name and uuid in the target pool, the kernel copies the mapped
   * regions, the device is switched onto the new volume and renamed into the target pool, and
   * the source is deleted. Each reload is one short pause of the volume's user. Refused for an
   * inactive volume (FAILED_PRECONDITION), a volume with an external origin or in the target pool
   * already (INVALID_ARGUMENT), a name taken there (ALREADY_EXISTS), a volume a job works on.
   */
  MoveVolume(argument: _thinfleet_agent_v1_MoveVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_MoveVolumeResponse__Output>): grpc.ClientUnaryCall;
  MoveVolume(argument: _thinfleet_agent_v1_MoveVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_MoveVolumeResponse__Output>): grpc.ClientUnaryCall;
  MoveVolume(argument: _thinfleet_agent_v1_MoveVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_MoveVolumeResponse__Output>): grpc.ClientUnaryCall;
  MoveVolume(argument: _thinfleet_agent_v1_MoveVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_MoveVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Moves an active (possibly open and written) volume to another pool of this host, live, in a
   * background job (kind "move"): its device is reloaded onto a kernel mirror of the source and
   * a new volume of the same name and uuid in the target pool, the kernel copies the mapped
   * regions, the device is switched onto the new volume and renamed into the target pool, and
   * the source is deleted. Each reload is one short pause of the volume's user. Refused for an
   * inactive volume (FAILED_PRECONDITION), a volume with an external origin or in the target pool
   * already (INVALID_ARGUMENT), a name taken there (ALREADY_EXISTS), a volume a job works on.
   */
  moveVolume(argument: _thinfleet_agent_v1_MoveVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_MoveVolumeResponse__Output>): grpc.ClientUnaryCall;
  moveVolume(argument: _thinfleet_agent_v1_MoveVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_MoveVolumeResponse__Output>): grpc.ClientUnaryCall;
  moveVolume(argument: _thinfleet_agent_v1_MoveVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_MoveVolumeResponse__Output>): grpc.ClientUnaryCall;
  moveVolume(argument: _thinfleet_agent_v1_MoveVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_MoveVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Pins or unpins a volume so revision rotation never deletes it.
   */
  PinVolume(argument: _thinfleet_agent_v1_PinVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_PinVolumeResponse__Output>): grpc.ClientUnaryCall;
  PinVolume(argument: _thinfleet_agent_v1_PinVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_PinVolumeResponse__Output>): grpc.ClientUnaryCall;
  PinVolume(argument: _thinfleet_agent_v1_PinVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_PinVolumeResponse__Output>): grpc.ClientUnaryCall;
  PinVolume(argument: _thinfleet_agent_v1_PinVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_PinVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Pins or unpins a volume so revision rotation never deletes it.
   */
  pinVolume(argument: _thinfleet_agent_v1_PinVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_PinVolumeResponse__Output>): grpc.ClientUnaryCall;
  pinVolume(argument: _thinfleet_agent_v1_PinVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_PinVolumeResponse__Output>): grpc.ClientUnaryCall;
  pinVolume(argument: _thinfleet_agent_v1_PinVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_PinVolumeResponse__Output>): grpc.ClientUnaryCall;
  pinVolume(argument: _thinfleet_agent_v1_PinVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_PinVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reads part of an active volume's content. For tools, tests and the simulated
   * device-mapper, whose devices exist only inside the agent; a VM reads the device itself.
   */
  ReadVolume(argument: _thinfleet_agent_v1_ReadVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ReadVolumeResponse__Output>): grpc.ClientUnaryCall;
  ReadVolume(argument: _thinfleet_agent_v1_ReadVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ReadVolumeResponse__Output>): grpc.ClientUnaryCall;
  ReadVolume(argument: _thinfleet_agent_v1_ReadVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ReadVolumeResponse__Output>): grpc.ClientUnaryCall;
  ReadVolume(argument: _thinfleet_agent_v1_ReadVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ReadVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Reads part of an active volume's content. For tools, tests and the simulated
   * device-mapper, whose devices exist only inside the agent; a VM reads the device itself.
   */
  readVolume(argument: _thinfleet_agent_v1_ReadVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ReadVolumeResponse__Output>): grpc.ClientUnaryCall;
  readVolume(argument: _thinfleet_agent_v1_ReadVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ReadVolumeResponse__Output>): grpc.ClientUnaryCall;
  readVolume(argument: _thinfleet_agent_v1_ReadVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ReadVolumeResponse__Output>): grpc.ClientUnaryCall;
  readVolume(argument: _thinfleet_agent_v1_ReadVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ReadVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Renames an inactive volume.
   */
  RenameVolume(argument: _thinfleet_agent_v1_RenameVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_RenameVolumeResponse__Output>): grpc.ClientUnaryCall;
  RenameVolume(argument: _thinfleet_agent_v1_RenameVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_RenameVolumeResponse__Output>): grpc.ClientUnaryCall;
  RenameVolume(argument: _thinfleet_agent_v1_RenameVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_RenameVolumeResponse__Output>): grpc.ClientUnaryCall;
  RenameVolume(argument: _thinfleet_agent_v1_RenameVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_RenameVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Renames an inactive volume.
   */
  renameVolume(argument: _thinfleet_agent_v1_RenameVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_RenameVolumeResponse__Output>): grpc.ClientUnaryCall;
  renameVolume(argument: _thinfleet_agent_v1_RenameVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_RenameVolumeResponse__Output>): grpc.ClientUnaryCall;
  renameVolume(argument: _thinfleet_agent_v1_RenameVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_RenameVolumeResponse__Output>): grpc.ClientUnaryCall;
  renameVolume(argument: _thinfleet_agent_v1_RenameVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_RenameVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Grows a volume; shrinking is refused (FAILED_PRECONDITION).
   */
  ResizeVolume(argument: _thinfleet_agent_v1_ResizeVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ResizeVolumeResponse__Output>): grpc.ClientUnaryCall;
  ResizeVolume(argument: _thinfleet_agent_v1_ResizeVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ResizeVolumeResponse__Output>): grpc.ClientUnaryCall;
  ResizeVolume(argument: _thinfleet_agent_v1_ResizeVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ResizeVolumeResponse__Output>): grpc.ClientUnaryCall;
  ResizeVolume(argument: _thinfleet_agent_v1_ResizeVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ResizeVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Grows a volume; shrinking is refused (FAILED_PRECONDITION).
   */
  resizeVolume(argument: _thinfleet_agent_v1_ResizeVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ResizeVolumeResponse__Output>): grpc.ClientUnaryCall;
  resizeVolume(argument: _thinfleet_agent_v1_ResizeVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_ResizeVolumeResponse__Output>): grpc.ClientUnaryCall;
  resizeVolume(argument: _thinfleet_agent_v1_ResizeVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_ResizeVolumeResponse__Output>): grpc.ClientUnaryCall;
  resizeVolume(argument: _thinfleet_agent_v1_ResizeVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_ResizeVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Gives an inactive volume the content and size of one of its snapshots.
   */
  RevertVolume(argument: _thinfleet_agent_v1_RevertVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_RevertVolumeResponse__Output>): grpc.ClientUnaryCall;
  RevertVolume(argument: _thinfleet_agent_v1_RevertVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_RevertVolumeResponse__Output>): grpc.ClientUnaryCall;
  RevertVolume(argument: _thinfleet_agent_v1_RevertVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_RevertVolumeResponse__Output>): grpc.ClientUnaryCall;
  RevertVolume(argument: _thinfleet_agent_v1_RevertVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_RevertVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Gives an inactive volume the content and size of one of its snapshots.
   */
  revertVolume(argument: _thinfleet_agent_v1_RevertVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_RevertVolumeResponse__Output>): grpc.ClientUnaryCall;
  revertVolume(argument: _thinfleet_agent_v1_RevertVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_RevertVolumeResponse__Output>): grpc.ClientUnaryCall;
  revertVolume(argument: _thinfleet_agent_v1_RevertVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_RevertVolumeResponse__Output>): grpc.ClientUnaryCall;
  revertVolume(argument: _thinfleet_agent_v1_RevertVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_RevertVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A writable snapshot of a volume (active or not).
   */
  SnapshotVolume(argument: _thinfleet_agent_v1_SnapshotVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_SnapshotVolumeResponse__Output>): grpc.ClientUnaryCall;
  SnapshotVolume(argument: _thinfleet_agent_v1_SnapshotVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_SnapshotVolumeResponse__Output>): grpc.ClientUnaryCall;
  SnapshotVolume(argument: _thinfleet_agent_v1_SnapshotVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_SnapshotVolumeResponse__Output>): grpc.ClientUnaryCall;
  SnapshotVolume(argument: _thinfleet_agent_v1_SnapshotVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_SnapshotVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A writable snapshot of a volume (active or not).
   */
  snapshotVolume(argument: _thinfleet_agent_v1_SnapshotVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_SnapshotVolumeResponse__Output>): grpc.ClientUnaryCall;
  snapshotVolume(argument: _thinfleet_agent_v1_SnapshotVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_SnapshotVolumeResponse__Output>): grpc.ClientUnaryCall;
  snapshotVolume(argument: _thinfleet_agent_v1_SnapshotVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_SnapshotVolumeResponse__Output>): grpc.ClientUnaryCall;
  snapshotVolume(argument: _thinfleet_agent_v1_SnapshotVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_SnapshotVolumeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Writes part of an active volume's content, durably once answered. Not a catalog change;
   * in cluster mode it needs the pool's lock token like any change.
   */
  WriteVolume(argument: _thinfleet_agent_v1_WriteVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_WriteVolumeResponse__Output>): grpc.ClientUnaryCall;
  WriteVolume(argument: _thinfleet_agent_v1_WriteVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_WriteVolumeResponse__Output>): grpc.ClientUnaryCall;
  WriteVolume(argument: _thinfleet_agent_v1_WriteVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_WriteVolumeResponse__Output>): grpc.ClientUnaryCall;
  WriteVolume(argument: _thinfleet_agent_v1_WriteVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_WriteVolumeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Writes part of an active volume's content, durably once answered. Not a catalog change;
   * in cluster mode it needs the pool's lock token like any change.
   */
  writeVolume(argument: _thinfleet_agent_v1_WriteVolumeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_WriteVolumeResponse__Output>): grpc.ClientUnaryCall;
  writeVolume(argument: _thinfleet_agent_v1_WriteVolumeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_thinfleet_agent_v1_WriteVolumeResponse__Output>): grpc.ClientUnaryCall;
  writeVolume(argument: _thinfleet_agent_v1_WriteVolumeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_thinfleet_agent_v1_WriteVolumeResponse__Output>): grpc.ClientUnaryCall;
  writeVolume(argument: _thinfleet_agent_v1_WriteVolumeRequest, callback: grpc.requestCallback<_thinfleet_agent_v1_WriteVolumeResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Every call names its pool; volume names are unique within a pool.
 */
export interface VolumeServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Makes the volume's block device. Idempotent.
   */
  ActivateVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_ActivateVolumeRequest__Output, _thinfleet_agent_v1_ActivateVolumeResponse>;
  
  /**
   * Many operations on one pool as one transaction: all are applied or none.
   */
  Batch: grpc.handleUnaryCall<_thinfleet_agent_v1_BatchRequest__Output, _thinfleet_agent_v1_BatchResponse>;
  
  /**
   * Starts a sparse copy of a volume into a new volume of `target_pool` (on the same host or,
   * routed by the coordinator, on another) as a background job (kind "copy"): only the mapped
   * blocks of the source travel, each run with a SHA-256 checked on receipt, each window read
   * back and compared; the new volume is invisible until the copy is complete and verified. A
   * failed or cancelled copy leaves no volume. Runs on the holder of the TARGET pool.
   */
  CopyVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_CopyVolumeRequest__Output, _thinfleet_agent_v1_CopyVolumeResponse>;
  
  /**
   * Snapshots a volume as its next revision `<name>.rev<N>`, keeping the newest `keep`
   * unpinned revisions.
   */
  CreateRevision: grpc.handleUnaryCall<_thinfleet_agent_v1_CreateRevisionRequest__Output, _thinfleet_agent_v1_CreateRevisionResponse>;
  
  /**
   * A new, empty volume, or one over a read-only external origin. Not idempotent: an existing
   * name is ALREADY_EXISTS.
   */
  CreateVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_CreateVolumeRequest__Output, _thinfleet_agent_v1_CreateVolumeResponse>;
  
  /**
   * Removes the volume's block device; refused while it is open. Idempotent.
   */
  DeactivateVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_DeactivateVolumeRequest__Output, _thinfleet_agent_v1_DeactivateVolumeResponse>;
  
  /**
   * Deletes a volume at once, or through a chunked background job (see DeleteMode).
   */
  DeleteVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_DeleteVolumeRequest__Output, _thinfleet_agent_v1_DeleteVolumeResponse>;
  
  /**
   * Where volume `other` (B, the newer) differs from volume `name` (A, the older) of one pool,
   * from the kernel's thin metadata (no data is read; both mappings under one metadata
   * snapshot): byte ranges classed as thin_delta classes them. Both must be of one lineage (one
   * a snapshot of the other, directly or through a chain, or snapshots of one volume; else
   * INVALID_ARGUMENT naming `other`); either may be active or inactive. A bounded unary answer
   * with paging (at most `max_ranges` ranges, then `next_from_bytes`): see docs/agent.md.
   */
  DiffVolumes: grpc.handleUnaryCall<_thinfleet_agent_v1_DiffVolumesRequest__Output, _thinfleet_agent_v1_DiffVolumesResponse>;
  
  /**
   * Writes a volume to a new image file on the agent's host, in a background job (kind
   * "export"): raw as a sparse file, other formats through qemu-img. Never overwrites a file;
   * a failed or cancelled export leaves no file behind.
   */
  ExportVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_ExportVolumeRequest__Output, _thinfleet_agent_v1_ExportVolumeResponse>;
  
  /**
   * Detaches a volume from its external origin in the background: a `flatten` job copies every
   * origin block the volume has not written into it (the volume may stay open and written),
   * then drops the origin. Returns the job (see JobService). Refused while a job works on the
   * volume; a volume without an external origin is INVALID_ARGUMENT (`name`).
   */
  FlattenVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_FlattenVolumeRequest__Output, _thinfleet_agent_v1_FlattenVolumeResponse>;
  
  GetVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_GetVolumeRequest__Output, _thinfleet_agent_v1_GetVolumeResponse>;
  
  /**
   * Makes a new volume from an image file on the agent's host, in a background job (kind
   * "import"): raw sparsely (zero blocks are not written), other formats through qemu-img. A
   * failed or cancelled import leaves no volume behind; the volume takes no other change and
   * cannot be activated until the job succeeds.
   */
  ImportVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_ImportVolumeRequest__Output, _thinfleet_agent_v1_ImportVolumeResponse>;
  
  /**
   * The volumes of one pool, or of every active pool.
   */
  ListVolumes: grpc.handleUnaryCall<_thinfleet_agent_v1_ListVolumesRequest__Output, _thinfleet_agent_v1_ListVolumesResponse>;
  
  /**
   * Moves an active (possibly open and written) volume to another pool of this host, live, in a
   * background job (kind "move"): its device is reloaded onto a kernel mirror of the source and
   * a new volume of the same name and uuid in the target pool, the kernel copies the mapped
   * regions, the device is switched onto the new volume and renamed into the target pool, and
   * the source is deleted. Each reload is one short pause of the volume's user. Refused for an
   * inactive volume (FAILED_PRECONDITION), a volume with an external origin or in the target pool
   * already (INVALID_ARGUMENT), a name taken there (ALREADY_EXISTS), a volume a job works on.
   */
  MoveVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_MoveVolumeRequest__Output, _thinfleet_agent_v1_MoveVolumeResponse>;
  
  /**
   * Pins or unpins a volume so revision rotation never deletes it.
   */
  PinVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_PinVolumeRequest__Output, _thinfleet_agent_v1_PinVolumeResponse>;
  
  /**
   * Reads part of an active volume's content. For tools, tests and the simulated
   * device-mapper, whose devices exist only inside the agent; a VM reads the device itself.
   */
  ReadVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_ReadVolumeRequest__Output, _thinfleet_agent_v1_ReadVolumeResponse>;
  
  /**
   * Renames an inactive volume.
   */
  RenameVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_RenameVolumeRequest__Output, _thinfleet_agent_v1_RenameVolumeResponse>;
  
  /**
   * Grows a volume; shrinking is refused (FAILED_PRECONDITION).
   */
  ResizeVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_ResizeVolumeRequest__Output, _thinfleet_agent_v1_ResizeVolumeResponse>;
  
  /**
   * Gives an inactive volume the content and size of one of its snapshots.
   */
  RevertVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_RevertVolumeRequest__Output, _thinfleet_agent_v1_RevertVolumeResponse>;
  
  /**
   * A writable snapshot of a volume (active or not).
   */
  SnapshotVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_SnapshotVolumeRequest__Output, _thinfleet_agent_v1_SnapshotVolumeResponse>;
  
  /**
   * Writes part of an active volume's content, durably once answered. Not a catalog change;
   * in cluster mode it needs the pool's lock token like any change.
   */
  WriteVolume: grpc.handleUnaryCall<_thinfleet_agent_v1_WriteVolumeRequest__Output, _thinfleet_agent_v1_WriteVolumeResponse>;
  
}

export interface VolumeServiceDefinition extends grpc.ServiceDefinition {
  ActivateVolume: MethodDefinition<_thinfleet_agent_v1_ActivateVolumeRequest, _thinfleet_agent_v1_ActivateVolumeResponse, _thinfleet_agent_v1_ActivateVolumeRequest__Output, _thinfleet_agent_v1_ActivateVolumeResponse__Output>
  Batch: MethodDefinition<_thinfleet_agent_v1_BatchRequest, _thinfleet_agent_v1_BatchResponse, _thinfleet_agent_v1_BatchRequest__Output, _thinfleet_agent_v1_BatchResponse__Output>
  CopyVolume: MethodDefinition<_thinfleet_agent_v1_CopyVolumeRequest, _thinfleet_agent_v1_CopyVolumeResponse, _thinfleet_agent_v1_CopyVolumeRequest__Output, _thinfleet_agent_v1_CopyVolumeResponse__Output>
  CreateRevision: MethodDefinition<_thinfleet_agent_v1_CreateRevisionRequest, _thinfleet_agent_v1_CreateRevisionResponse, _thinfleet_agent_v1_CreateRevisionRequest__Output, _thinfleet_agent_v1_CreateRevisionResponse__Output>
  CreateVolume: MethodDefinition<_thinfleet_agent_v1_CreateVolumeRequest, _thinfleet_agent_v1_CreateVolumeResponse, _thinfleet_agent_v1_CreateVolumeRequest__Output, _thinfleet_agent_v1_CreateVolumeResponse__Output>
  DeactivateVolume: MethodDefinition<_thinfleet_agent_v1_DeactivateVolumeRequest, _thinfleet_agent_v1_DeactivateVolumeResponse, _thinfleet_agent_v1_DeactivateVolumeRequest__Output, _thinfleet_agent_v1_DeactivateVolumeResponse__Output>
  DeleteVolume: MethodDefinition<_thinfleet_agent_v1_DeleteVolumeRequest, _thinfleet_agent_v1_DeleteVolumeResponse, _thinfleet_agent_v1_DeleteVolumeRequest__Output, _thinfleet_agent_v1_DeleteVolumeResponse__Output>
  DiffVolumes: MethodDefinition<_thinfleet_agent_v1_DiffVolumesRequest, _thinfleet_agent_v1_DiffVolumesResponse, _thinfleet_agent_v1_DiffVolumesRequest__Output, _thinfleet_agent_v1_DiffVolumesResponse__Output>
  ExportVolume: MethodDefinition<_thinfleet_agent_v1_ExportVolumeRequest, _thinfleet_agent_v1_ExportVolumeResponse, _thinfleet_agent_v1_ExportVolumeRequest__Output, _thinfleet_agent_v1_ExportVolumeResponse__Output>
  FlattenVolume: MethodDefinition<_thinfleet_agent_v1_FlattenVolumeRequest, _thinfleet_agent_v1_FlattenVolumeResponse, _thinfleet_agent_v1_FlattenVolumeRequest__Output, _thinfleet_agent_v1_FlattenVolumeResponse__Output>
  GetVolume: MethodDefinition<_thinfleet_agent_v1_GetVolumeRequest, _thinfleet_agent_v1_GetVolumeResponse, _thinfleet_agent_v1_GetVolumeRequest__Output, _thinfleet_agent_v1_GetVolumeResponse__Output>
  ImportVolume: MethodDefinition<_thinfleet_agent_v1_ImportVolumeRequest, _thinfleet_agent_v1_ImportVolumeResponse, _thinfleet_agent_v1_ImportVolumeRequest__Output, _thinfleet_agent_v1_ImportVolumeResponse__Output>
  ListVolumes: MethodDefinition<_thinfleet_agent_v1_ListVolumesRequest, _thinfleet_agent_v1_ListVolumesResponse, _thinfleet_agent_v1_ListVolumesRequest__Output, _thinfleet_agent_v1_ListVolumesResponse__Output>
  MoveVolume: MethodDefinition<_thinfleet_agent_v1_MoveVolumeRequest, _thinfleet_agent_v1_MoveVolumeResponse, _thinfleet_agent_v1_MoveVolumeRequest__Output, _thinfleet_agent_v1_MoveVolumeResponse__Output>
  PinVolume: MethodDefinition<_thinfleet_agent_v1_PinVolumeRequest, _thinfleet_agent_v1_PinVolumeResponse, _thinfleet_agent_v1_PinVolumeRequest__Output, _thinfleet_agent_v1_PinVolumeResponse__Output>
  ReadVolume: MethodDefinition<_thinfleet_agent_v1_ReadVolumeRequest, _thinfleet_agent_v1_ReadVolumeResponse, _thinfleet_agent_v1_ReadVolumeRequest__Output, _thinfleet_agent_v1_ReadVolumeResponse__Output>
  RenameVolume: MethodDefinition<_thinfleet_agent_v1_RenameVolumeRequest, _thinfleet_agent_v1_RenameVolumeResponse, _thinfleet_agent_v1_RenameVolumeRequest__Output, _thinfleet_agent_v1_RenameVolumeResponse__Output>
  ResizeVolume: MethodDefinition<_thinfleet_agent_v1_ResizeVolumeRequest, _thinfleet_agent_v1_ResizeVolumeResponse, _thinfleet_agent_v1_ResizeVolumeRequest__Output, _thinfleet_agent_v1_ResizeVolumeResponse__Output>
  RevertVolume: MethodDefinition<_thinfleet_agent_v1_RevertVolumeRequest, _thinfleet_agent_v1_RevertVolumeResponse, _thinfleet_agent_v1_RevertVolumeRequest__Output, _thinfleet_agent_v1_RevertVolumeResponse__Output>
  SnapshotVolume: MethodDefinition<_thinfleet_agent_v1_SnapshotVolumeRequest, _thinfleet_agent_v1_SnapshotVolumeResponse, _thinfleet_agent_v1_SnapshotVolumeRequest__Output, _thinfleet_agent_v1_SnapshotVolumeResponse__Output>
  WriteVolume: MethodDefinition<_thinfleet_agent_v1_WriteVolumeRequest, _thinfleet_agent_v1_WriteVolumeResponse, _thinfleet_agent_v1_WriteVolumeRequest__Output, _thinfleet_agent_v1_WriteVolumeResponse__Output>
}
