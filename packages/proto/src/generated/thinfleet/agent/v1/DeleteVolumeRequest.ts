// Original file: proto/thinfleet/agent/v1/volume.proto

import type { DeleteMode as _thinfleet_agent_v1_DeleteMode, DeleteMode__Output as _thinfleet_agent_v1_DeleteMode__Output } from '../../../thinfleet/agent/v1/DeleteMode.js';

export interface DeleteVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  'mode'?: (_thinfleet_agent_v1_DeleteMode);
}

export interface DeleteVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  'mode': (_thinfleet_agent_v1_DeleteMode__Output);
}
