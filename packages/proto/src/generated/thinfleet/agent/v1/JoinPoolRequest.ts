// Original file: proto/thinfleet/agent/v1/pool.proto


export interface JoinPoolRequest {
  /**
   * The pool's name, as the label on its devices has it.
   */
  'name'?: (string);
  /**
   * Every device of the pool as this host names it (block devices or regular files).
   */
  'devices'?: (string)[];
  /**
   * In cluster mode: this host prefers to serve the pool, so the coordinator hands it here
   * first when its holder dies. Ignored on a standalone host.
   */
  'prefer'?: (boolean);
}

export interface JoinPoolRequest__Output {
  /**
   * The pool's name, as the label on its devices has it.
   */
  'name': (string);
  /**
   * Every device of the pool as this host names it (block devices or regular files).
   */
  'devices': (string)[];
  /**
   * In cluster mode: this host prefers to serve the pool, so the coordinator hands it here
   * first when its holder dies. Ignored on a standalone host.
   */
  'prefer': (boolean);
}
