// Original file: proto/thinfleet/agent/v1/pool.proto

import type { Long } from '@grpc/proto-loader';

export interface CreatePoolRequest {
  /**
   * The new pool's name.
   */
  'name'?: (string);
  /**
   * Block devices or regular files, device 0 first; at least one.
   */
  'devices'?: (string)[];
  /**
   * Data block size in bytes: a multiple of 64 KiB up to 1 GiB; 0 means 64 KiB.
   */
  'dataBlockBytes'?: (number | string | Long);
  /**
   * Kernel metadata size in bytes; 0 means computed from the data size.
   */
  'metadataBytes'?: (number | string | Long);
  /**
   * Overwrite devices that carry a thinfleet label.
   */
  'force'?: (boolean);
  /**
   * "queue" (default when empty) or "error"; see Pool.no_space_mode.
   */
  'noSpaceMode'?: (string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
}

export interface CreatePoolRequest__Output {
  /**
   * The new pool's name.
   */
  'name': (string);
  /**
   * Block devices or regular files, device 0 first; at least one.
   */
  'devices': (string)[];
  /**
   * Data block size in bytes: a multiple of 64 KiB up to 1 GiB; 0 means 64 KiB.
   */
  'dataBlockBytes': (number);
  /**
   * Kernel metadata size in bytes; 0 means computed from the data size.
   */
  'metadataBytes': (number);
  /**
   * Overwrite devices that carry a thinfleet label.
   */
  'force': (boolean);
  /**
   * "queue" (default when empty) or "error"; see Pool.no_space_mode.
   */
  'noSpaceMode': (string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
}
