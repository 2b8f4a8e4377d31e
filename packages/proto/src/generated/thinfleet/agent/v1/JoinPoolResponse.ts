// Original file: proto/thinfleet/agent/v1/pool.proto

import type { Pool as _thinfleet_agent_v1_Pool, Pool__Output as _thinfleet_agent_v1_Pool__Output } from '../../../thinfleet/agent/v1/Pool.js';

export interface JoinPoolResponse {
  /**
   * The pool as this host now knows it (inactive unless it was active here already).
   */
  'pool'?: (_thinfleet_agent_v1_Pool | null);
}

export interface JoinPoolResponse__Output {
  /**
   * The pool as this host now knows it (inactive unless it was active here already).
   */
  'pool': (_thinfleet_agent_v1_Pool__Output | null);
}
