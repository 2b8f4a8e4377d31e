// Original file: proto/thinfleet/agent/v1/volume.proto


export interface SnapshotOp {
  'source'?: (string);
  'name'?: (string);
  'activate'?: (boolean);
}

export interface SnapshotOp__Output {
  'source': (string);
  'name': (string);
  'activate': (boolean);
}
