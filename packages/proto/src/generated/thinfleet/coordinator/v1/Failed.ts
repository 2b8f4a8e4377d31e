// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A Take or Release that did not happen.
 */
export interface Failed {
  'requestId'?: (number | string | Long);
  'pool'?: (string);
  /**
   * The lock's error code: LOST, CLOSED, ALREADY_HELD, ABORTED, ETCD, BAD_REQUEST.
   */
  'code'?: (string);
  'message'?: (string);
}

/**
 * A Take or Release that did not happen.
 */
export interface Failed__Output {
  'requestId': (number);
  'pool': (string);
  /**
   * The lock's error code: LOST, CLOSED, ALREADY_HELD, ABORTED, ETCD, BAD_REQUEST.
   */
  'code': (string);
  'message': (string);
}
