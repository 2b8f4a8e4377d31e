// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Volume as _thinfleet_agent_v1_Volume, Volume__Output as _thinfleet_agent_v1_Volume__Output } from '../../../thinfleet/agent/v1/Volume.js';
import type { OverprovisionWarning as _thinfleet_agent_v1_OverprovisionWarning, OverprovisionWarning__Output as _thinfleet_agent_v1_OverprovisionWarning__Output } from '../../../thinfleet/agent/v1/OverprovisionWarning.js';

export interface CreateVolumeResponse {
  'volume'?: (_thinfleet_agent_v1_Volume | null);
  /**
   * Set when this call took the pool's provisioned size (the sum of its volumes' sizes) beyond
   * the agent's `overprovisionWarnRatio` times its data size; absent otherwise. The call
   * succeeded all the same.
   */
  'overprovision'?: (_thinfleet_agent_v1_OverprovisionWarning | null);
}

export interface CreateVolumeResponse__Output {
  'volume': (_thinfleet_agent_v1_Volume__Output | null);
  /**
   * Set when this call took the pool's provisioned size (the sum of its volumes' sizes) beyond
   * the agent's `overprovisionWarnRatio` times its data size; absent otherwise. The call
   * succeeded all the same.
   */
  'overprovision': (_thinfleet_agent_v1_OverprovisionWarning__Output | null);
}
