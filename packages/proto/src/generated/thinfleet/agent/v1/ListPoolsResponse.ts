// Original file: proto/thinfleet/agent/v1/pool.proto

import type { Pool as _thinfleet_agent_v1_Pool, Pool__Output as _thinfleet_agent_v1_Pool__Output } from '../../../thinfleet/agent/v1/Pool.js';

export interface ListPoolsResponse {
  /**
   * Sorted by name.
   */
  'pools'?: (_thinfleet_agent_v1_Pool)[];
}

export interface ListPoolsResponse__Output {
  /**
   * Sorted by name.
   */
  'pools': (_thinfleet_agent_v1_Pool__Output)[];
}
