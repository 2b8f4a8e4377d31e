// Original file: proto/thinfleet/agent/v1/pool.proto


export interface SetPoolRequest {
  'name'?: (string);
  /**
   * "queue" or "error"; empty leaves it as it is.
   */
  'noSpaceMode'?: (string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
}

export interface SetPoolRequest__Output {
  'name': (string);
  /**
   * "queue" or "error"; empty leaves it as it is.
   */
  'noSpaceMode': (string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
}
