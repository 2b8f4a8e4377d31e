// Original file: proto/thinfleet/agent/v1/pool.proto


export interface DeactivatePoolRequest {
  'name'?: (string);
}

export interface DeactivatePoolRequest__Output {
  'name': (string);
}
