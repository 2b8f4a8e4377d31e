// Original file: proto/thinfleet/agent/v1/volume.proto


export interface DeferredError {
  'volume'?: (string);
  'message'?: (string);
}

export interface DeferredError__Output {
  'volume': (string);
  'message': (string);
}
