// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateOp {
  'name'?: (string);
  /**
   * Bytes; required unless external_origin is set.
   */
  'sizeBytes'?: (number | string | Long);
  'externalOrigin'?: (string);
  'activate'?: (boolean);
  '_sizeBytes'?: "sizeBytes";
}

export interface CreateOp__Output {
  'name': (string);
  /**
   * Bytes; required unless external_origin is set.
   */
  'sizeBytes'?: (number);
  'externalOrigin': (string);
  'activate': (boolean);
  '_sizeBytes'?: "sizeBytes";
}
