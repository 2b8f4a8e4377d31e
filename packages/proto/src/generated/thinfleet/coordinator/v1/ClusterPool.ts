// Original file: proto/thinfleet/coordinator/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface ClusterPool {
  'name'?: (string);
  'uuid'?: (string);
  /**
   * The node holding the pool's lock; empty when nobody does.
   */
  'owner'?: (string);
  /**
   * The holder's token (decimal); empty when nobody holds it.
   */
  'token'?: (string);
  /**
   * The owner has the pool active and serving.
   */
  'ready'?: (boolean);
  /**
   * Nodes queued for the lock, in grant order.
   */
  'waiters'?: (string)[];
  /**
   * Nodes that can reach the pool.
   */
  'hosts'?: (string)[];
  'dataSizeBytes'?: (number | string | Long);
  'dataUsedBytes'?: (number | string | Long);
  /**
   * Volumes in the cluster index.
   */
  'volumeCount'?: (number);
}

export interface ClusterPool__Output {
  'name': (string);
  'uuid': (string);
  /**
   * The node holding the pool's lock; empty when nobody does.
   */
  'owner': (string);
  /**
   * The holder's token (decimal); empty when nobody holds it.
   */
  'token': (string);
  /**
   * The owner has the pool active and serving.
   */
  'ready': (boolean);
  /**
   * Nodes queued for the lock, in grant order.
   */
  'waiters': (string)[];
  /**
   * Nodes that can reach the pool.
   */
  'hosts': (string)[];
  'dataSizeBytes': (number);
  'dataUsedBytes': (number);
  /**
   * Volumes in the cluster index.
   */
  'volumeCount': (number);
}
