/**
 * @thinfleet/devmapper: the device-mapper as thinfleet uses it. `DmClient` and `BlockClient`
 * are the interfaces; `NativeDmClient`/`NativeBlockClient` drive the kernel and the
 * `Sim*` classes model it. Typed tables, statuses and thin-pool messages work with either.
 */
export * from './units.js';
export * from './dm-error.js';
export * from './thin-id.js';
export * from './dm-client.js';
export * from './block-client.js';
export * from './dm-stack.js';
export * from './targets/target.js';
export * from './targets/thin-pool-status.js';
export * from './targets/thin-status.js';
export * from './targets/snapshot-status.js';
export * from './thin-pool-messages.js';
export { NativeDmClient } from './native/native-dm-client.js';
export { NativeBlockClient } from './native/native-block-client.js';
export { SimKernel } from './sim/sim-kernel.js';
export { SIM_DM_MAJOR, SIM_LOOP_MAJOR } from './sim/sim-devices.js';
export { SimDmClient } from './sim/sim-dm-client.js';
export { SimBlockClient } from './sim/sim-block-client.js';
export { openSimHost, type SimHost } from './sim/sim-host.js';
export { readSimMetadataSnapshot, type SimMetadataSnapshot } from './sim/sim-pool-state.js';
export type { ThinDeviceUsage, ThinMetadataSummary } from './thin-metadata/thin-metadata-summary.js';
export { THIN_METADATA_BLOCK_BYTES, type MetadataReadIo } from './thin-metadata/metadata-block-reader.js';
export { readThinMetadata, type ReadThinMetadataOptions } from './thin-metadata/read-thin-metadata.js';
export { readLivePoolMetadata, readHeldPoolMetadata, readLiveThinMappings, readLiveThinDiff, heldSnapshotOf } from './thin-metadata/live-pool-metadata.js';
export type { ThinMappingRun } from './thin-metadata/thin-mapping-runs.js';
export { diffMappingRuns, type ThinDiffKind, type ThinDiffRange } from './thin-metadata/thin-mapping-diff.js';
export * from './fencing/pool-fence-plan.js';
export * from './fencing/host-watchdog.js';
export { fencePoolByCalls, hasErrorTable } from './fencing/fence-by-calls.js';
export { checkArmOptions, defaultPetIntervalMs, MAX_WATCHDOG_TIMEOUT_SECONDS } from './fencing/arm-options.js';
export { NativeHostWatchdog, type NativeHostWatchdogOptions } from './native/native-host-watchdog.js';
export { SimHostWatchdog, type SimHostWatchdogOptions, type WatchdogClock } from './sim/sim-host-watchdog.js';
export * from './targets/mirror-status.js';
export * from './targets/mirror-disk-log.js';
