// Original file: proto/thinfleet/agent/v1/pool.proto


export interface GetPoolRequest {
  'name'?: (string);
}

export interface GetPoolRequest__Output {
  'name': (string);
}
