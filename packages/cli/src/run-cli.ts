/**
 * The `thinfleet` command as a function: parse the line, check it, choose the agent or the
 * coordinator, connect only if a command gets that far, run the command, and turn what happened
 * into an exit code.
 */
import { AgentCallError, AgentClient, CoordinatorClient } from '@thinfleet/client';
import { BATCH_COMMAND } from './batch-command.js';
import type { CliIo } from './cli-io.js';
import { CLUSTER_COMMANDS } from './cluster-commands.js';
import type { AgentConnection, ClusterConnection, CommandContext, CommandSpec, ConnectAgent, ConnectCluster, ConnectCoordinator } from './command.js';
import { parseCommandLine } from './command-line.js';
import { DEMO_COMMAND } from './demo/demo-command.js';
import { EXIT } from './exit-codes.js';
import { HEALTH_COMMAND } from './health-command.js';
import { commandHelp, GLOBAL_OPTIONS, globalHelp, groupHelp } from './help.js';
import { DEVICE_SNAPSHOT_COMMANDS } from './device-snapshot-commands.js';
import { JOB_COMMANDS } from './job-commands.js';
import { Output } from './output.js';
import { POOL_COMMANDS } from './pool-commands.js';
import { REVISION_COMMANDS } from './revision-commands.js';
import { defaultEndpoint, resolveRoute, type Endpoint, type Route } from './route.js';
import { UsageError } from './usage-error.js';
import { cliVersion } from './version.js';
import { VOLUME_COMMANDS } from './volume-commands.js';
import { VOLUME_DATA_COMMANDS } from './volume-data-commands.js';
import { VOLUME_IMAGE_COMMANDS } from './volume-image-commands.js';
import { VOLUME_COPY_COMMANDS } from './volume-copy-commands.js';
import { VOLUME_MOVE_COMMANDS } from './volume-move-commands.js';
import { VOLUME_DIFF_COMMAND } from './volume-diff-command.js';

export { DEFAULT_AGENT_SOCKET } from './route.js';

/** Every command, in help order. */
export const COMMANDS: readonly CommandSpec[] = [
  ...POOL_COMMANDS,
  ...VOLUME_COMMANDS,
  ...VOLUME_DATA_COMMANDS,
  ...VOLUME_IMAGE_COMMANDS,
  ...VOLUME_COPY_COMMANDS,
  ...VOLUME_MOVE_COMMANDS,
  VOLUME_DIFF_COMMAND,
  ...REVISION_COMMANDS,
  ...DEVICE_SNAPSHOT_COMMANDS,
  BATCH_COMMAND,
  ...JOB_COMMANDS,
  HEALTH_COMMAND,
  ...CLUSTER_COMMANDS,
  DEMO_COMMAND,
];

/** Options of runCli; tests only. Each defaults to the real client. */
export interface RunCliOptions {
  /** Makes the agent connection instead of AgentClient.connect. */
  readonly connect?: ConnectAgent;
  /** Makes the agent-API connection to a coordinator instead of AgentClient.connectCoordinator. */
  readonly connectCoordinator?: ConnectCoordinator;
  /** Makes the cluster-service connection to a coordinator instead of CoordinatorClient.connect. */
  readonly connectCluster?: ConnectCluster;
}

/** Refuses a command that cannot go where the route leads, before anything is sent. */
function checkVia(command: CommandSpec, route: Route): void {
  const name = `thinfleet ${command.words.join(' ')}`;
  if (command.via === 'agent' && route.kind === 'coordinator') {
    const set = route.fromEnv ? ' (THINFLEET_COORDINATOR is set; --agent overrides it)' : '';
    throw new UsageError(`${name} changes the devices of one host, so it goes to that host's agent, not through the coordinator: run it on that host with --agent SOCKET|ADDR${set}`, {
      field: '--coordinator',
    });
  }
  if (command.via === 'coordinator' && route.kind === 'agent') {
    throw new UsageError(`${name} asks the cluster coordinator: give --coordinator ADDR (or set THINFLEET_COORDINATOR)`, { field: '--coordinator' });
  }
}

/** Runs `make`, turning a failure to set the connection up (bad PEM file...) into a usage error. */
async function setUp<T>(address: string, make: () => Promise<T>): Promise<T> {
  try {
    return await make();
  } catch (err) {
    if (err instanceof AgentCallError) throw err;
    throw new UsageError(`cannot set up the connection to ${address}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Runs `thinfleet` with `argv` (without the node and script paths) and resolves to the exit code
 * (see EXIT): it never rejects and never exits the process. Connects to the agent (or the
 * coordinator) only when a command has checked its arguments; closes every connection before
 * resolving. What the command changes is as idempotent as the RPC it makes; interrupting the
 * process leaves the agent to finish or roll back what it was asked.
 */
export async function runCli(argv: readonly string[], io: CliIo, options: RunCliOptions = {}): Promise<number> {
  const words = argv[0] === 'help' ? [...argv.slice(1), '--help'] : [...argv];
  let out = new Output(io, words.includes('--json'));
  let endpoint: Endpoint = defaultEndpoint(io.env);
  let connection: AgentConnection | null = null;
  let clusterConnection: ClusterConnection | null = null;
  try {
    const line = parseCommandLine(words, COMMANDS, GLOBAL_OPTIONS);
    out = new Output(io, line.globals.flag('json'));
    if (line.globals.flag('version')) {
      io.stdout(`thinfleet ${cliVersion()}\n`);
      return EXIT.OK;
    }
    const command = line.command;
    if (line.globals.flag('help')) {
      io.stdout(command !== undefined ? commandHelp(command) : line.words.length > 0 ? groupHelp(line.words[0] ?? '', COMMANDS) : globalHelp(COMMANDS));
      return EXIT.OK;
    }
    if (command === undefined) {
      io.stderr(line.words.length > 0 ? groupHelp(line.words[0] ?? '', COMMANDS) : globalHelp(COMMANDS));
      throw new UsageError(line.words.length > 0 ? `missing a ${line.words[0]} command` : 'missing a command');
    }
    const route = resolveRoute(line.globals, io.env);
    endpoint = { kind: route.kind, address: route.address };
    checkVia(command, route);
    if (line.argumentError !== null) throw line.argumentError;
    const context: CommandContext = {
      io,
      out,
      agentTarget: route.kind === 'agent' ? route.address : null,
      coordinator: route.kind === 'coordinator' ? route.address : null,
      agent: async () => {
        if (connection === null) {
          if (route.kind === 'agent') {
            const connect = options.connect ?? ((address, opts) => AgentClient.connect(address, opts));
            connection = await setUp(route.address, () => connect(route.address, route.options));
          } else {
            const connect = options.connectCoordinator ?? ((address, opts) => AgentClient.connectCoordinator(address, opts));
            connection = await setUp(route.address, () => connect(route.address, route.options));
          }
        }
        return connection;
      },
      cluster: async () => {
        if (route.kind !== 'coordinator') throw new UsageError('this command needs --coordinator ADDR', { field: '--coordinator' });
        if (clusterConnection === null) {
          const connect = options.connectCluster ?? ((address, opts) => CoordinatorClient.connect(address, opts));
          clusterConnection = await setUp(route.address, () => connect(route.address, route.options));
        }
        return clusterConnection;
      },
    };
    return await command.run(context, line.args);
  } catch (err) {
    return out.error(err, endpoint);
  } finally {
    (connection as AgentConnection | null)?.close();
    (clusterConnection as ClusterConnection | null)?.close();
  }
}
