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
  /**
   * How the host is fenced without its agent: "watchdog", or "none" (no backstop: a dead agent
   * leaves its pools live; shown as a warning).
   */
  'fencing'?: (string);
  /**
   * The host watchdog's timeout in seconds as its device reported it; 0 when not known yet.
   */
  'watchdogTimeoutSeconds'?: (number);
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
  /**
   * How the host is fenced without its agent: "watchdog", or "none" (no backstop: a dead agent
   * leaves its pools live; shown as a warning).
   */
  'fencing': (string);
  /**
   * The host watchdog's timeout in seconds as its device reported it; 0 when not known yet.
   */
  'watchdogTimeoutSeconds': (number);
}
