/**
 * The agent's gRPC services, loaded from proto/ with the options the generated types assume.
 * Servers register handlers against `definition`; clients construct `client` classes.
 */
import { loadPackageDefinition, type GrpcObject } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import type { ProtoGrpcType as HealthProto } from './generated/health.js';
import type { ProtoGrpcType as JobProto } from './generated/job.js';
import type { ProtoGrpcType as DeviceSnapshotProto } from './generated/device_snapshot.js';
import type { ProtoGrpcType as PoolProto } from './generated/pool.js';
import type { ProtoGrpcType as VolumeProto } from './generated/volume.js';
import type { ProtoGrpcType as VolumeTransferProto } from './generated/volume_transfer.js';
import { LOAD_OPTIONS, PROTO_FILES } from './load-options.js';

type Loaded = PoolProto & VolumeProto & JobProto & DeviceSnapshotProto & HealthProto & VolumeTransferProto;
type V1 = Loaded['thinfleet']['agent']['v1'];
type HealthV1 = Loaded['grpc']['health']['v1'];

export interface AgentApi {
  readonly PoolService: V1['PoolService'];
  readonly VolumeService: V1['VolumeService'];
  readonly JobService: V1['JobService'];
  readonly DeviceSnapshotService: V1['DeviceSnapshotService'];
  /** How a copy's destination reads a source another host holds (through the coordinator). */
  readonly VolumeTransferService: V1['VolumeTransferService'];
  readonly Health: HealthV1['Health'];
}

/** The fully qualified names the health service reports on (besides "" for the whole server). */
export const SERVICE_NAMES = ['thinfleet.agent.v1.PoolService', 'thinfleet.agent.v1.VolumeService', 'thinfleet.agent.v1.JobService', 'thinfleet.agent.v1.DeviceSnapshotService'] as const;

let cached: AgentApi | null = null;
let definition: PackageDefinition | null = null;

/**
 * The loaded package definition: every service and message by fully qualified name, with the
 * descriptors of message types (for checks on the raw wire format).
 */
export function agentPackageDefinition(): PackageDefinition {
  definition ??= loadSync([...PROTO_FILES], LOAD_OPTIONS);
  return definition;
}

/** Loads (once per process) and returns the agent's services. Throws if proto/ is unreadable. */
export function loadAgentApi(): AgentApi {
  if (cached !== null) return cached;
  const definition = agentPackageDefinition();
  const loaded = loadPackageDefinition(definition) as unknown as Loaded & GrpcObject;
  const v1 = loaded.thinfleet.agent.v1;
  cached = {
    PoolService: v1.PoolService,
    VolumeService: v1.VolumeService,
    JobService: v1.JobService,
    DeviceSnapshotService: v1.DeviceSnapshotService,
    VolumeTransferService: v1.VolumeTransferService,
    Health: loaded.grpc.health.v1.Health,
  };
  return cached;
}
