// Original file: proto/thinfleet/agent/v1/volume.proto


/**
 * CopyVolume: see the rpc. The answer is the job it started.
 */
export interface CopyVolumeRequest {
  /**
   * The source: its pool and the volume's name.
   */
  'pool'?: (string);
  'name'?: (string);
  /**
   * The destination: a pool held by the agent that answers (the coordinator routes the call to
   * its holder), and the new volume's name, which must be free there.
   */
  'targetPool'?: (string);
  'targetName'?: (string);
  /**
   * The destination names the source's external origin (the same block device path on the
   * destination's host) and only the source's own blocks travel; refused (`keep_origin`) for a
   * source without one. Unset: the origin's bytes travel and the copy has no origin.
   */
  'keepOrigin'?: (boolean);
  /**
   * Optional, as in every call that changes a pool: the caller's request id (at most 128
   * printable ASCII bytes); a retry with it gets the first attempt's answer (docs/agent.md,
   * Request ids).
   */
  'requestId'?: (string);
}

/**
 * CopyVolume: see the rpc. The answer is the job it started.
 */
export interface CopyVolumeRequest__Output {
  /**
   * The source: its pool and the volume's name.
   */
  'pool': (string);
  'name': (string);
  /**
   * The destination: a pool held by the agent that answers (the coordinator routes the call to
   * its holder), and the new volume's name, which must be free there.
   */
  'targetPool': (string);
  'targetName': (string);
  /**
   * The destination names the source's external origin (the same block device path on the
   * destination's host) and only the source's own blocks travel; refused (`keep_origin`) for a
   * source without one. Unset: the origin's bytes travel and the copy has no origin.
   */
  'keepOrigin': (boolean);
  /**
   * Optional, as in every call that changes a pool: the caller's request id (at most 128
   * printable ASCII bytes); a retry with it gets the first attempt's answer (docs/agent.md,
   * Request ids).
   */
  'requestId': (string);
}
