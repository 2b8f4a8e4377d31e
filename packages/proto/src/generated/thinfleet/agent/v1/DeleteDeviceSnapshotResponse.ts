// Original file: proto/thinfleet/agent/v1/device_snapshot.proto


export interface DeleteDeviceSnapshotResponse {
  /**
   * True when the origin device was open and stays, a plain mapping of the device (it goes with
   * the pool's deactivation once closed); false when it was removed.
   */
  'originKept'?: (boolean);
}

export interface DeleteDeviceSnapshotResponse__Output {
  /**
   * True when the origin device was open and stays, a plain mapping of the device (it goes with
   * the pool's deactivation once closed); false when it was removed.
   */
  'originKept': (boolean);
}
