// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Volume as _thinfleet_agent_v1_Volume, Volume__Output as _thinfleet_agent_v1_Volume__Output } from '../../../thinfleet/agent/v1/Volume.js';

export interface DeleteVolumeResponse {
  /**
   * The volume as it was.
   */
  'volume'?: (_thinfleet_agent_v1_Volume | null);
  /**
   * The background job deleting it; empty when it was deleted at once.
   */
  'jobId'?: (string);
}

export interface DeleteVolumeResponse__Output {
  /**
   * The volume as it was.
   */
  'volume': (_thinfleet_agent_v1_Volume__Output | null);
  /**
   * The background job deleting it; empty when it was deleted at once.
   */
  'jobId': (string);
}
