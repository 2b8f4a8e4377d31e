// Original file: proto/thinfleet/agent/v1/volume.proto


export interface CreateRevisionRequest {
  'pool'?: (string);
  'name'?: (string);
  /**
   * Unpinned revisions to keep, the new one included; at least 1.
   */
  'keep'?: (number);
}

export interface CreateRevisionRequest__Output {
  'pool': (string);
  'name': (string);
  /**
   * Unpinned revisions to keep, the new one included; at least 1.
   */
  'keep': (number);
}
