// Original file: proto/thinfleet/agent/v1/pool.proto


export interface WatchPoolEventsRequest {
  /**
   * The pool to watch; empty for every pool on this host.
   */
  'name'?: (string);
}

export interface WatchPoolEventsRequest__Output {
  /**
   * The pool to watch; empty for every pool on this host.
   */
  'name': (string);
}
