// Original file: proto/thinfleet/agent/v1/pool.proto

import type { PoolEvent as _thinfleet_agent_v1_PoolEvent, PoolEvent__Output as _thinfleet_agent_v1_PoolEvent__Output } from '../../../thinfleet/agent/v1/PoolEvent.js';

export interface WatchPoolEventsResponse {
  'event'?: (_thinfleet_agent_v1_PoolEvent | null);
}

export interface WatchPoolEventsResponse__Output {
  'event': (_thinfleet_agent_v1_PoolEvent__Output | null);
}
