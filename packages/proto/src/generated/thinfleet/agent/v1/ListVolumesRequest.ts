// Original file: proto/thinfleet/agent/v1/volume.proto


export interface ListVolumesRequest {
  /**
   * Empty for every active pool. A pool this host does not know is NOT_FOUND (NO_SUCH_POOL); a
   * known pool that is not active here is FAILED_PRECONDITION (POOL_INACTIVE).
   */
  'pool'?: (string);
  /**
   * Read mapped/exclusive/shared bytes from the kernel's metadata (costs a metadata read).
   */
  'usage'?: (boolean);
}

export interface ListVolumesRequest__Output {
  /**
   * Empty for every active pool. A pool this host does not know is NOT_FOUND (NO_SUCH_POOL); a
   * known pool that is not active here is FAILED_PRECONDITION (POOL_INACTIVE).
   */
  'pool': (string);
  /**
   * Read mapped/exclusive/shared bytes from the kernel's metadata (costs a metadata read).
   */
  'usage': (boolean);
}
