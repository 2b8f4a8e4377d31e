/**
 * @thinfleet/cli: the `thinfleet` command, against the local agent or a cluster coordinator.
 * bin/thinfleet.mjs calls `runCli(argv, processIo())`; tests call runCli in-process with their
 * own CliIo.
 */
export { runCli, COMMANDS, DEFAULT_AGENT_SOCKET, type RunCliOptions } from './run-cli.js';
export { processIo, type CliIo } from './cli-io.js';
export { EXIT, type ExitCode } from './exit-codes.js';
export { UsageError } from './usage-error.js';
export type { AgentConnection, ClusterConnection, CommandContext, CommandSpec, ConnectAgent, ConnectCluster, ConnectCoordinator } from './command.js';
export { parseSize, formatBytes, formatPercent, MAX_SIZE_BYTES, SIZE_RULE } from './sizes.js';
export { parseBatchFile, MAX_BATCH_OPS, BATCH_OP_KINDS } from './batch-command.js';
export { formatTable, formatFields, type Column } from './table.js';
export { ProgressBar, progressLine } from './progress-bar.js';
