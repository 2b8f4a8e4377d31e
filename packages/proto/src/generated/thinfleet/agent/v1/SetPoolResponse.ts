// Original file: proto/thinfleet/agent/v1/pool.proto

import type { Pool as _thinfleet_agent_v1_Pool, Pool__Output as _thinfleet_agent_v1_Pool__Output } from '../../../thinfleet/agent/v1/Pool.js';

export interface SetPoolResponse {
  'pool'?: (_thinfleet_agent_v1_Pool | null);
}

export interface SetPoolResponse__Output {
  'pool': (_thinfleet_agent_v1_Pool__Output | null);
}
