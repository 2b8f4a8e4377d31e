// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

/**
 * DiffVolumes: see the rpc. One page of the ranges where `other` differs from `name`.
 */
export interface DiffVolumesRequest {
  /**
   * The pool, and in it A, the older volume (the left side of thin_delta).
   */
  'pool'?: (string);
  'name'?: (string);
  /**
   * B, the newer volume of the same pool and lineage (the right side).
   */
  'other'?: (string);
  /**
   * Bytes: where this page starts, rounded down to the pool's data block size (0 for the first
   * page, then the previous answer's `next_from_bytes`).
   */
  'fromBytes'?: (number | string | Long);
  /**
   * Ranges per page, at most 10000 (0: 10000); more is INVALID_ARGUMENT (`max_ranges`).
   */
  'maxRanges'?: (number);
}

/**
 * DiffVolumes: see the rpc. One page of the ranges where `other` differs from `name`.
 */
export interface DiffVolumesRequest__Output {
  /**
   * The pool, and in it A, the older volume (the left side of thin_delta).
   */
  'pool': (string);
  'name': (string);
  /**
   * B, the newer volume of the same pool and lineage (the right side).
   */
  'other': (string);
  /**
   * Bytes: where this page starts, rounded down to the pool's data block size (0 for the first
   * page, then the previous answer's `next_from_bytes`).
   */
  'fromBytes': (number);
  /**
   * Ranges per page, at most 10000 (0: 10000); more is INVALID_ARGUMENT (`max_ranges`).
   */
  'maxRanges': (number);
}
