// Original file: proto/thinfleet/coordinator/v1/session.proto


/**
 * A client needs `pool` served and nobody holds it: take it and report PoolReady.
 */
export interface Acquire {
  'pool'?: (string);
}

/**
 * A client needs `pool` served and nobody holds it: take it and report PoolReady.
 */
export interface Acquire__Output {
  'pool': (string);
}
