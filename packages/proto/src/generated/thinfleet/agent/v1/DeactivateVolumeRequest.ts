// Original file: proto/thinfleet/agent/v1/volume.proto


export interface DeactivateVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
}

export interface DeactivateVolumeRequest__Output {
  'pool': (string);
  'name': (string);
}
