// Original file: proto/thinfleet/agent/v1/volume.proto


export interface GetVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  'usage'?: (boolean);
}

export interface GetVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  'usage': (boolean);
}
