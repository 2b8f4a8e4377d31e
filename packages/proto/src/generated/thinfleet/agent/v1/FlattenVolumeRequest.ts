// Original file: proto/thinfleet/agent/v1/volume.proto


/**
 * FlattenVolume: see the rpc. The answer is the job it started.
 */
export interface FlattenVolumeRequest {
  /**
   * The pool, and in it the volume to flatten (it must have an external origin).
   */
  'pool'?: (string);
  'name'?: (string);
  /**
   * Optional, as in every call that changes a pool: the caller's request id (at most 128
   * printable ASCII bytes); a retry with it gets the first attempt's answer (docs/agent.md,
   * Request ids).
   */
  'requestId'?: (string);
}

/**
 * FlattenVolume: see the rpc. The answer is the job it started.
 */
export interface FlattenVolumeRequest__Output {
  /**
   * The pool, and in it the volume to flatten (it must have an external origin).
   */
  'pool': (string);
  'name': (string);
  /**
   * Optional, as in every call that changes a pool: the caller's request id (at most 128
   * printable ASCII bytes); a retry with it gets the first attempt's answer (docs/agent.md,
   * Request ids).
   */
  'requestId': (string);
}
