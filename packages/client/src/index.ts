/**
 * @thinfleet/client: typed promise clients for the thinfleet agent API (on an agent, or routed by
 * a cluster coordinator) and for the coordinator's cluster service, with deadlines and typed
 * errors. Start with `AgentClient.connect`, `AgentClient.connectCoordinator` or
 * `CoordinatorClient.connect`.
 */
export {
  AgentClient,
  CLIENT_CHANNEL_OPTIONS,
  DEFAULT_DEADLINE_MS,
  PLACEMENT_HOST_METADATA,
  type AgentCallOptions,
  type AgentConnectOptions,
  type AgentTlsFiles,
  type CoordinatorConnectOptions,
  type RetryOptions,
  type ServingStatus,
} from './agent-client.js';
export { AgentCallError, ERROR_TRAILERS, statusName, toAgentCallError } from './agent-call-error.js';
export { parseAgentTarget, type AgentTarget } from './agent-target.js';
export { type AgentListRpc, type AgentRpc, type AgentRpcs } from './agent-rpcs.js';
export { CoordinatorClient, type CoordinatorCallOptions } from './coordinator-client.js';
export { DEFAULT_COORDINATOR_PORT, isLoopbackHost, parseCoordinatorTarget, type CoordinatorTarget } from './coordinator-target.js';
export { type TlsFiles } from './tls-credentials.js';
