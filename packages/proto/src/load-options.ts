/**
 * How the agent's .proto files are turned into JS objects at run time. scripts/generate.mjs
 * passes the same choices to the type generator, so the generated types describe these objects:
 * 64-bit integers as JS numbers (every size the API carries is below 2^53), enums as their
 * names, defaults for absent scalar fields, and `op` naming the set field of a oneof.
 */
import { fileURLToPath } from 'node:url';
import type { Options } from '@grpc/proto-loader';

/** The repository's proto/ directory. */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));

/** The API's files (the agent's and the coordinator's), relative to PROTO_ROOT. */
export const PROTO_FILES: readonly string[] = [
  'thinfleet/agent/v1/pool.proto',
  'thinfleet/agent/v1/volume.proto',
  'thinfleet/agent/v1/job.proto',
  'thinfleet/agent/v1/device_snapshot.proto',
  'thinfleet/agent/v1/volume_transfer.proto',
  'grpc/health/v1/health.proto',
  'thinfleet/coordinator/v1/session.proto',
  'thinfleet/coordinator/v1/cluster.proto',
];

export const LOAD_OPTIONS: Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};
