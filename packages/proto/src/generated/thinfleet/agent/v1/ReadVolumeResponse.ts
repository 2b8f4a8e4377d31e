// Original file: proto/thinfleet/agent/v1/volume.proto


export interface ReadVolumeResponse {
  /**
   * Exactly length_bytes bytes; unwritten ranges read as zeros.
   */
  'data'?: (Buffer | Uint8Array | string);
}

export interface ReadVolumeResponse__Output {
  /**
   * Exactly length_bytes bytes; unwritten ranges read as zeros.
   */
  'data': (Buffer);
}
