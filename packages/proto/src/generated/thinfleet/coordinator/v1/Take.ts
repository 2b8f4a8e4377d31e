// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Takes a pool's lock for this session, waiting in FIFO order behind other hosts.
 */
export interface Take {
  /**
   * Chosen by the agent; the answer (Granted or Failed) carries it back.
   */
  'requestId'?: (number | string | Long);
  'pool'?: (string);
}

/**
 * Takes a pool's lock for this session, waiting in FIFO order behind other hosts.
 */
export interface Take__Output {
  /**
   * Chosen by the agent; the answer (Granted or Failed) carries it back.
   */
  'requestId': (number);
  'pool': (string);
}
