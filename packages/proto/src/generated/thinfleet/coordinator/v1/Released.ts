// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { Long } from '@grpc/proto-loader';

export interface Released {
  'requestId'?: (number | string | Long);
  'pool'?: (string);
}

export interface Released__Output {
  'requestId': (number);
  'pool': (string);
}
