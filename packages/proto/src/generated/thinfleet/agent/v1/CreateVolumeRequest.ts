// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  /**
   * Virtual size in bytes, a multiple of 512 (rounded up to the data block size). Required
   * unless `external_origin` is set, where it defaults to the origin's size.
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * A read-only block device whose content unwritten blocks read from; empty for none.
   */
  'externalOrigin'?: (string);
  /**
   * Make the block device as well.
   */
  'activate'?: (boolean);
  '_sizeBytes'?: "sizeBytes";
}

export interface CreateVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  /**
   * Virtual size in bytes, a multiple of 512 (rounded up to the data block size). Required
   * unless `external_origin` is set, where it defaults to the origin's size.
   */
  'sizeBytes'?: (number);
  /**
   * A read-only block device whose content unwritten blocks read from; empty for none.
   */
  'externalOrigin': (string);
  /**
   * Make the block device as well.
   */
  'activate': (boolean);
  '_sizeBytes'?: "sizeBytes";
}
