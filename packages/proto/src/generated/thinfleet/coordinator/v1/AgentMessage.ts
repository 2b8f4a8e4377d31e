// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { Hello as _thinfleet_coordinator_v1_Hello, Hello__Output as _thinfleet_coordinator_v1_Hello__Output } from '../../../thinfleet/coordinator/v1/Hello.js';
import type { KeepAlive as _thinfleet_coordinator_v1_KeepAlive, KeepAlive__Output as _thinfleet_coordinator_v1_KeepAlive__Output } from '../../../thinfleet/coordinator/v1/KeepAlive.js';
import type { Take as _thinfleet_coordinator_v1_Take, Take__Output as _thinfleet_coordinator_v1_Take__Output } from '../../../thinfleet/coordinator/v1/Take.js';
import type { Release as _thinfleet_coordinator_v1_Release, Release__Output as _thinfleet_coordinator_v1_Release__Output } from '../../../thinfleet/coordinator/v1/Release.js';
import type { PoolReady as _thinfleet_coordinator_v1_PoolReady, PoolReady__Output as _thinfleet_coordinator_v1_PoolReady__Output } from '../../../thinfleet/coordinator/v1/PoolReady.js';
import type { PoolReport as _thinfleet_coordinator_v1_PoolReport, PoolReport__Output as _thinfleet_coordinator_v1_PoolReport__Output } from '../../../thinfleet/coordinator/v1/PoolReport.js';

export interface AgentMessage {
  'hello'?: (_thinfleet_coordinator_v1_Hello | null);
  'keepAlive'?: (_thinfleet_coordinator_v1_KeepAlive | null);
  'take'?: (_thinfleet_coordinator_v1_Take | null);
  'release'?: (_thinfleet_coordinator_v1_Release | null);
  'poolReady'?: (_thinfleet_coordinator_v1_PoolReady | null);
  'poolReport'?: (_thinfleet_coordinator_v1_PoolReport | null);
  'message'?: "hello"|"keepAlive"|"take"|"release"|"poolReady"|"poolReport";
}

export interface AgentMessage__Output {
  'hello'?: (_thinfleet_coordinator_v1_Hello__Output | null);
  'keepAlive'?: (_thinfleet_coordinator_v1_KeepAlive__Output | null);
  'take'?: (_thinfleet_coordinator_v1_Take__Output | null);
  'release'?: (_thinfleet_coordinator_v1_Release__Output | null);
  'poolReady'?: (_thinfleet_coordinator_v1_PoolReady__Output | null);
  'poolReport'?: (_thinfleet_coordinator_v1_PoolReport__Output | null);
  'message'?: "hello"|"keepAlive"|"take"|"release"|"poolReady"|"poolReport";
}
