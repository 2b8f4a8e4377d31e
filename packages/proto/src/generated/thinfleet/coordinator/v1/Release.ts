// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Releases a pool's lock; the next waiter is granted it.
 */
export interface Release {
  'requestId'?: (number | string | Long);
  'pool'?: (string);
}

/**
 * Releases a pool's lock; the next waiter is granted it.
 */
export interface Release__Output {
  'requestId': (number);
  'pool': (string);
}
