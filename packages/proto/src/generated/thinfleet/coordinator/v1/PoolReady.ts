// Original file: proto/thinfleet/coordinator/v1/session.proto


/**
 * The pool is active under the lock with `token` and serves calls.
 */
export interface PoolReady {
  'pool'?: (string);
  /**
   * Decimal token of the grant the pool is ready under.
   */
  'token'?: (string);
  /**
   * The pool's volumes for the cluster index.
   */
  'volumeCount'?: (number);
}

/**
 * The pool is active under the lock with `token` and serves calls.
 */
export interface PoolReady__Output {
  'pool': (string);
  /**
   * Decimal token of the grant the pool is ready under.
   */
  'token': (string);
  /**
   * The pool's volumes for the cluster index.
   */
  'volumeCount': (number);
}
