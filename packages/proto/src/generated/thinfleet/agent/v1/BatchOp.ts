// Original file: proto/thinfleet/agent/v1/volume.proto

import type { CreateOp as _thinfleet_agent_v1_CreateOp, CreateOp__Output as _thinfleet_agent_v1_CreateOp__Output } from '../../../thinfleet/agent/v1/CreateOp.js';
import type { SnapshotOp as _thinfleet_agent_v1_SnapshotOp, SnapshotOp__Output as _thinfleet_agent_v1_SnapshotOp__Output } from '../../../thinfleet/agent/v1/SnapshotOp.js';
import type { DeleteOp as _thinfleet_agent_v1_DeleteOp, DeleteOp__Output as _thinfleet_agent_v1_DeleteOp__Output } from '../../../thinfleet/agent/v1/DeleteOp.js';
import type { RenameOp as _thinfleet_agent_v1_RenameOp, RenameOp__Output as _thinfleet_agent_v1_RenameOp__Output } from '../../../thinfleet/agent/v1/RenameOp.js';
import type { ResizeOp as _thinfleet_agent_v1_ResizeOp, ResizeOp__Output as _thinfleet_agent_v1_ResizeOp__Output } from '../../../thinfleet/agent/v1/ResizeOp.js';
import type { RevertOp as _thinfleet_agent_v1_RevertOp, RevertOp__Output as _thinfleet_agent_v1_RevertOp__Output } from '../../../thinfleet/agent/v1/RevertOp.js';
import type { RevisionOp as _thinfleet_agent_v1_RevisionOp, RevisionOp__Output as _thinfleet_agent_v1_RevisionOp__Output } from '../../../thinfleet/agent/v1/RevisionOp.js';
import type { PinOp as _thinfleet_agent_v1_PinOp, PinOp__Output as _thinfleet_agent_v1_PinOp__Output } from '../../../thinfleet/agent/v1/PinOp.js';

/**
 * One operation of a batch. The fields mean what they mean in the single-volume requests.
 * Exactly one operation of `op` must be set: an op with none, or with more than one (which
 * protobuf would resolve as "the last one on the wire wins"), is refused with INVALID_ARGUMENT
 * naming `ops[<index>]`, so a confused client never has the wrong operation run.
 */
export interface BatchOp {
  /**
   * The caller's name for this op, unique within the batch, at most 128 bytes of UTF-8; errors
   * name it (in `tf-item`, percent-encoded). Empty means "ops[<index>]".
   */
  'item'?: (string);
  'create'?: (_thinfleet_agent_v1_CreateOp | null);
  'snapshot'?: (_thinfleet_agent_v1_SnapshotOp | null);
  'delete'?: (_thinfleet_agent_v1_DeleteOp | null);
  'rename'?: (_thinfleet_agent_v1_RenameOp | null);
  'resize'?: (_thinfleet_agent_v1_ResizeOp | null);
  'revert'?: (_thinfleet_agent_v1_RevertOp | null);
  'revision'?: (_thinfleet_agent_v1_RevisionOp | null);
  'pin'?: (_thinfleet_agent_v1_PinOp | null);
  'op'?: "create"|"snapshot"|"delete"|"rename"|"resize"|"revert"|"revision"|"pin";
}

/**
 * One operation of a batch. The fields mean what they mean in the single-volume requests.
 * Exactly one operation of `op` must be set: an op with none, or with more than one (which
 * protobuf would resolve as "the last one on the wire wins"), is refused with INVALID_ARGUMENT
 * naming `ops[<index>]`, so a confused client never has the wrong operation run.
 */
export interface BatchOp__Output {
  /**
   * The caller's name for this op, unique within the batch, at most 128 bytes of UTF-8; errors
   * name it (in `tf-item`, percent-encoded). Empty means "ops[<index>]".
   */
  'item': (string);
  'create'?: (_thinfleet_agent_v1_CreateOp__Output | null);
  'snapshot'?: (_thinfleet_agent_v1_SnapshotOp__Output | null);
  'delete'?: (_thinfleet_agent_v1_DeleteOp__Output | null);
  'rename'?: (_thinfleet_agent_v1_RenameOp__Output | null);
  'resize'?: (_thinfleet_agent_v1_ResizeOp__Output | null);
  'revert'?: (_thinfleet_agent_v1_RevertOp__Output | null);
  'revision'?: (_thinfleet_agent_v1_RevisionOp__Output | null);
  'pin'?: (_thinfleet_agent_v1_PinOp__Output | null);
  'op'?: "create"|"snapshot"|"delete"|"rename"|"resize"|"revert"|"revision"|"pin";
}
