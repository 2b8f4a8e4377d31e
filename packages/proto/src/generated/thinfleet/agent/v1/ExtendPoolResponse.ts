// Original file: proto/thinfleet/agent/v1/pool.proto

import type { Pool as _thinfleet_agent_v1_Pool, Pool__Output as _thinfleet_agent_v1_Pool__Output } from '../../../thinfleet/agent/v1/Pool.js';
import type { Long } from '@grpc/proto-loader';

export interface ExtendPoolResponse {
  'pool'?: (_thinfleet_agent_v1_Pool | null);
  /**
   * Bytes the data region grew by.
   */
  'addedBytes'?: (number | string | Long);
}

export interface ExtendPoolResponse__Output {
  'pool': (_thinfleet_agent_v1_Pool__Output | null);
  /**
   * Bytes the data region grew by.
   */
  'addedBytes': (number);
}
