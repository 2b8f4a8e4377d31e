// Original file: proto/thinfleet/coordinator/v1/cluster.proto

import type { ClusterHost as _thinfleet_coordinator_v1_ClusterHost, ClusterHost__Output as _thinfleet_coordinator_v1_ClusterHost__Output } from '../../../thinfleet/coordinator/v1/ClusterHost.js';
import type { ClusterPool as _thinfleet_coordinator_v1_ClusterPool, ClusterPool__Output as _thinfleet_coordinator_v1_ClusterPool__Output } from '../../../thinfleet/coordinator/v1/ClusterPool.js';

export interface ClusterStatusResponse {
  'hosts'?: (_thinfleet_coordinator_v1_ClusterHost)[];
  'pools'?: (_thinfleet_coordinator_v1_ClusterPool)[];
  /**
   * The etcd endpoints the coordinator uses, and whether it runs them itself.
   */
  'etcdEndpoints'?: (string)[];
  'embeddedEtcd'?: (boolean);
  'coordinator'?: (string);
}

export interface ClusterStatusResponse__Output {
  'hosts': (_thinfleet_coordinator_v1_ClusterHost__Output)[];
  'pools': (_thinfleet_coordinator_v1_ClusterPool__Output)[];
  /**
   * The etcd endpoints the coordinator uses, and whether it runs them itself.
   */
  'etcdEndpoints': (string)[];
  'embeddedEtcd': (boolean);
  'coordinator': (string);
}
