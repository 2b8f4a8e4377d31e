/**
 * @thinfleet/agent: the per-host daemon. `Agent.start(config)` serves pools and volumes over
 * gRPC; `agentMain(argv)` is the `thinfleet-agent` command.
 */
export { Agent, AGENT_VERSION, type AgentStartOptions } from './agent.js';
export { agentMain } from './agent-main.js';
export type { CallStage, CallStageSink } from './call-stages.js';
export { AgentConfigError, DEFAULT_AGENT_CONFIG, DEFAULT_CONFIG_FILE, loadAgentConfig, resolveAgentConfig, type AgentConfig, type DmBackendKind, type TcpConfig } from './agent-config.js';
export { AgentError, ERROR_METADATA, toServiceError, type AgentErrorCode } from './agent-error.js';
