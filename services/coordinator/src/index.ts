/**
 * @thinfleet/coordinator: the cluster daemon. `Coordinator.start(config)` serves agents'
 * sessions and pool locks, the cluster view, and the agent API routed to each pool's holder.
 */
export { Coordinator, type CoordinatorStartOptions } from './coordinator.js';
export * from './coordinator-config.js';
export { EmbeddedEtcd, EmbeddedEtcdError, type EmbeddedEtcdOptions } from './embedded-etcd.js';
export { ClusterRegistry, type HostRecord, type HostPoolRecord, type OwnerRecord, type PoolRecord, type IndexedVolume, type LockView } from './registry.js';
export { choosePool, PlacementError, type PlacementRequest } from './placement.js';
export { coordinatorError, type CoordinatorErrorCode } from './coordinator-error.js';
export { HOST_HINT_METADATA, LOCK_TOKEN_METADATA } from './router.js';
export { coordinatorMain, COORDINATOR_VERSION } from './coordinator-main.js';
