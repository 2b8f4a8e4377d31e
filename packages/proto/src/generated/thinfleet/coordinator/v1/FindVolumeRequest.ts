// Original file: proto/thinfleet/coordinator/v1/cluster.proto


export interface FindVolumeRequest {
  /**
   * `pool/name`, or a name to look up in every pool.
   */
  'name'?: (string);
}

export interface FindVolumeRequest__Output {
  /**
   * `pool/name`, or a name to look up in every pool.
   */
  'name': (string);
}
