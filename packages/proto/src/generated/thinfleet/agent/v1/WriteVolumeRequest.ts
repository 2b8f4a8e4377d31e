// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

export interface WriteVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  /**
   * Where to start, bytes from the volume's start; a multiple of 512.
   */
  'offsetBytes'?: (number | string | Long);
  /**
   * What to write: a multiple of 512 bytes, from 512 to 1 MiB, ending within the volume.
   */
  'data'?: (Buffer | Uint8Array | string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
}

export interface WriteVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  /**
   * Where to start, bytes from the volume's start; a multiple of 512.
   */
  'offsetBytes': (number);
  /**
   * What to write: a multiple of 512 bytes, from 512 to 1 MiB, ending within the volume.
   */
  'data': (Buffer);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
}
