/**
 * @thinfleet/proto: the agent's and the coordinator's gRPC APIs. `loadAgentApi()` gives the service definitions and
 * client classes; the message types (generated from proto/ by `npm run generate`, checked in)
 * are exported by name: `Volume__Output` is what grpc-js hands over, `Volume` what it accepts.
 */
export * from './generated/index.js';
export { agentPackageDefinition, loadAgentApi, SERVICE_NAMES, type AgentApi } from './agent-api.js';
export { LOAD_OPTIONS, PROTO_FILES, PROTO_ROOT } from './load-options.js';
export { shutdownServer } from './server-shutdown.js';
export { COORDINATOR_SERVICE_NAMES, loadCoordinatorApi, type CoordinatorApi } from './coordinator-api.js';
export { boundedDetails, decodeTrailerValue, encodeTrailerValue, MAX_STATUS_DETAILS_BYTES, MAX_TRAILER_VALUE_BYTES } from './trailer-values.js';
export {
  anyString,
  quote,
  firstConfigProblem,
  hostPortSchema,
  nonEmptyString,
  optionalKeys,
  parseConfig,
  parseDaemonFlags,
  readConfigFile,
  says,
  splitHostPort,
  strictSection,
  tlsFilesSchema,
  tlsFilesShape,
  type ConfigProblem,
  type DaemonFlagsIo,
  type TlsFiles,
} from './config-schema.js';
export { ERROR_TRAILER_KEYS, LOCK_TOKEN_METADATA, POOL_NAME_PATTERN } from './wire-constants.js';
export { decodeListVolumesResponse } from './volume-list-decoder.js';
export { encodeListVolumesResponse, LIST_VOLUMES_RESPONSE_ENCODED_FIELDS, VOLUME_ENCODED_FIELDS, type EncodedField, type EncodedFieldKind } from './volume-list-encoder.js';
