// Original file: proto/thinfleet/agent/v1/volume.proto


export interface RenameVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  'newName'?: (string);
}

export interface RenameVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  'newName': (string);
}
