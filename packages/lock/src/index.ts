/**
 * @thinfleet/lock: one lock per pool on etcd. Open a `LockSession` per node, take
 * `session.lock(pool)`: the grant says whether another node held the pool since this node
 * released it (`dirty`) and carries a fencing token; `contention` says someone waits; `lost`
 * says stop writing now.
 */
export { connectEtcd, type LockEtcdOptions } from './etcd-client.js';
export { singleMemberEtcdArgs, type EtcdMember } from './etcd-member-args.js';
export { LockSession, type LockSessionOptions } from './lock-session.js';
export { PoolLock, type LockGrant, type PoolLockState } from './pool-lock.js';
export { LockError, isLockError, type LockErrorCode } from './lock-error.js';
export { lockKeys, parseEpoch, prefixEnd, type EpochValue, type LockKeys } from './lock-keys.js';
export { checkSessionOwner, putSessionOwner, sessionOwnerKey, type ResumeRefusal, type SessionOwner } from './session-owner.js';
export { CLUSTER_ID_PATTERN, clusterIdKey, ensureClusterId } from './cluster-id.js';
