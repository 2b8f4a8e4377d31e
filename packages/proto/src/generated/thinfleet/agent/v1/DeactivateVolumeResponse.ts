// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Volume as _thinfleet_agent_v1_Volume, Volume__Output as _thinfleet_agent_v1_Volume__Output } from '../../../thinfleet/agent/v1/Volume.js';

export interface DeactivateVolumeResponse {
  'volume'?: (_thinfleet_agent_v1_Volume | null);
}

export interface DeactivateVolumeResponse__Output {
  'volume': (_thinfleet_agent_v1_Volume__Output | null);
}
