// Original file: proto/thinfleet/agent/v1/pool.proto

import type { Pool as _thinfleet_agent_v1_Pool, Pool__Output as _thinfleet_agent_v1_Pool__Output } from '../../../thinfleet/agent/v1/Pool.js';
import type { OverwrittenLabel as _thinfleet_agent_v1_OverwrittenLabel, OverwrittenLabel__Output as _thinfleet_agent_v1_OverwrittenLabel__Output } from '../../../thinfleet/agent/v1/OverwrittenLabel.js';

export interface CreatePoolResponse {
  'pool'?: (_thinfleet_agent_v1_Pool | null);
  /**
   * The labels `force` overwrote (of pools neither this host nor the cluster knows); empty
   * when none.
   */
  'overwritten'?: (_thinfleet_agent_v1_OverwrittenLabel)[];
}

export interface CreatePoolResponse__Output {
  'pool': (_thinfleet_agent_v1_Pool__Output | null);
  /**
   * The labels `force` overwrote (of pools neither this host nor the cluster knows); empty
   * when none.
   */
  'overwritten': (_thinfleet_agent_v1_OverwrittenLabel__Output)[];
}
