// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Renews the lease. The agent counts its deadline from the moment it sent this.
 */
export interface KeepAlive {
  'seq'?: (number | string | Long);
}

/**
 * Renews the lease. The agent counts its deadline from the moment it sent this.
 */
export interface KeepAlive__Output {
  'seq': (number);
}
