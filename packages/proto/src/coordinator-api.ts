/**
 * The coordinator's gRPC services (`thinfleet.coordinator.v1`), loaded from the same package
 * definition as the agent's: a coordinator also serves the agent's Pool, Volume and Job services,
 * routing each call to the host that holds the pool.
 */
import { loadPackageDefinition, type GrpcObject } from '@grpc/grpc-js';
import { agentPackageDefinition } from './agent-api.js';
import type { ProtoGrpcType as ClusterProto } from './generated/cluster.js';
import type { ProtoGrpcType as SessionProto } from './generated/session.js';

type Loaded = SessionProto & ClusterProto;
type V1 = Loaded['thinfleet']['coordinator']['v1'];

export interface CoordinatorApi {
  readonly SessionService: V1['SessionService'];
  readonly ClusterService: V1['ClusterService'];
}

/** The fully qualified names of the coordinator's own services. */
export const COORDINATOR_SERVICE_NAMES = ['thinfleet.coordinator.v1.SessionService', 'thinfleet.coordinator.v1.ClusterService'] as const;

let cached: CoordinatorApi | null = null;

/** Loads (once per process) and returns the coordinator's services. Throws if proto/ is unreadable. */
export function loadCoordinatorApi(): CoordinatorApi {
  if (cached !== null) return cached;
  const loaded = loadPackageDefinition(agentPackageDefinition()) as unknown as Loaded & GrpcObject;
  const v1 = loaded.thinfleet.coordinator.v1;
  cached = { SessionService: v1.SessionService, ClusterService: v1.ClusterService };
  return cached;
}
