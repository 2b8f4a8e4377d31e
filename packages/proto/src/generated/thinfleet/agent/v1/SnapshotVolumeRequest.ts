// Original file: proto/thinfleet/agent/v1/volume.proto


export interface SnapshotVolumeRequest {
  'pool'?: (string);
  /**
   * The volume to snapshot.
   */
  'source'?: (string);
  /**
   * The snapshot's name.
   */
  'name'?: (string);
  'activate'?: (boolean);
}

export interface SnapshotVolumeRequest__Output {
  'pool': (string);
  /**
   * The volume to snapshot.
   */
  'source': (string);
  /**
   * The snapshot's name.
   */
  'name': (string);
  'activate': (boolean);
}
