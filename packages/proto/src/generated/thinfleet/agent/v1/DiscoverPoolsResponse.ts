// Original file: proto/thinfleet/agent/v1/pool.proto

import type { DiscoveredPool as _thinfleet_agent_v1_DiscoveredPool, DiscoveredPool__Output as _thinfleet_agent_v1_DiscoveredPool__Output } from '../../../thinfleet/agent/v1/DiscoveredPool.js';

export interface DiscoverPoolsResponse {
  'pools'?: (_thinfleet_agent_v1_DiscoveredPool)[];
}

export interface DiscoverPoolsResponse__Output {
  'pools': (_thinfleet_agent_v1_DiscoveredPool__Output)[];
}
