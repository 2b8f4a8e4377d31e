// Original file: proto/thinfleet/coordinator/v1/session.proto


/**
 * Another host queued for a pool this session holds.
 */
export interface Contention {
  'pool'?: (string);
  'waiters'?: (number);
}

/**
 * Another host queued for a pool this session holds.
 */
export interface Contention__Output {
  'pool': (string);
  'waiters': (number);
}
