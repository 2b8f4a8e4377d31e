// Original file: proto/thinfleet/coordinator/v1/cluster.proto

import type { VolumeLocation as _thinfleet_coordinator_v1_VolumeLocation, VolumeLocation__Output as _thinfleet_coordinator_v1_VolumeLocation__Output } from '../../../thinfleet/coordinator/v1/VolumeLocation.js';

export interface FindVolumeResponse {
  'locations'?: (_thinfleet_coordinator_v1_VolumeLocation)[];
}

export interface FindVolumeResponse__Output {
  'locations': (_thinfleet_coordinator_v1_VolumeLocation__Output)[];
}
