// Original file: proto/thinfleet/coordinator/v1/cluster.proto


export interface ClusterHost {
  'nodeId'?: (string);
  'address'?: (string);
  /**
   * The session's lease id, hex.
   */
  'session'?: (string);
  'version'?: (string);
  /**
   * The coordinator serving its stream.
   */
  'coordinator'?: (string);
  /**
   * Names of the pools the host can reach.
   */
  'pools'?: (string)[];
}

export interface ClusterHost__Output {
  'nodeId': (string);
  'address': (string);
  /**
   * The session's lease id, hex.
   */
  'session': (string);
  'version': (string);
  /**
   * The coordinator serving its stream.
   */
  'coordinator': (string);
  /**
   * Names of the pools the host can reach.
   */
  'pools': (string)[];
}
