// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A pool this agent can reach (its registry), as the agent last saw it.
 */
export interface HostPool {
  'name'?: (string);
  'uuid'?: (string);
  /**
   * The devices as this host names them.
   */
  'devices'?: (string)[];
  /**
   * Active on this host now.
   */
  'active'?: (boolean);
  /**
   * Data area size and use in bytes; 0 when not active here.
   */
  'dataSizeBytes'?: (number | string | Long);
  'dataUsedBytes'?: (number | string | Long);
  /**
   * The host prefers to serve the pool (`pool join --prefer`): failover hands it here first.
   */
  'preferred'?: (boolean);
}

/**
 * A pool this agent can reach (its registry), as the agent last saw it.
 */
export interface HostPool__Output {
  'name': (string);
  'uuid': (string);
  /**
   * The devices as this host names them.
   */
  'devices': (string)[];
  /**
   * Active on this host now.
   */
  'active': (boolean);
  /**
   * Data area size and use in bytes; 0 when not active here.
   */
  'dataSizeBytes': (number);
  'dataUsedBytes': (number);
  /**
   * The host prefers to serve the pool (`pool join --prefer`): failover hands it here first.
   */
  'preferred': (boolean);
}
