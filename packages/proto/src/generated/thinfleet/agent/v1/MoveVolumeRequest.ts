// Original file: proto/thinfleet/agent/v1/volume.proto


/**
 * MoveVolume: see the rpc. The answer is the job it started.
 */
export interface MoveVolumeRequest {
  /**
   * The pool, and in it the volume to move (it must be active).
   */
  'pool'?: (string);
  'name'?: (string);
  /**
   * The pool of this host to move it into; the volume keeps its name and uuid there.
   */
  'targetPool'?: (string);
  /**
   * Optional: another host to move the volume to (an inactive volume: copy, then switch). Not
   * served yet: a host other than this agent's is refused (FAILED_PRECONDITION); empty or this
   * host's own name moves within this host.
   */
  'host'?: (string);
  /**
   * Optional, as in every call that changes a pool: the caller's request id (at most 128
   * printable ASCII bytes); a retry with it gets the first attempt's answer (docs/agent.md,
   * Request ids).
   */
  'requestId'?: (string);
}

/**
 * MoveVolume: see the rpc. The answer is the job it started.
 */
export interface MoveVolumeRequest__Output {
  /**
   * The pool, and in it the volume to move (it must be active).
   */
  'pool': (string);
  'name': (string);
  /**
   * The pool of this host to move it into; the volume keeps its name and uuid there.
   */
  'targetPool': (string);
  /**
   * Optional: another host to move the volume to (an inactive volume: copy, then switch). Not
   * served yet: a host other than this agent's is refused (FAILED_PRECONDITION); empty or this
   * host's own name moves within this host.
   */
  'host': (string);
  /**
   * Optional, as in every call that changes a pool: the caller's request id (at most 128
   * printable ASCII bytes); a retry with it gets the first attempt's answer (docs/agent.md,
   * Request ids).
   */
  'requestId': (string);
}
