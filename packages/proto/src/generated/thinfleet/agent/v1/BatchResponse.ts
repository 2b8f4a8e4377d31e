// Original file: proto/thinfleet/agent/v1/volume.proto

import type { BatchResult as _thinfleet_agent_v1_BatchResult, BatchResult__Output as _thinfleet_agent_v1_BatchResult__Output } from '../../../thinfleet/agent/v1/BatchResult.js';
import type { DeferredError as _thinfleet_agent_v1_DeferredError, DeferredError__Output as _thinfleet_agent_v1_DeferredError__Output } from '../../../thinfleet/agent/v1/DeferredError.js';
import type { OverprovisionWarning as _thinfleet_agent_v1_OverprovisionWarning, OverprovisionWarning__Output as _thinfleet_agent_v1_OverprovisionWarning__Output } from '../../../thinfleet/agent/v1/OverprovisionWarning.js';

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
  /**
   * Set when this call took the pool's provisioned size (the sum of its volumes' sizes) beyond
   * the agent's `overprovisionWarnRatio` times its data size; absent otherwise. The call
   * succeeded all the same.
   */
  'overprovision'?: (_thinfleet_agent_v1_OverprovisionWarning | null);
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
  /**
   * Set when this call took the pool's provisioned size (the sum of its volumes' sizes) beyond
   * the agent's `overprovisionWarnRatio` times its data size; absent otherwise. The call
   * succeeded all the same.
   */
  'overprovision': (_thinfleet_agent_v1_OverprovisionWarning__Output | null);
}
