/**
 * @thinfleet/client: a typed promise client for the thinfleet agent, with deadlines and typed
 * errors. Start with `AgentClient.connect`.
 */
export {
  AgentClient,
  DEFAULT_DEADLINE_MS,
  type AgentCallOptions,
  type AgentConnectOptions,
  type AgentTlsFiles,
  type ServingStatus,
} from './agent-client.js';
export { AgentCallError, ERROR_TRAILERS, statusName, toAgentCallError } from './agent-call-error.js';
export { parseAgentTarget, type AgentTarget } from './agent-target.js';
