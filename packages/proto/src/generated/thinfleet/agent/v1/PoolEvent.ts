// Original file: proto/thinfleet/agent/v1/pool.proto

import type { Long } from '@grpc/proto-loader';

export interface PoolEvent {
  'pool'?: (string);
  /**
   * "data-threshold-crossed", "data-threshold-cleared", "metadata-threshold-crossed",
   * "metadata-threshold-cleared", "out-of-data-space", "data-space-available", "extended" or
   * "autoextend-failed".
   */
  'kind'?: (string);
  /**
   * Bytes in use of the region the event is about (metadata for metadata events, else data).
   */
  'usedBytes'?: (number | string | Long);
  /**
   * Size in bytes of that region.
   */
  'totalBytes'?: (number | string | Long);
  /**
   * The threshold crossed or cleared, in percent; 0 for other kinds.
   */
  'thresholdPercent'?: (number | string);
  /**
   * When the agent saw it, RFC 3339.
   */
  'time'?: (string);
  /**
   * One line for a person.
   */
  'message'?: (string);
  /**
   * True for the state a new stream starts with (not a change).
   */
  'current'?: (boolean);
}

export interface PoolEvent__Output {
  'pool': (string);
  /**
   * "data-threshold-crossed", "data-threshold-cleared", "metadata-threshold-crossed",
   * "metadata-threshold-cleared", "out-of-data-space", "data-space-available", "extended" or
   * "autoextend-failed".
   */
  'kind': (string);
  /**
   * Bytes in use of the region the event is about (metadata for metadata events, else data).
   */
  'usedBytes': (number);
  /**
   * Size in bytes of that region.
   */
  'totalBytes': (number);
  /**
   * The threshold crossed or cleared, in percent; 0 for other kinds.
   */
  'thresholdPercent': (number);
  /**
   * When the agent saw it, RFC 3339.
   */
  'time': (string);
  /**
   * One line for a person.
   */
  'message': (string);
  /**
   * True for the state a new stream starts with (not a change).
   */
  'current': (boolean);
}
