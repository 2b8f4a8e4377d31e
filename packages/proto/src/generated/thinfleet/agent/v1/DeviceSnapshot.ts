// Original file: proto/thinfleet/agent/v1/device_snapshot.proto

import type { DeviceIdentity as _thinfleet_agent_v1_DeviceIdentity, DeviceIdentity__Output as _thinfleet_agent_v1_DeviceIdentity__Output } from '../../../thinfleet/agent/v1/DeviceIdentity.js';
import type { Long } from '@grpc/proto-loader';

export interface DeviceSnapshot {
  'pool'?: (string);
  /**
   * The device snapshot's name, which is also its exception store volume's name.
   */
  'name'?: (string);
  /**
   * The exception store volume's uuid.
   */
  'cowUuid'?: (string);
  /**
   * The exception store volume's size in bytes.
   */
  'cowSizeBytes'?: (number | string | Long);
  'device'?: (_thinfleet_agent_v1_DeviceIdentity | null);
  /**
   * Exception chunk size, in 512-byte sectors.
   */
  'chunkSectors'?: (number);
  /**
   * Creation time, RFC 3339.
   */
  'created'?: (string);
  /**
   * "active", "merging" or "deleting" (a delete a crash cut short, finished at the next activation).
   */
  'state'?: (string);
  /**
   * The merge job's id while merging; empty otherwise.
   */
  'jobId'?: (string);
  /**
   * The device to write through while the snapshot exists (a /dev/mapper path); empty when not loaded here.
   */
  'originDevicePath'?: (string);
  /**
   * The snapshot's content (a /dev/mapper path); empty when not loaded here (or merging).
   */
  'snapshotDevicePath'?: (string);
  /**
   * The kernel's status of the snapshot (or merge) device: "<allocated>/<total> <metadata>" in
   * 512-byte sectors, "Invalid", "Overflow", "Merge failed"; empty when not loaded.
   */
  'status'?: (string);
}

export interface DeviceSnapshot__Output {
  'pool': (string);
  /**
   * The device snapshot's name, which is also its exception store volume's name.
   */
  'name': (string);
  /**
   * The exception store volume's uuid.
   */
  'cowUuid': (string);
  /**
   * The exception store volume's size in bytes.
   */
  'cowSizeBytes': (number);
  'device': (_thinfleet_agent_v1_DeviceIdentity__Output | null);
  /**
   * Exception chunk size, in 512-byte sectors.
   */
  'chunkSectors': (number);
  /**
   * Creation time, RFC 3339.
   */
  'created': (string);
  /**
   * "active", "merging" or "deleting" (a delete a crash cut short, finished at the next activation).
   */
  'state': (string);
  /**
   * The merge job's id while merging; empty otherwise.
   */
  'jobId': (string);
  /**
   * The device to write through while the snapshot exists (a /dev/mapper path); empty when not loaded here.
   */
  'originDevicePath': (string);
  /**
   * The snapshot's content (a /dev/mapper path); empty when not loaded here (or merging).
   */
  'snapshotDevicePath': (string);
  /**
   * The kernel's status of the snapshot (or merge) device: "<allocated>/<total> <metadata>" in
   * 512-byte sectors, "Invalid", "Overflow", "Merge failed"; empty when not loaded.
   */
  'status': (string);
}
