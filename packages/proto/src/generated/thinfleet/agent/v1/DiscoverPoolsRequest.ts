// Original file: proto/thinfleet/agent/v1/pool.proto


export interface DiscoverPoolsRequest {
  /**
   * Block devices or regular files to read labels from; at least one.
   */
  'devices'?: (string)[];
}

export interface DiscoverPoolsRequest__Output {
  /**
   * Block devices or regular files to read labels from; at least one.
   */
  'devices': (string)[];
}
