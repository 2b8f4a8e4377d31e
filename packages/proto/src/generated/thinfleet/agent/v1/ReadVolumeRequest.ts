// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  /**
   * Where to start, bytes from the volume's start; a multiple of 512.
   */
  'offsetBytes'?: (number | string | Long);
  /**
   * How much to read, bytes: a multiple of 512, from 512 to 1 MiB, ending within the volume.
   */
  'lengthBytes'?: (number | string | Long);
}

export interface ReadVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  /**
   * Where to start, bytes from the volume's start; a multiple of 512.
   */
  'offsetBytes': (number);
  /**
   * How much to read, bytes: a multiple of 512, from 512 to 1 MiB, ending within the volume.
   */
  'lengthBytes': (number);
}
