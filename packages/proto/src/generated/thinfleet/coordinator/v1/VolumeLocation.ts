// Original file: proto/thinfleet/coordinator/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface VolumeLocation {
  'pool'?: (string);
  'name'?: (string);
  'uuid'?: (string);
  'sizeBytes'?: (number | string | Long);
  /**
   * The pool's lock holder; empty when nobody holds it.
   */
  'owner'?: (string);
}

export interface VolumeLocation__Output {
  'pool': (string);
  'name': (string);
  'uuid': (string);
  'sizeBytes': (number);
  /**
   * The pool's lock holder; empty when nobody holds it.
   */
  'owner': (string);
}
