// Original file: proto/thinfleet/agent/v1/device_snapshot.proto


export interface ListDeviceSnapshotsRequest {
  'pool'?: (string);
}

export interface ListDeviceSnapshotsRequest__Output {
  'pool': (string);
}
