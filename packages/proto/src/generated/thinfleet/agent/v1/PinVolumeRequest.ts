// Original file: proto/thinfleet/agent/v1/volume.proto


export interface PinVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  /**
   * False unpins.
   */
  'pinned'?: (boolean);
}

export interface PinVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  /**
   * False unpins.
   */
  'pinned': (boolean);
}
