// Original file: proto/thinfleet/agent/v1/volume.proto

import type { BatchOp as _thinfleet_agent_v1_BatchOp, BatchOp__Output as _thinfleet_agent_v1_BatchOp__Output } from '../../../thinfleet/agent/v1/BatchOp.js';

export interface BatchRequest {
  'pool'?: (string);
  /**
   * At most 10000 ops.
   */
  'ops'?: (_thinfleet_agent_v1_BatchOp)[];
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
}

export interface BatchRequest__Output {
  'pool': (string);
  /**
   * At most 10000 ops.
   */
  'ops': (_thinfleet_agent_v1_BatchOp__Output)[];
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
}
