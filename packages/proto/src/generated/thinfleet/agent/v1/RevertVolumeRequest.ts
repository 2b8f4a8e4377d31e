// Original file: proto/thinfleet/agent/v1/volume.proto


export interface RevertVolumeRequest {
  'pool'?: (string);
  /**
   * The volume to revert; it must be inactive.
   */
  'name'?: (string);
  /**
   * One of its snapshots.
   */
  'snapshot'?: (string);
}

export interface RevertVolumeRequest__Output {
  'pool': (string);
  /**
   * The volume to revert; it must be inactive.
   */
  'name': (string);
  /**
   * One of its snapshots.
   */
  'snapshot': (string);
}
