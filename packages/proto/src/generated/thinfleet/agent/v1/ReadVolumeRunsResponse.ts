// Original file: proto/thinfleet/agent/v1/volume_transfer.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadVolumeRunsResponse {
  /**
   * A piece of a run: `data` (at most 1 MiB) is written at byte `offset_bytes` of the volume.
   * Empty data on the last message.
   */
  'offsetBytes'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * SHA-256 of `data` (32 bytes).
   */
  'sha256'?: (Buffer | Uint8Array | string);
  /**
   * On the last message only (32 bytes): the SHA-256 of the whole window, `length_bytes` of it,
   * zeros included. Empty on the others.
   */
  'windowSha256'?: (Buffer | Uint8Array | string);
}

export interface ReadVolumeRunsResponse__Output {
  /**
   * A piece of a run: `data` (at most 1 MiB) is written at byte `offset_bytes` of the volume.
   * Empty data on the last message.
   */
  'offsetBytes': (number);
  'data': (Buffer);
  /**
   * SHA-256 of `data` (32 bytes).
   */
  'sha256': (Buffer);
  /**
   * On the last message only (32 bytes): the SHA-256 of the whole window, `length_bytes` of it,
   * zeros included. Empty on the others.
   */
  'windowSha256': (Buffer);
}
