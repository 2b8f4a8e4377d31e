// Original file: proto/thinfleet/agent/v1/volume.proto


export interface ListVolumesRequest {
  /**
   * Empty for every active pool.
   */
  'pool'?: (string);
  /**
   * Read mapped/exclusive/shared bytes from the kernel's metadata (costs a metadata read).
   */
  'usage'?: (boolean);
}

export interface ListVolumesRequest__Output {
  /**
   * Empty for every active pool.
   */
  'pool': (string);
  /**
   * Read mapped/exclusive/shared bytes from the kernel's metadata (costs a metadata read).
   */
  'usage': (boolean);
}
