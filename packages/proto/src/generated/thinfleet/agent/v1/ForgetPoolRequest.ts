// Original file: proto/thinfleet/agent/v1/pool.proto


export interface ForgetPoolRequest {
  'name'?: (string);
}

export interface ForgetPoolRequest__Output {
  'name': (string);
}
