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
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
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
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
  '_sizeBytes'?: "sizeBytes";
}
