// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { Long } from '@grpc/proto-loader';

export interface Granted {
  'requestId'?: (number | string | Long);
  'pool'?: (string);
  /**
   * Fencing token (decimal): the grant's etcd revision; every later grant is larger.
   */
  'token'?: (string);
  /**
   * Another host may have held the pool since this session last released it: reload.
   */
  'dirty'?: (boolean);
  /**
   * The previous holder never released (it died); the grant waited the lock delay.
   */
  'previousHolderDied'?: (boolean);
  'previousHolder'?: (string);
}

export interface Granted__Output {
  'requestId': (number);
  'pool': (string);
  /**
   * Fencing token (decimal): the grant's etcd revision; every later grant is larger.
   */
  'token': (string);
  /**
   * Another host may have held the pool since this session last released it: reload.
   */
  'dirty': (boolean);
  /**
   * The previous holder never released (it died); the grant waited the lock delay.
   */
  'previousHolderDied': (boolean);
  'previousHolder': (string);
}
