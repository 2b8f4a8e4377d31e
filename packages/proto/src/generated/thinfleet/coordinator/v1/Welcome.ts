// Original file: proto/thinfleet/coordinator/v1/session.proto


export interface Welcome {
  /**
   * The session (lease id, hex): give it as `resume_session` when reconnecting.
   */
  'session'?: (string);
  /**
   * The lease's time to live in seconds.
   */
  'ttlSeconds'?: (number);
  /**
   * Stop writing this long before TTL runs out, counted from a keepalive's send time.
   */
  'marginMs'?: (number);
  /**
   * The previous session was kept (its locks with it).
   */
  'resumed'?: (boolean);
  /**
   * The coordinator serving this stream (its id), for logs.
   */
  'coordinator'?: (string);
  /**
   * The cluster's host watchdog timeout in seconds (coordinator `lock.watchdogTimeoutSeconds`):
   * an agent with fencing "watchdog" arms its watchdog with it, and refuses to hold pools when
   * its device reports a longer one. 0 from a coordinator older than the field.
   */
  'watchdogTimeoutSeconds'?: (number);
}

export interface Welcome__Output {
  /**
   * The session (lease id, hex): give it as `resume_session` when reconnecting.
   */
  'session': (string);
  /**
   * The lease's time to live in seconds.
   */
  'ttlSeconds': (number);
  /**
   * Stop writing this long before TTL runs out, counted from a keepalive's send time.
   */
  'marginMs': (number);
  /**
   * The previous session was kept (its locks with it).
   */
  'resumed': (boolean);
  /**
   * The coordinator serving this stream (its id), for logs.
   */
  'coordinator': (string);
  /**
   * The cluster's host watchdog timeout in seconds (coordinator `lock.watchdogTimeoutSeconds`):
   * an agent with fencing "watchdog" arms its watchdog with it, and refuses to hold pools when
   * its device reports a longer one. 0 from a coordinator older than the field.
   */
  'watchdogTimeoutSeconds': (number);
}
