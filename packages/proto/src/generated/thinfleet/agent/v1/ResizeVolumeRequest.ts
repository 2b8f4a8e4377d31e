// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

export interface ResizeVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  /**
   * The new virtual size in bytes (rounded up to the data block size); not smaller than now.
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
}

export interface ResizeVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  /**
   * The new virtual size in bytes (rounded up to the data block size); not smaller than now.
   */
  'sizeBytes': (number);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
}
