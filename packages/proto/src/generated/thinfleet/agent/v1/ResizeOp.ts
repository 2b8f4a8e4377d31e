// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

export interface ResizeOp {
  'name'?: (string);
  /**
   * Bytes.
   */
  'sizeBytes'?: (number | string | Long);
}

export interface ResizeOp__Output {
  'name': (string);
  /**
   * Bytes.
   */
  'sizeBytes': (number);
}
