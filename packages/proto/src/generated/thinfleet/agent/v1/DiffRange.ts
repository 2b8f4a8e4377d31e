// Original file: proto/thinfleet/agent/v1/volume.proto

import type { DiffKind as _thinfleet_agent_v1_DiffKind, DiffKind__Output as _thinfleet_agent_v1_DiffKind__Output } from '../../../thinfleet/agent/v1/DiffKind.js';
import type { Long } from '@grpc/proto-loader';

export interface DiffRange {
  /**
   * Bytes from the volumes' start (a multiple of block_bytes).
   */
  'offsetBytes'?: (number | string | Long);
  /**
   * Bytes (whole data blocks, but the last range may end at size_bytes).
   */
  'lengthBytes'?: (number | string | Long);
  /**
   * How B differs from A over the range (no unit: a class).
   */
  'kind'?: (_thinfleet_agent_v1_DiffKind);
}

export interface DiffRange__Output {
  /**
   * Bytes from the volumes' start (a multiple of block_bytes).
   */
  'offsetBytes': (number);
  /**
   * Bytes (whole data blocks, but the last range may end at size_bytes).
   */
  'lengthBytes': (number);
  /**
   * How B differs from A over the range (no unit: a class).
   */
  'kind': (_thinfleet_agent_v1_DiffKind__Output);
}
