// Original file: proto/thinfleet/agent/v1/volume_transfer.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadVolumeRunsRequest {
  /**
   * The source's pool.
   */
  'pool'?: (string);
  /**
   * The source volume's catalog uuid (1 to 64 bytes): a copy follows its source by uuid.
   */
  'uuid'?: (string);
  /**
   * The window: its first byte and its length, in bytes, multiples of 512; the length at most
   * 4 MiB (4194304). A window past the volume's end is clipped to it.
   */
  'fromBytes'?: (number | string | Long);
  'lengthBytes'?: (number | string | Long);
  /**
   * The source's external origin travels: the window is read whole as the volume's device shows
   * it (the origin's bytes under unmapped blocks), and the window's digest covers that.
   */
  'withOrigin'?: (boolean);
  /**
   * With with_origin: the destination names the same origin, so only the mapped ranges travel,
   * zeros included.
   */
  'keepOrigin'?: (boolean);
  /**
   * Granule of the zero skip, in bytes: the destination's data block size (a power of two from
   * 512 to 4 MiB).
   */
  'zeroGranuleBytes'?: (number | string | Long);
}

export interface ReadVolumeRunsRequest__Output {
  /**
   * The source's pool.
   */
  'pool': (string);
  /**
   * The source volume's catalog uuid (1 to 64 bytes): a copy follows its source by uuid.
   */
  'uuid': (string);
  /**
   * The window: its first byte and its length, in bytes, multiples of 512; the length at most
   * 4 MiB (4194304). A window past the volume's end is clipped to it.
   */
  'fromBytes': (number);
  'lengthBytes': (number);
  /**
   * The source's external origin travels: the window is read whole as the volume's device shows
   * it (the origin's bytes under unmapped blocks), and the window's digest covers that.
   */
  'withOrigin': (boolean);
  /**
   * With with_origin: the destination names the same origin, so only the mapped ranges travel,
   * zeros included.
   */
  'keepOrigin': (boolean);
  /**
   * Granule of the zero skip, in bytes: the destination's data block size (a power of two from
   * 512 to 4 MiB).
   */
  'zeroGranuleBytes': (number);
}
