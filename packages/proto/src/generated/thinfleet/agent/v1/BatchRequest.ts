// Original file: proto/thinfleet/agent/v1/volume.proto

import type { BatchOp as _thinfleet_agent_v1_BatchOp, BatchOp__Output as _thinfleet_agent_v1_BatchOp__Output } from '../../../thinfleet/agent/v1/BatchOp.js';

export interface BatchRequest {
  'pool'?: (string);
  /**
   * At most 10000 ops.
   */
  'ops'?: (_thinfleet_agent_v1_BatchOp)[];
}

export interface BatchRequest__Output {
  'pool': (string);
  /**
   * At most 10000 ops.
   */
  'ops': (_thinfleet_agent_v1_BatchOp__Output)[];
}
