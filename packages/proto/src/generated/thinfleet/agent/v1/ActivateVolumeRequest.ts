// Original file: proto/thinfleet/agent/v1/volume.proto


export interface ActivateVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
}

export interface ActivateVolumeRequest__Output {
  'pool': (string);
  'name': (string);
}
