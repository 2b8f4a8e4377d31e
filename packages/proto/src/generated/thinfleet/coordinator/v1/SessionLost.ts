// Original file: proto/thinfleet/coordinator/v1/session.proto


/**
 * The session is gone (its lease expired or etcd refused it): stop writing to every pool now.
 */
export interface SessionLost {
  'reason'?: (string);
}

/**
 * The session is gone (its lease expired or etcd refused it): stop writing to every pool now.
 */
export interface SessionLost__Output {
  'reason': (string);
}
