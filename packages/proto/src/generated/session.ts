import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Acquire as _thinfleet_coordinator_v1_Acquire, Acquire__Output as _thinfleet_coordinator_v1_Acquire__Output } from './thinfleet/coordinator/v1/Acquire.js';
import type { AgentMessage as _thinfleet_coordinator_v1_AgentMessage, AgentMessage__Output as _thinfleet_coordinator_v1_AgentMessage__Output } from './thinfleet/coordinator/v1/AgentMessage.js';
import type { Contention as _thinfleet_coordinator_v1_Contention, Contention__Output as _thinfleet_coordinator_v1_Contention__Output } from './thinfleet/coordinator/v1/Contention.js';
import type { CoordinatorMessage as _thinfleet_coordinator_v1_CoordinatorMessage, CoordinatorMessage__Output as _thinfleet_coordinator_v1_CoordinatorMessage__Output } from './thinfleet/coordinator/v1/CoordinatorMessage.js';
import type { Failed as _thinfleet_coordinator_v1_Failed, Failed__Output as _thinfleet_coordinator_v1_Failed__Output } from './thinfleet/coordinator/v1/Failed.js';
import type { Granted as _thinfleet_coordinator_v1_Granted, Granted__Output as _thinfleet_coordinator_v1_Granted__Output } from './thinfleet/coordinator/v1/Granted.js';
import type { Hello as _thinfleet_coordinator_v1_Hello, Hello__Output as _thinfleet_coordinator_v1_Hello__Output } from './thinfleet/coordinator/v1/Hello.js';
import type { HostPool as _thinfleet_coordinator_v1_HostPool, HostPool__Output as _thinfleet_coordinator_v1_HostPool__Output } from './thinfleet/coordinator/v1/HostPool.js';
import type { KeepAlive as _thinfleet_coordinator_v1_KeepAlive, KeepAlive__Output as _thinfleet_coordinator_v1_KeepAlive__Output } from './thinfleet/coordinator/v1/KeepAlive.js';
import type { KeepAliveAck as _thinfleet_coordinator_v1_KeepAliveAck, KeepAliveAck__Output as _thinfleet_coordinator_v1_KeepAliveAck__Output } from './thinfleet/coordinator/v1/KeepAliveAck.js';
import type { PoolReady as _thinfleet_coordinator_v1_PoolReady, PoolReady__Output as _thinfleet_coordinator_v1_PoolReady__Output } from './thinfleet/coordinator/v1/PoolReady.js';
import type { PoolReport as _thinfleet_coordinator_v1_PoolReport, PoolReport__Output as _thinfleet_coordinator_v1_PoolReport__Output } from './thinfleet/coordinator/v1/PoolReport.js';
import type { Release as _thinfleet_coordinator_v1_Release, Release__Output as _thinfleet_coordinator_v1_Release__Output } from './thinfleet/coordinator/v1/Release.js';
import type { Released as _thinfleet_coordinator_v1_Released, Released__Output as _thinfleet_coordinator_v1_Released__Output } from './thinfleet/coordinator/v1/Released.js';
import type { SessionLost as _thinfleet_coordinator_v1_SessionLost, SessionLost__Output as _thinfleet_coordinator_v1_SessionLost__Output } from './thinfleet/coordinator/v1/SessionLost.js';
import type { SessionServiceClient as _thinfleet_coordinator_v1_SessionServiceClient, SessionServiceDefinition as _thinfleet_coordinator_v1_SessionServiceDefinition } from './thinfleet/coordinator/v1/SessionService.js';
import type { Take as _thinfleet_coordinator_v1_Take, Take__Output as _thinfleet_coordinator_v1_Take__Output } from './thinfleet/coordinator/v1/Take.js';
import type { Welcome as _thinfleet_coordinator_v1_Welcome, Welcome__Output as _thinfleet_coordinator_v1_Welcome__Output } from './thinfleet/coordinator/v1/Welcome.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  thinfleet: {
    coordinator: {
      v1: {
        Acquire: MessageTypeDefinition<_thinfleet_coordinator_v1_Acquire, _thinfleet_coordinator_v1_Acquire__Output>
        AgentMessage: MessageTypeDefinition<_thinfleet_coordinator_v1_AgentMessage, _thinfleet_coordinator_v1_AgentMessage__Output>
        Contention: MessageTypeDefinition<_thinfleet_coordinator_v1_Contention, _thinfleet_coordinator_v1_Contention__Output>
        CoordinatorMessage: MessageTypeDefinition<_thinfleet_coordinator_v1_CoordinatorMessage, _thinfleet_coordinator_v1_CoordinatorMessage__Output>
        Failed: MessageTypeDefinition<_thinfleet_coordinator_v1_Failed, _thinfleet_coordinator_v1_Failed__Output>
        Granted: MessageTypeDefinition<_thinfleet_coordinator_v1_Granted, _thinfleet_coordinator_v1_Granted__Output>
        Hello: MessageTypeDefinition<_thinfleet_coordinator_v1_Hello, _thinfleet_coordinator_v1_Hello__Output>
        HostPool: MessageTypeDefinition<_thinfleet_coordinator_v1_HostPool, _thinfleet_coordinator_v1_HostPool__Output>
        KeepAlive: MessageTypeDefinition<_thinfleet_coordinator_v1_KeepAlive, _thinfleet_coordinator_v1_KeepAlive__Output>
        KeepAliveAck: MessageTypeDefinition<_thinfleet_coordinator_v1_KeepAliveAck, _thinfleet_coordinator_v1_KeepAliveAck__Output>
        PoolReady: MessageTypeDefinition<_thinfleet_coordinator_v1_PoolReady, _thinfleet_coordinator_v1_PoolReady__Output>
        PoolReport: MessageTypeDefinition<_thinfleet_coordinator_v1_PoolReport, _thinfleet_coordinator_v1_PoolReport__Output>
        Release: MessageTypeDefinition<_thinfleet_coordinator_v1_Release, _thinfleet_coordinator_v1_Release__Output>
        Released: MessageTypeDefinition<_thinfleet_coordinator_v1_Released, _thinfleet_coordinator_v1_Released__Output>
        SessionLost: MessageTypeDefinition<_thinfleet_coordinator_v1_SessionLost, _thinfleet_coordinator_v1_SessionLost__Output>
        SessionService: SubtypeConstructor<typeof grpc.Client, _thinfleet_coordinator_v1_SessionServiceClient> & { service: _thinfleet_coordinator_v1_SessionServiceDefinition }
        Take: MessageTypeDefinition<_thinfleet_coordinator_v1_Take, _thinfleet_coordinator_v1_Take__Output>
        Welcome: MessageTypeDefinition<_thinfleet_coordinator_v1_Welcome, _thinfleet_coordinator_v1_Welcome__Output>
      }
    }
  }
}

