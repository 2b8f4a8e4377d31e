// Original file: proto/thinfleet/agent/v1/pool.proto

import type { Long } from '@grpc/proto-loader';

export interface ExtendPoolRequest {
  /**
   * The pool, active on this host.
   */
  'name'?: (string);
  /**
   * A block device or regular file (attached as a loop device) to add.
   */
  'device'?: (string);
  /**
   * Bytes of the device to add, from its start (after the label); 0 for all of it. Rounded down
   * to the pool's data block size.
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
}

export interface ExtendPoolRequest__Output {
  /**
   * The pool, active on this host.
   */
  'name': (string);
  /**
   * A block device or regular file (attached as a loop device) to add.
   */
  'device': (string);
  /**
   * Bytes of the device to add, from its start (after the label); 0 for all of it. Rounded down
   * to the pool's data block size.
   */
  'sizeBytes': (number);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
}
