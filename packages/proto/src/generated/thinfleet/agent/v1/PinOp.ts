// Original file: proto/thinfleet/agent/v1/volume.proto


export interface PinOp {
  'name'?: (string);
  'pinned'?: (boolean);
}

export interface PinOp__Output {
  'name': (string);
  'pinned': (boolean);
}
