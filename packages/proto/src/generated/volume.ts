import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActivateVolumeRequest as _thinfleet_agent_v1_ActivateVolumeRequest, ActivateVolumeRequest__Output as _thinfleet_agent_v1_ActivateVolumeRequest__Output } from './thinfleet/agent/v1/ActivateVolumeRequest.js';
import type { ActivateVolumeResponse as _thinfleet_agent_v1_ActivateVolumeResponse, ActivateVolumeResponse__Output as _thinfleet_agent_v1_ActivateVolumeResponse__Output } from './thinfleet/agent/v1/ActivateVolumeResponse.js';
import type { BatchOp as _thinfleet_agent_v1_BatchOp, BatchOp__Output as _thinfleet_agent_v1_BatchOp__Output } from './thinfleet/agent/v1/BatchOp.js';
import type { BatchRequest as _thinfleet_agent_v1_BatchRequest, BatchRequest__Output as _thinfleet_agent_v1_BatchRequest__Output } from './thinfleet/agent/v1/BatchRequest.js';
import type { BatchResponse as _thinfleet_agent_v1_BatchResponse, BatchResponse__Output as _thinfleet_agent_v1_BatchResponse__Output } from './thinfleet/agent/v1/BatchResponse.js';
import type { BatchResult as _thinfleet_agent_v1_BatchResult, BatchResult__Output as _thinfleet_agent_v1_BatchResult__Output } from './thinfleet/agent/v1/BatchResult.js';
import type { CancelJobRequest as _thinfleet_agent_v1_CancelJobRequest, CancelJobRequest__Output as _thinfleet_agent_v1_CancelJobRequest__Output } from './thinfleet/agent/v1/CancelJobRequest.js';
import type { CancelJobResponse as _thinfleet_agent_v1_CancelJobResponse, CancelJobResponse__Output as _thinfleet_agent_v1_CancelJobResponse__Output } from './thinfleet/agent/v1/CancelJobResponse.js';
import type { CopyVolumeRequest as _thinfleet_agent_v1_CopyVolumeRequest, CopyVolumeRequest__Output as _thinfleet_agent_v1_CopyVolumeRequest__Output } from './thinfleet/agent/v1/CopyVolumeRequest.js';
import type { CopyVolumeResponse as _thinfleet_agent_v1_CopyVolumeResponse, CopyVolumeResponse__Output as _thinfleet_agent_v1_CopyVolumeResponse__Output } from './thinfleet/agent/v1/CopyVolumeResponse.js';
import type { CreateOp as _thinfleet_agent_v1_CreateOp, CreateOp__Output as _thinfleet_agent_v1_CreateOp__Output } from './thinfleet/agent/v1/CreateOp.js';
import type { CreateRevisionRequest as _thinfleet_agent_v1_CreateRevisionRequest, CreateRevisionRequest__Output as _thinfleet_agent_v1_CreateRevisionRequest__Output } from './thinfleet/agent/v1/CreateRevisionRequest.js';
import type { CreateRevisionResponse as _thinfleet_agent_v1_CreateRevisionResponse, CreateRevisionResponse__Output as _thinfleet_agent_v1_CreateRevisionResponse__Output } from './thinfleet/agent/v1/CreateRevisionResponse.js';
import type { CreateVolumeRequest as _thinfleet_agent_v1_CreateVolumeRequest, CreateVolumeRequest__Output as _thinfleet_agent_v1_CreateVolumeRequest__Output } from './thinfleet/agent/v1/CreateVolumeRequest.js';
import type { CreateVolumeResponse as _thinfleet_agent_v1_CreateVolumeResponse, CreateVolumeResponse__Output as _thinfleet_agent_v1_CreateVolumeResponse__Output } from './thinfleet/agent/v1/CreateVolumeResponse.js';
import type { DeactivateVolumeRequest as _thinfleet_agent_v1_DeactivateVolumeRequest, DeactivateVolumeRequest__Output as _thinfleet_agent_v1_DeactivateVolumeRequest__Output } from './thinfleet/agent/v1/DeactivateVolumeRequest.js';
import type { DeactivateVolumeResponse as _thinfleet_agent_v1_DeactivateVolumeResponse, DeactivateVolumeResponse__Output as _thinfleet_agent_v1_DeactivateVolumeResponse__Output } from './thinfleet/agent/v1/DeactivateVolumeResponse.js';
import type { DeferredError as _thinfleet_agent_v1_DeferredError, DeferredError__Output as _thinfleet_agent_v1_DeferredError__Output } from './thinfleet/agent/v1/DeferredError.js';
import type { DeleteOp as _thinfleet_agent_v1_DeleteOp, DeleteOp__Output as _thinfleet_agent_v1_DeleteOp__Output } from './thinfleet/agent/v1/DeleteOp.js';
import type { DeleteVolumeRequest as _thinfleet_agent_v1_DeleteVolumeRequest, DeleteVolumeRequest__Output as _thinfleet_agent_v1_DeleteVolumeRequest__Output } from './thinfleet/agent/v1/DeleteVolumeRequest.js';
import type { DeleteVolumeResponse as _thinfleet_agent_v1_DeleteVolumeResponse, DeleteVolumeResponse__Output as _thinfleet_agent_v1_DeleteVolumeResponse__Output } from './thinfleet/agent/v1/DeleteVolumeResponse.js';
import type { DiffRange as _thinfleet_agent_v1_DiffRange, DiffRange__Output as _thinfleet_agent_v1_DiffRange__Output } from './thinfleet/agent/v1/DiffRange.js';
import type { DiffVolumesRequest as _thinfleet_agent_v1_DiffVolumesRequest, DiffVolumesRequest__Output as _thinfleet_agent_v1_DiffVolumesRequest__Output } from './thinfleet/agent/v1/DiffVolumesRequest.js';
import type { DiffVolumesResponse as _thinfleet_agent_v1_DiffVolumesResponse, DiffVolumesResponse__Output as _thinfleet_agent_v1_DiffVolumesResponse__Output } from './thinfleet/agent/v1/DiffVolumesResponse.js';
import type { ExportVolumeRequest as _thinfleet_agent_v1_ExportVolumeRequest, ExportVolumeRequest__Output as _thinfleet_agent_v1_ExportVolumeRequest__Output } from './thinfleet/agent/v1/ExportVolumeRequest.js';
import type { ExportVolumeResponse as _thinfleet_agent_v1_ExportVolumeResponse, ExportVolumeResponse__Output as _thinfleet_agent_v1_ExportVolumeResponse__Output } from './thinfleet/agent/v1/ExportVolumeResponse.js';
import type { FlattenVolumeRequest as _thinfleet_agent_v1_FlattenVolumeRequest, FlattenVolumeRequest__Output as _thinfleet_agent_v1_FlattenVolumeRequest__Output } from './thinfleet/agent/v1/FlattenVolumeRequest.js';
import type { FlattenVolumeResponse as _thinfleet_agent_v1_FlattenVolumeResponse, FlattenVolumeResponse__Output as _thinfleet_agent_v1_FlattenVolumeResponse__Output } from './thinfleet/agent/v1/FlattenVolumeResponse.js';
import type { GetJobRequest as _thinfleet_agent_v1_GetJobRequest, GetJobRequest__Output as _thinfleet_agent_v1_GetJobRequest__Output } from './thinfleet/agent/v1/GetJobRequest.js';
import type { GetJobResponse as _thinfleet_agent_v1_GetJobResponse, GetJobResponse__Output as _thinfleet_agent_v1_GetJobResponse__Output } from './thinfleet/agent/v1/GetJobResponse.js';
import type { GetVolumeRequest as _thinfleet_agent_v1_GetVolumeRequest, GetVolumeRequest__Output as _thinfleet_agent_v1_GetVolumeRequest__Output } from './thinfleet/agent/v1/GetVolumeRequest.js';
import type { GetVolumeResponse as _thinfleet_agent_v1_GetVolumeResponse, GetVolumeResponse__Output as _thinfleet_agent_v1_GetVolumeResponse__Output } from './thinfleet/agent/v1/GetVolumeResponse.js';
import type { ImportVolumeRequest as _thinfleet_agent_v1_ImportVolumeRequest, ImportVolumeRequest__Output as _thinfleet_agent_v1_ImportVolumeRequest__Output } from './thinfleet/agent/v1/ImportVolumeRequest.js';
import type { ImportVolumeResponse as _thinfleet_agent_v1_ImportVolumeResponse, ImportVolumeResponse__Output as _thinfleet_agent_v1_ImportVolumeResponse__Output } from './thinfleet/agent/v1/ImportVolumeResponse.js';
import type { Job as _thinfleet_agent_v1_Job, Job__Output as _thinfleet_agent_v1_Job__Output } from './thinfleet/agent/v1/Job.js';
import type { JobServiceClient as _thinfleet_agent_v1_JobServiceClient, JobServiceDefinition as _thinfleet_agent_v1_JobServiceDefinition } from './thinfleet/agent/v1/JobService.js';
import type { ListJobsRequest as _thinfleet_agent_v1_ListJobsRequest, ListJobsRequest__Output as _thinfleet_agent_v1_ListJobsRequest__Output } from './thinfleet/agent/v1/ListJobsRequest.js';
import type { ListJobsResponse as _thinfleet_agent_v1_ListJobsResponse, ListJobsResponse__Output as _thinfleet_agent_v1_ListJobsResponse__Output } from './thinfleet/agent/v1/ListJobsResponse.js';
import type { ListVolumesRequest as _thinfleet_agent_v1_ListVolumesRequest, ListVolumesRequest__Output as _thinfleet_agent_v1_ListVolumesRequest__Output } from './thinfleet/agent/v1/ListVolumesRequest.js';
import type { ListVolumesResponse as _thinfleet_agent_v1_ListVolumesResponse, ListVolumesResponse__Output as _thinfleet_agent_v1_ListVolumesResponse__Output } from './thinfleet/agent/v1/ListVolumesResponse.js';
import type { MoveVolumeRequest as _thinfleet_agent_v1_MoveVolumeRequest, MoveVolumeRequest__Output as _thinfleet_agent_v1_MoveVolumeRequest__Output } from './thinfleet/agent/v1/MoveVolumeRequest.js';
import type { MoveVolumeResponse as _thinfleet_agent_v1_MoveVolumeResponse, MoveVolumeResponse__Output as _thinfleet_agent_v1_MoveVolumeResponse__Output } from './thinfleet/agent/v1/MoveVolumeResponse.js';
import type { OverprovisionWarning as _thinfleet_agent_v1_OverprovisionWarning, OverprovisionWarning__Output as _thinfleet_agent_v1_OverprovisionWarning__Output } from './thinfleet/agent/v1/OverprovisionWarning.js';
import type { PinOp as _thinfleet_agent_v1_PinOp, PinOp__Output as _thinfleet_agent_v1_PinOp__Output } from './thinfleet/agent/v1/PinOp.js';
import type { PinVolumeRequest as _thinfleet_agent_v1_PinVolumeRequest, PinVolumeRequest__Output as _thinfleet_agent_v1_PinVolumeRequest__Output } from './thinfleet/agent/v1/PinVolumeRequest.js';
import type { PinVolumeResponse as _thinfleet_agent_v1_PinVolumeResponse, PinVolumeResponse__Output as _thinfleet_agent_v1_PinVolumeResponse__Output } from './thinfleet/agent/v1/PinVolumeResponse.js';
import type { ReadVolumeRequest as _thinfleet_agent_v1_ReadVolumeRequest, ReadVolumeRequest__Output as _thinfleet_agent_v1_ReadVolumeRequest__Output } from './thinfleet/agent/v1/ReadVolumeRequest.js';
import type { ReadVolumeResponse as _thinfleet_agent_v1_ReadVolumeResponse, ReadVolumeResponse__Output as _thinfleet_agent_v1_ReadVolumeResponse__Output } from './thinfleet/agent/v1/ReadVolumeResponse.js';
import type { RenameOp as _thinfleet_agent_v1_RenameOp, RenameOp__Output as _thinfleet_agent_v1_RenameOp__Output } from './thinfleet/agent/v1/RenameOp.js';
import type { RenameVolumeRequest as _thinfleet_agent_v1_RenameVolumeRequest, RenameVolumeRequest__Output as _thinfleet_agent_v1_RenameVolumeRequest__Output } from './thinfleet/agent/v1/RenameVolumeRequest.js';
import type { RenameVolumeResponse as _thinfleet_agent_v1_RenameVolumeResponse, RenameVolumeResponse__Output as _thinfleet_agent_v1_RenameVolumeResponse__Output } from './thinfleet/agent/v1/RenameVolumeResponse.js';
import type { ResizeOp as _thinfleet_agent_v1_ResizeOp, ResizeOp__Output as _thinfleet_agent_v1_ResizeOp__Output } from './thinfleet/agent/v1/ResizeOp.js';
import type { ResizeVolumeRequest as _thinfleet_agent_v1_ResizeVolumeRequest, ResizeVolumeRequest__Output as _thinfleet_agent_v1_ResizeVolumeRequest__Output } from './thinfleet/agent/v1/ResizeVolumeRequest.js';
import type { ResizeVolumeResponse as _thinfleet_agent_v1_ResizeVolumeResponse, ResizeVolumeResponse__Output as _thinfleet_agent_v1_ResizeVolumeResponse__Output } from './thinfleet/agent/v1/ResizeVolumeResponse.js';
import type { RevertOp as _thinfleet_agent_v1_RevertOp, RevertOp__Output as _thinfleet_agent_v1_RevertOp__Output } from './thinfleet/agent/v1/RevertOp.js';
import type { RevertVolumeRequest as _thinfleet_agent_v1_RevertVolumeRequest, RevertVolumeRequest__Output as _thinfleet_agent_v1_RevertVolumeRequest__Output } from './thinfleet/agent/v1/RevertVolumeRequest.js';
import type { RevertVolumeResponse as _thinfleet_agent_v1_RevertVolumeResponse, RevertVolumeResponse__Output as _thinfleet_agent_v1_RevertVolumeResponse__Output } from './thinfleet/agent/v1/RevertVolumeResponse.js';
import type { RevisionOp as _thinfleet_agent_v1_RevisionOp, RevisionOp__Output as _thinfleet_agent_v1_RevisionOp__Output } from './thinfleet/agent/v1/RevisionOp.js';
import type { SnapshotOp as _thinfleet_agent_v1_SnapshotOp, SnapshotOp__Output as _thinfleet_agent_v1_SnapshotOp__Output } from './thinfleet/agent/v1/SnapshotOp.js';
import type { SnapshotVolumeRequest as _thinfleet_agent_v1_SnapshotVolumeRequest, SnapshotVolumeRequest__Output as _thinfleet_agent_v1_SnapshotVolumeRequest__Output } from './thinfleet/agent/v1/SnapshotVolumeRequest.js';
import type { SnapshotVolumeResponse as _thinfleet_agent_v1_SnapshotVolumeResponse, SnapshotVolumeResponse__Output as _thinfleet_agent_v1_SnapshotVolumeResponse__Output } from './thinfleet/agent/v1/SnapshotVolumeResponse.js';
import type { Volume as _thinfleet_agent_v1_Volume, Volume__Output as _thinfleet_agent_v1_Volume__Output } from './thinfleet/agent/v1/Volume.js';
import type { VolumeServiceClient as _thinfleet_agent_v1_VolumeServiceClient, VolumeServiceDefinition as _thinfleet_agent_v1_VolumeServiceDefinition } from './thinfleet/agent/v1/VolumeService.js';
import type { WatchJobRequest as _thinfleet_agent_v1_WatchJobRequest, WatchJobRequest__Output as _thinfleet_agent_v1_WatchJobRequest__Output } from './thinfleet/agent/v1/WatchJobRequest.js';
import type { WatchJobResponse as _thinfleet_agent_v1_WatchJobResponse, WatchJobResponse__Output as _thinfleet_agent_v1_WatchJobResponse__Output } from './thinfleet/agent/v1/WatchJobResponse.js';
import type { WriteVolumeRequest as _thinfleet_agent_v1_WriteVolumeRequest, WriteVolumeRequest__Output as _thinfleet_agent_v1_WriteVolumeRequest__Output } from './thinfleet/agent/v1/WriteVolumeRequest.js';
import type { WriteVolumeResponse as _thinfleet_agent_v1_WriteVolumeResponse, WriteVolumeResponse__Output as _thinfleet_agent_v1_WriteVolumeResponse__Output } from './thinfleet/agent/v1/WriteVolumeResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  thinfleet: {
    agent: {
      v1: {
        ActivateVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_ActivateVolumeRequest, _thinfleet_agent_v1_ActivateVolumeRequest__Output>
        ActivateVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_ActivateVolumeResponse, _thinfleet_agent_v1_ActivateVolumeResponse__Output>
        BatchOp: MessageTypeDefinition<_thinfleet_agent_v1_BatchOp, _thinfleet_agent_v1_BatchOp__Output>
        BatchRequest: MessageTypeDefinition<_thinfleet_agent_v1_BatchRequest, _thinfleet_agent_v1_BatchRequest__Output>
        BatchResponse: MessageTypeDefinition<_thinfleet_agent_v1_BatchResponse, _thinfleet_agent_v1_BatchResponse__Output>
        BatchResult: MessageTypeDefinition<_thinfleet_agent_v1_BatchResult, _thinfleet_agent_v1_BatchResult__Output>
        CancelJobRequest: MessageTypeDefinition<_thinfleet_agent_v1_CancelJobRequest, _thinfleet_agent_v1_CancelJobRequest__Output>
        CancelJobResponse: MessageTypeDefinition<_thinfleet_agent_v1_CancelJobResponse, _thinfleet_agent_v1_CancelJobResponse__Output>
        CopyVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_CopyVolumeRequest, _thinfleet_agent_v1_CopyVolumeRequest__Output>
        CopyVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_CopyVolumeResponse, _thinfleet_agent_v1_CopyVolumeResponse__Output>
        CreateOp: MessageTypeDefinition<_thinfleet_agent_v1_CreateOp, _thinfleet_agent_v1_CreateOp__Output>
        CreateRevisionRequest: MessageTypeDefinition<_thinfleet_agent_v1_CreateRevisionRequest, _thinfleet_agent_v1_CreateRevisionRequest__Output>
        CreateRevisionResponse: MessageTypeDefinition<_thinfleet_agent_v1_CreateRevisionResponse, _thinfleet_agent_v1_CreateRevisionResponse__Output>
        CreateVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_CreateVolumeRequest, _thinfleet_agent_v1_CreateVolumeRequest__Output>
        CreateVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_CreateVolumeResponse, _thinfleet_agent_v1_CreateVolumeResponse__Output>
        DeactivateVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_DeactivateVolumeRequest, _thinfleet_agent_v1_DeactivateVolumeRequest__Output>
        DeactivateVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_DeactivateVolumeResponse, _thinfleet_agent_v1_DeactivateVolumeResponse__Output>
        DeferredError: MessageTypeDefinition<_thinfleet_agent_v1_DeferredError, _thinfleet_agent_v1_DeferredError__Output>
        DeleteMode: EnumTypeDefinition
        DeleteOp: MessageTypeDefinition<_thinfleet_agent_v1_DeleteOp, _thinfleet_agent_v1_DeleteOp__Output>
        DeleteVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_DeleteVolumeRequest, _thinfleet_agent_v1_DeleteVolumeRequest__Output>
        DeleteVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_DeleteVolumeResponse, _thinfleet_agent_v1_DeleteVolumeResponse__Output>
        DiffKind: EnumTypeDefinition
        DiffRange: MessageTypeDefinition<_thinfleet_agent_v1_DiffRange, _thinfleet_agent_v1_DiffRange__Output>
        DiffVolumesRequest: MessageTypeDefinition<_thinfleet_agent_v1_DiffVolumesRequest, _thinfleet_agent_v1_DiffVolumesRequest__Output>
        DiffVolumesResponse: MessageTypeDefinition<_thinfleet_agent_v1_DiffVolumesResponse, _thinfleet_agent_v1_DiffVolumesResponse__Output>
        ExportVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_ExportVolumeRequest, _thinfleet_agent_v1_ExportVolumeRequest__Output>
        ExportVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_ExportVolumeResponse, _thinfleet_agent_v1_ExportVolumeResponse__Output>
        FlattenVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_FlattenVolumeRequest, _thinfleet_agent_v1_FlattenVolumeRequest__Output>
        FlattenVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_FlattenVolumeResponse, _thinfleet_agent_v1_FlattenVolumeResponse__Output>
        GetJobRequest: MessageTypeDefinition<_thinfleet_agent_v1_GetJobRequest, _thinfleet_agent_v1_GetJobRequest__Output>
        GetJobResponse: MessageTypeDefinition<_thinfleet_agent_v1_GetJobResponse, _thinfleet_agent_v1_GetJobResponse__Output>
        GetVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_GetVolumeRequest, _thinfleet_agent_v1_GetVolumeRequest__Output>
        GetVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_GetVolumeResponse, _thinfleet_agent_v1_GetVolumeResponse__Output>
        ImageFormat: EnumTypeDefinition
        ImportVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_ImportVolumeRequest, _thinfleet_agent_v1_ImportVolumeRequest__Output>
        ImportVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_ImportVolumeResponse, _thinfleet_agent_v1_ImportVolumeResponse__Output>
        Job: MessageTypeDefinition<_thinfleet_agent_v1_Job, _thinfleet_agent_v1_Job__Output>
        JobService: SubtypeConstructor<typeof grpc.Client, _thinfleet_agent_v1_JobServiceClient> & { service: _thinfleet_agent_v1_JobServiceDefinition }
        JobState: EnumTypeDefinition
        ListJobsRequest: MessageTypeDefinition<_thinfleet_agent_v1_ListJobsRequest, _thinfleet_agent_v1_ListJobsRequest__Output>
        ListJobsResponse: MessageTypeDefinition<_thinfleet_agent_v1_ListJobsResponse, _thinfleet_agent_v1_ListJobsResponse__Output>
        ListVolumesRequest: MessageTypeDefinition<_thinfleet_agent_v1_ListVolumesRequest, _thinfleet_agent_v1_ListVolumesRequest__Output>
        ListVolumesResponse: MessageTypeDefinition<_thinfleet_agent_v1_ListVolumesResponse, _thinfleet_agent_v1_ListVolumesResponse__Output>
        MoveVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_MoveVolumeRequest, _thinfleet_agent_v1_MoveVolumeRequest__Output>
        MoveVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_MoveVolumeResponse, _thinfleet_agent_v1_MoveVolumeResponse__Output>
        OverprovisionWarning: MessageTypeDefinition<_thinfleet_agent_v1_OverprovisionWarning, _thinfleet_agent_v1_OverprovisionWarning__Output>
        PinOp: MessageTypeDefinition<_thinfleet_agent_v1_PinOp, _thinfleet_agent_v1_PinOp__Output>
        PinVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_PinVolumeRequest, _thinfleet_agent_v1_PinVolumeRequest__Output>
        PinVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_PinVolumeResponse, _thinfleet_agent_v1_PinVolumeResponse__Output>
        ReadVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_ReadVolumeRequest, _thinfleet_agent_v1_ReadVolumeRequest__Output>
        ReadVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_ReadVolumeResponse, _thinfleet_agent_v1_ReadVolumeResponse__Output>
        RenameOp: MessageTypeDefinition<_thinfleet_agent_v1_RenameOp, _thinfleet_agent_v1_RenameOp__Output>
        RenameVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_RenameVolumeRequest, _thinfleet_agent_v1_RenameVolumeRequest__Output>
        RenameVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_RenameVolumeResponse, _thinfleet_agent_v1_RenameVolumeResponse__Output>
        ResizeOp: MessageTypeDefinition<_thinfleet_agent_v1_ResizeOp, _thinfleet_agent_v1_ResizeOp__Output>
        ResizeVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_ResizeVolumeRequest, _thinfleet_agent_v1_ResizeVolumeRequest__Output>
        ResizeVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_ResizeVolumeResponse, _thinfleet_agent_v1_ResizeVolumeResponse__Output>
        RevertOp: MessageTypeDefinition<_thinfleet_agent_v1_RevertOp, _thinfleet_agent_v1_RevertOp__Output>
        RevertVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_RevertVolumeRequest, _thinfleet_agent_v1_RevertVolumeRequest__Output>
        RevertVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_RevertVolumeResponse, _thinfleet_agent_v1_RevertVolumeResponse__Output>
        RevisionOp: MessageTypeDefinition<_thinfleet_agent_v1_RevisionOp, _thinfleet_agent_v1_RevisionOp__Output>
        SnapshotOp: MessageTypeDefinition<_thinfleet_agent_v1_SnapshotOp, _thinfleet_agent_v1_SnapshotOp__Output>
        SnapshotVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_SnapshotVolumeRequest, _thinfleet_agent_v1_SnapshotVolumeRequest__Output>
        SnapshotVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_SnapshotVolumeResponse, _thinfleet_agent_v1_SnapshotVolumeResponse__Output>
        Volume: MessageTypeDefinition<_thinfleet_agent_v1_Volume, _thinfleet_agent_v1_Volume__Output>
        /**
         * Every call names its pool; volume names are unique within a pool.
         */
        VolumeService: SubtypeConstructor<typeof grpc.Client, _thinfleet_agent_v1_VolumeServiceClient> & { service: _thinfleet_agent_v1_VolumeServiceDefinition }
        WatchJobRequest: MessageTypeDefinition<_thinfleet_agent_v1_WatchJobRequest, _thinfleet_agent_v1_WatchJobRequest__Output>
        WatchJobResponse: MessageTypeDefinition<_thinfleet_agent_v1_WatchJobResponse, _thinfleet_agent_v1_WatchJobResponse__Output>
        WriteVolumeRequest: MessageTypeDefinition<_thinfleet_agent_v1_WriteVolumeRequest, _thinfleet_agent_v1_WriteVolumeRequest__Output>
        WriteVolumeResponse: MessageTypeDefinition<_thinfleet_agent_v1_WriteVolumeResponse, _thinfleet_agent_v1_WriteVolumeResponse__Output>
      }
    }
  }
}

