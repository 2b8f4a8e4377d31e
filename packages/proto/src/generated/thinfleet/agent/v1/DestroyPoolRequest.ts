// Original file: proto/thinfleet/agent/v1/pool.proto


export interface DestroyPoolRequest {
  'name'?: (string);
  /**
   * Destroy the pool together with its volumes.
   */
  'force'?: (boolean);
}

export interface DestroyPoolRequest__Output {
  'name': (string);
  /**
   * Destroy the pool together with its volumes.
   */
  'force': (boolean);
}
