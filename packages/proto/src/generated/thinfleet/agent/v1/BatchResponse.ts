// Original file: proto/thinfleet/agent/v1/volume.proto

import type { BatchResult as _thinfleet_agent_v1_BatchResult, BatchResult__Output as _thinfleet_agent_v1_BatchResult__Output } from '../../../thinfleet/agent/v1/BatchResult.js';
import type { DeferredError as _thinfleet_agent_v1_DeferredError, DeferredError__Output as _thinfleet_agent_v1_DeferredError__Output } from '../../../thinfleet/agent/v1/DeferredError.js';

export interface BatchResponse {
  /**
   * The pool's kernel transaction id after the batch (decimal).
   */
  'transactionId'?: (string);
  /**
   * One per op, in order.
   */
  'results'?: (_thinfleet_agent_v1_BatchResult)[];
  /**
   * Steps after the commit that failed (activating a volume); the batch itself is committed.
   */
  'deferredErrors'?: (_thinfleet_agent_v1_DeferredError)[];
}

export interface BatchResponse__Output {
  /**
   * The pool's kernel transaction id after the batch (decimal).
   */
  'transactionId': (string);
  /**
   * One per op, in order.
   */
  'results': (_thinfleet_agent_v1_BatchResult__Output)[];
  /**
   * Steps after the commit that failed (activating a volume); the batch itself is committed.
   */
  'deferredErrors': (_thinfleet_agent_v1_DeferredError__Output)[];
}
