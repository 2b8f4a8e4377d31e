// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { Long } from '@grpc/proto-loader';

export interface KeepAliveAck {
  'seq'?: (number | string | Long);
  /**
   * Seconds the lease has left, as etcd answered.
   */
  'ttlSeconds'?: (number);
}

export interface KeepAliveAck__Output {
  'seq': (number);
  /**
   * Seconds the lease has left, as etcd answered.
   */
  'ttlSeconds': (number);
}
