// Original file: proto/thinfleet/agent/v1/volume.proto


export interface RevisionOp {
  'name'?: (string);
  'keep'?: (number);
}

export interface RevisionOp__Output {
  'name': (string);
  'keep': (number);
}
