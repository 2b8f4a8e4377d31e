// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { HostPool as _thinfleet_coordinator_v1_HostPool, HostPool__Output as _thinfleet_coordinator_v1_HostPool__Output } from '../../../thinfleet/coordinator/v1/HostPool.js';

/**
 * The agent's pools changed (created, imported, forgotten, resized).
 */
export interface PoolReport {
  'pools'?: (_thinfleet_coordinator_v1_HostPool)[];
}

/**
 * The agent's pools changed (created, imported, forgotten, resized).
 */
export interface PoolReport__Output {
  'pools': (_thinfleet_coordinator_v1_HostPool__Output)[];
}
