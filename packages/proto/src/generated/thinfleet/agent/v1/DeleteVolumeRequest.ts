// Original file: proto/thinfleet/agent/v1/volume.proto

import type { DeleteMode as _thinfleet_agent_v1_DeleteMode, DeleteMode__Output as _thinfleet_agent_v1_DeleteMode__Output } from '../../../thinfleet/agent/v1/DeleteMode.js';

export interface DeleteVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  /**
   * A DeleteMode value; a number DeleteMode does not declare is refused (INVALID_ARGUMENT, `mode`).
   */
  'mode'?: (_thinfleet_agent_v1_DeleteMode);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
}

export interface DeleteVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  /**
   * A DeleteMode value; a number DeleteMode does not declare is refused (INVALID_ARGUMENT, `mode`).
   */
  'mode': (_thinfleet_agent_v1_DeleteMode__Output);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
}
