// Original file: proto/thinfleet/agent/v1/device_snapshot.proto

import type { DeviceSnapshot as _thinfleet_agent_v1_DeviceSnapshot, DeviceSnapshot__Output as _thinfleet_agent_v1_DeviceSnapshot__Output } from '../../../thinfleet/agent/v1/DeviceSnapshot.js';

export interface CreateDeviceSnapshotResponse {
  'snapshot'?: (_thinfleet_agent_v1_DeviceSnapshot | null);
}

export interface CreateDeviceSnapshotResponse__Output {
  'snapshot': (_thinfleet_agent_v1_DeviceSnapshot__Output | null);
}
