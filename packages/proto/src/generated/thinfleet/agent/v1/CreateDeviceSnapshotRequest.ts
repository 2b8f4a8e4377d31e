// Original file: proto/thinfleet/agent/v1/device_snapshot.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateDeviceSnapshotRequest {
  'pool'?: (string);
  /**
   * Letters, digits and + _ . -, at most 64 bytes: the exception store volume's name too.
   */
  'name'?: (string);
  /**
   * The block device to protect: an absolute path, at most 1024 bytes.
   */
  'device'?: (string);
  /**
   * The exception store's size in bytes; 0: the device's size plus the store's overhead (it
   * cannot overflow).
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * Exception chunk size in 512-byte sectors: a power of two from 8 to 4194304; 0: 8 (4 KiB).
   */
  'chunkSectors'?: (number);
  /**
   * Optional: the caller's id for this request (see docs/agent.md, Request ids).
   */
  'requestId'?: (string);
}

export interface CreateDeviceSnapshotRequest__Output {
  'pool': (string);
  /**
   * Letters, digits and + _ . -, at most 64 bytes: the exception store volume's name too.
   */
  'name': (string);
  /**
   * The block device to protect: an absolute path, at most 1024 bytes.
   */
  'device': (string);
  /**
   * The exception store's size in bytes; 0: the device's size plus the store's overhead (it
   * cannot overflow).
   */
  'sizeBytes': (number);
  /**
   * Exception chunk size in 512-byte sectors: a power of two from 8 to 4194304; 0: 8 (4 KiB).
   */
  'chunkSectors': (number);
  /**
   * Optional: the caller's id for this request (see docs/agent.md, Request ids).
   */
  'requestId': (string);
}
