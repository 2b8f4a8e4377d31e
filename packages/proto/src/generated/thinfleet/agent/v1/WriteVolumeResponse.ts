// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

export interface WriteVolumeResponse {
  /**
   * Bytes written (all of data).
   */
  'writtenBytes'?: (number | string | Long);
}

export interface WriteVolumeResponse__Output {
  /**
   * Bytes written (all of data).
   */
  'writtenBytes': (number);
}
