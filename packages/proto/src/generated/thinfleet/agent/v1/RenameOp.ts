// Original file: proto/thinfleet/agent/v1/volume.proto


export interface RenameOp {
  'name'?: (string);
  'newName'?: (string);
}

export interface RenameOp__Output {
  'name': (string);
  'newName': (string);
}
