// Original file: proto/thinfleet/agent/v1/volume.proto


export interface FlattenVolumeRequest {
  'pool'?: (string);
  /**
   * The volume to flatten; it must have an external origin.
   */
  'name'?: (string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
}

export interface FlattenVolumeRequest__Output {
  'pool': (string);
  /**
   * The volume to flatten; it must have an external origin.
   */
  'name': (string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
}
