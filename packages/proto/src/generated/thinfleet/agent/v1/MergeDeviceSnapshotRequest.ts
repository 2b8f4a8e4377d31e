// Original file: proto/thinfleet/agent/v1/device_snapshot.proto


export interface MergeDeviceSnapshotRequest {
  'pool'?: (string);
  'name'?: (string);
  /**
   * Optional: the caller's id for this request (see docs/agent.md, Request ids).
   */
  'requestId'?: (string);
}

export interface MergeDeviceSnapshotRequest__Output {
  'pool': (string);
  'name': (string);
  /**
   * Optional: the caller's id for this request (see docs/agent.md, Request ids).
   */
  'requestId': (string);
}
