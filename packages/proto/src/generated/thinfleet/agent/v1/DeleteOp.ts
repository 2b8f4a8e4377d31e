// Original file: proto/thinfleet/agent/v1/volume.proto


/**
 * A delete inside a batch is always immediate (one kernel delete).
 */
export interface DeleteOp {
  'name'?: (string);
}

/**
 * A delete inside a batch is always immediate (one kernel delete).
 */
export interface DeleteOp__Output {
  'name': (string);
}
