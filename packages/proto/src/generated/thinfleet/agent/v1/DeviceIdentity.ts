// Original file: proto/thinfleet/agent/v1/device_snapshot.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The protected device as the pool's catalog records it.
 */
export interface DeviceIdentity {
  /**
   * The absolute path given at create.
   */
  'path'?: (string);
  /**
   * The device's size in bytes.
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * "<source>:<value>": wwid, serial, dm-uuid, loop-file, or "none:" when the host found none.
   */
  'label'?: (string);
}

/**
 * The protected device as the pool's catalog records it.
 */
export interface DeviceIdentity__Output {
  /**
   * The absolute path given at create.
   */
  'path': (string);
  /**
   * The device's size in bytes.
   */
  'sizeBytes': (number);
  /**
   * "<source>:<value>": wwid, serial, dm-uuid, loop-file, or "none:" when the host found none.
   */
  'label': (string);
}
