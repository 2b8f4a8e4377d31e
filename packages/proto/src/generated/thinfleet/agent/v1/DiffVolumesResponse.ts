// Original file: proto/thinfleet/agent/v1/volume.proto

import type { DiffRange as _thinfleet_agent_v1_DiffRange, DiffRange__Output as _thinfleet_agent_v1_DiffRange__Output } from '../../../thinfleet/agent/v1/DiffRange.js';
import type { Long } from '@grpc/proto-loader';

export interface DiffVolumesResponse {
  /**
   * Ascending, non-overlapping; adjacent blocks of one kind merged.
   */
  'ranges'?: (_thinfleet_agent_v1_DiffRange)[];
  /**
   * Bytes: the pool's data block size, the ranges' granularity.
   */
  'blockBytes'?: (number | string | Long);
  /**
   * Bytes: the larger of the two volumes' sizes, the extent the diff covers.
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * Bytes: where the next page starts; 0 when this page is the last.
   */
  'nextFromBytes'?: (number | string | Long);
}

export interface DiffVolumesResponse__Output {
  /**
   * Ascending, non-overlapping; adjacent blocks of one kind merged.
   */
  'ranges': (_thinfleet_agent_v1_DiffRange__Output)[];
  /**
   * Bytes: the pool's data block size, the ranges' granularity.
   */
  'blockBytes': (number);
  /**
   * Bytes: the larger of the two volumes' sizes, the extent the diff covers.
   */
  'sizeBytes': (number);
  /**
   * Bytes: where the next page starts; 0 when this page is the last.
   */
  'nextFromBytes': (number);
}
