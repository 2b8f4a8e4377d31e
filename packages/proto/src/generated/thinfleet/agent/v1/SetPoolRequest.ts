// Original file: proto/thinfleet/agent/v1/pool.proto


export interface SetPoolRequest {
  'name'?: (string);
  /**
   * "queue" or "error"; empty leaves it as it is.
   */
  'noSpaceMode'?: (string);
}

export interface SetPoolRequest__Output {
  'name': (string);
  /**
   * "queue" or "error"; empty leaves it as it is.
   */
  'noSpaceMode': (string);
}
