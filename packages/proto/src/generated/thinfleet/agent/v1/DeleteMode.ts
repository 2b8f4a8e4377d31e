// Original file: proto/thinfleet/agent/v1/volume.proto

export const DeleteMode = {
  /**
   * Chunked in the background when the volume maps more than the agent's threshold, else now.
   */
  DELETE_MODE_AUTO: 'DELETE_MODE_AUTO',
  /**
   * One kernel delete now, whatever the volume maps.
   */
  DELETE_MODE_NOW: 'DELETE_MODE_NOW',
  /**
   * Always through a background job that discards the volume chunk by chunk, then deletes it.
   */
  DELETE_MODE_CHUNKED: 'DELETE_MODE_CHUNKED',
} as const;

export type DeleteMode =
  /**
   * Chunked in the background when the volume maps more than the agent's threshold, else now.
   */
  | 'DELETE_MODE_AUTO'
  | 0
  /**
   * One kernel delete now, whatever the volume maps.
   */
  | 'DELETE_MODE_NOW'
  | 1
  /**
   * Always through a background job that discards the volume chunk by chunk, then deletes it.
   */
  | 'DELETE_MODE_CHUNKED'
  | 2

export type DeleteMode__Output = typeof DeleteMode[keyof typeof DeleteMode]
