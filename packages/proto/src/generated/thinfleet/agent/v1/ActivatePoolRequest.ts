// Original file: proto/thinfleet/agent/v1/pool.proto


export interface ActivatePoolRequest {
  /**
   * The pool's name (or uuid when importing).
   */
  'name'?: (string);
  /**
   * The devices to activate it from; empty means the devices the agent recorded for it.
   */
  'devices'?: (string)[];
}

export interface ActivatePoolRequest__Output {
  /**
   * The pool's name (or uuid when importing).
   */
  'name': (string);
  /**
   * The devices to activate it from; empty means the devices the agent recorded for it.
   */
  'devices': (string)[];
}
