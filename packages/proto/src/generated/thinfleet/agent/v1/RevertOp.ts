// Original file: proto/thinfleet/agent/v1/volume.proto


export interface RevertOp {
  'name'?: (string);
  'snapshot'?: (string);
}

export interface RevertOp__Output {
  'name': (string);
  'snapshot': (string);
}
