// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

export interface ResizeVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  /**
   * The new virtual size in bytes (rounded up to the data block size); not smaller than now.
   */
  'sizeBytes'?: (number | string | Long);
}

export interface ResizeVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  /**
   * The new virtual size in bytes (rounded up to the data block size); not smaller than now.
   */
  'sizeBytes': (number);
}
