// Original file: proto/thinfleet/coordinator/v1/session.proto

import type { Welcome as _thinfleet_coordinator_v1_Welcome, Welcome__Output as _thinfleet_coordinator_v1_Welcome__Output } from '../../../thinfleet/coordinator/v1/Welcome.js';
import type { KeepAliveAck as _thinfleet_coordinator_v1_KeepAliveAck, KeepAliveAck__Output as _thinfleet_coordinator_v1_KeepAliveAck__Output } from '../../../thinfleet/coordinator/v1/KeepAliveAck.js';
import type { Granted as _thinfleet_coordinator_v1_Granted, Granted__Output as _thinfleet_coordinator_v1_Granted__Output } from '../../../thinfleet/coordinator/v1/Granted.js';
import type { Released as _thinfleet_coordinator_v1_Released, Released__Output as _thinfleet_coordinator_v1_Released__Output } from '../../../thinfleet/coordinator/v1/Released.js';
import type { Failed as _thinfleet_coordinator_v1_Failed, Failed__Output as _thinfleet_coordinator_v1_Failed__Output } from '../../../thinfleet/coordinator/v1/Failed.js';
import type { Contention as _thinfleet_coordinator_v1_Contention, Contention__Output as _thinfleet_coordinator_v1_Contention__Output } from '../../../thinfleet/coordinator/v1/Contention.js';
import type { SessionLost as _thinfleet_coordinator_v1_SessionLost, SessionLost__Output as _thinfleet_coordinator_v1_SessionLost__Output } from '../../../thinfleet/coordinator/v1/SessionLost.js';
import type { Acquire as _thinfleet_coordinator_v1_Acquire, Acquire__Output as _thinfleet_coordinator_v1_Acquire__Output } from '../../../thinfleet/coordinator/v1/Acquire.js';

export interface CoordinatorMessage {
  'welcome'?: (_thinfleet_coordinator_v1_Welcome | null);
  'keepAliveAck'?: (_thinfleet_coordinator_v1_KeepAliveAck | null);
  'granted'?: (_thinfleet_coordinator_v1_Granted | null);
  'released'?: (_thinfleet_coordinator_v1_Released | null);
  'failed'?: (_thinfleet_coordinator_v1_Failed | null);
  'contention'?: (_thinfleet_coordinator_v1_Contention | null);
  'sessionLost'?: (_thinfleet_coordinator_v1_SessionLost | null);
  'acquire'?: (_thinfleet_coordinator_v1_Acquire | null);
  'message'?: "welcome"|"keepAliveAck"|"granted"|"released"|"failed"|"contention"|"sessionLost"|"acquire";
}

export interface CoordinatorMessage__Output {
  'welcome'?: (_thinfleet_coordinator_v1_Welcome__Output | null);
  'keepAliveAck'?: (_thinfleet_coordinator_v1_KeepAliveAck__Output | null);
  'granted'?: (_thinfleet_coordinator_v1_Granted__Output | null);
  'released'?: (_thinfleet_coordinator_v1_Released__Output | null);
  'failed'?: (_thinfleet_coordinator_v1_Failed__Output | null);
  'contention'?: (_thinfleet_coordinator_v1_Contention__Output | null);
  'sessionLost'?: (_thinfleet_coordinator_v1_SessionLost__Output | null);
  'acquire'?: (_thinfleet_coordinator_v1_Acquire__Output | null);
  'message'?: "welcome"|"keepAliveAck"|"granted"|"released"|"failed"|"contention"|"sessionLost"|"acquire";
}
