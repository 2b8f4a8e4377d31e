/**
 * @thinfleet/engine: pools and volumes on dm-thin, with a catalog that never loses track of a
 * thin id. Start with `Engine`.
 */
export * from './engine-error.js';
export { QUOTED_PREFIX_CHARS, quoted } from '@thinfleet/units';
export * from './names.js';
export * from './layout.js';
export * from './batch-item.js';
export * from './catalog-state.js';
export * from './volume-info.js';
export { lineageRoot, sameLineage, type VolumeDiff, type VolumeDiffRange } from './volume-diff.js';
export * from './device-snapshot-record.js';
export * from './capacity.js';
export { Engine, type EngineOptions, type CreatePoolRequest, type DiscoveredPool } from './engine.js';
export { Pool, type PoolStatus, type BatchResult, type ReconcileReport } from './pool.js';
export type { RecoveryReport, RecoveryOutcome } from './recovery.js';
export { checkSize } from './plan.js';
export type { ExtendRequest, ExtendResult } from './pool-extend.js';
export { Mutex } from './mutex.js';
export { poolDeviceState, fencePoolDevices, discardPoolDevices, type PoolDeviceState, type PoolFenceReport, type PoolDiscardReport, type FenceOptions } from './pool-fence.js';
export { WriteGate, gatedDm, gatedBlock } from './write-gate.js';
export { MAX_VOLUME_IO_BYTES } from './volume-data.js';
export {
  startMoveMirror,
  finishMoveSwitch,
  undoMoveMirror,
  removeMoveHelpers,
  readMoveStage,
  moveRegionSectors,
  moveLogBytes,
  type MoveSides,
  type MoveStage,
  type MoveMirrorStart,
} from './volume-move.js';
