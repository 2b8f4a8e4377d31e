/**
 * The `thinfleet` command as a function: parse the line, check it, connect to the agent only if
 * a command gets that far, run the command, and turn what happened into an exit code.
 */
import { AgentCallError, AgentClient, parseAgentTarget, type AgentConnectOptions, type AgentTarget } from '@thinfleet/client';
import { parseCommandLine, type OptionSpecs, type ParsedArgs } from './args.js';
import { BATCH_COMMAND } from './batch-command.js';
import type { CliIo } from './cli-io.js';
import type { AgentConnection, CommandContext, CommandSpec, ConnectAgent } from './command.js';
import { EXIT } from './exit-codes.js';
import { HEALTH_COMMAND } from './health-command.js';
import { commandHelp, GLOBAL_OPTIONS, globalHelp, groupHelp } from './help.js';
import { JOB_COMMANDS } from './job-commands.js';
import { Output } from './output.js';
import { POOL_COMMANDS } from './pool-commands.js';
import { REVISION_COMMANDS } from './revision-commands.js';
import { fieldError, UsageError } from './usage-error.js';
import { cliVersion } from './version.js';
import { VOLUME_COMMANDS } from './volume-commands.js';

/** Where the agent listens unless --agent or THINFLEET_AGENT says otherwise. */
export const DEFAULT_AGENT_SOCKET = '/run/thinfleet/agent.sock';

/** Every command, in help order. */
export const COMMANDS: readonly CommandSpec[] = [...POOL_COMMANDS, ...VOLUME_COMMANDS, ...REVISION_COMMANDS, BATCH_COMMAND, ...JOB_COMMANDS, HEALTH_COMMAND];

const BY_WORDS = new Map(COMMANDS.map((command) => [command.words.join(' '), command]));

function lookup(words: readonly string[]): OptionSpecs | 'group' | undefined {
  const command = BY_WORDS.get(words.join(' '));
  if (command !== undefined) return command.options;
  return COMMANDS.some((candidate) => words.every((word, index) => candidate.words[index] === word)) ? 'group' : undefined;
}

/** Options of runCli; tests only. */
export interface RunCliOptions {
  /** Makes the agent connection instead of AgentClient.connect. */
  readonly connect?: ConnectAgent;
}

/** The global flags, checked. */
interface Globals {
  readonly agentTarget: string;
  readonly coordinator: string | null;
  readonly connectOptions: AgentConnectOptions;
}

function checkGlobals(globals: ParsedArgs, env: CliIo['env']): Globals {
  const agentTarget = globals.string('agent') ?? (env['THINFLEET_AGENT'] || DEFAULT_AGENT_SOCKET);
  let target: AgentTarget;
  try {
    target = parseAgentTarget(agentTarget);
  } catch (err) {
    throw fieldError('--agent', (err as Error).message, err);
  }
  let deadlineMs: number | undefined;
  const timeout = globals.string('timeout');
  if (timeout !== undefined) {
    const seconds = /^\d+(\.\d+)?$/.test(timeout.trim()) ? Number(timeout) : Number.NaN;
    if (!(seconds > 0)) throw fieldError('--timeout', `"${timeout}" is not a number of seconds above 0`);
    deadlineMs = Math.max(1, Math.round(seconds * 1000));
  }
  const [caFile, certFile, keyFile] = [globals.string('tls-ca'), globals.string('tls-cert'), globals.string('tls-key')];
  let tls: AgentConnectOptions['tls'];
  if (target.kind === 'tcp') {
    const missing = Object.entries({ '--tls-ca': caFile, '--tls-cert': certFile, '--tls-key': keyFile }).find(([, value]) => value === undefined);
    if (missing !== undefined) {
      throw new UsageError(`--agent ${agentTarget} is a TCP address, which needs mutual TLS: give --tls-ca, --tls-cert and --tls-key`, { field: missing[0] });
    }
    tls = { caFile: caFile ?? '', certFile: certFile ?? '', keyFile: keyFile ?? '' };
  }
  const connectOptions: AgentConnectOptions = { ...(deadlineMs === undefined ? {} : { deadlineMs }), ...(tls === undefined ? {} : { tls }) };
  return { agentTarget, coordinator: globals.string('coordinator') ?? null, connectOptions };
}

/**
 * Runs `thinfleet` with `argv` (without the node and script paths) and resolves to the exit code
 * (see EXIT): it never rejects and never exits the process. Connects to the agent only when a
 * command has checked its arguments; closes the connection before resolving. What the command
 * changes in the agent is as idempotent as the RPC it makes; interrupting the process leaves the
 * agent to finish or roll back what it was asked.
 */
export async function runCli(argv: readonly string[], io: CliIo, options: RunCliOptions = {}): Promise<number> {
  const words = argv[0] === 'help' ? [...argv.slice(1), '--help'] : [...argv];
  let out = new Output(io, words.includes('--json'));
  let agentTarget = io.env['THINFLEET_AGENT'] || DEFAULT_AGENT_SOCKET;
  let connection: AgentConnection | null = null;
  try {
    const line = parseCommandLine(words, GLOBAL_OPTIONS, lookup);
    out = new Output(io, line.globals.flag('json'));
    if (line.globals.flag('version')) {
      io.stdout(`thinfleet ${cliVersion()}\n`);
      return EXIT.OK;
    }
    const command = line.complete ? BY_WORDS.get(line.words.join(' ')) : undefined;
    if (line.globals.flag('help')) {
      io.stdout(command !== undefined ? commandHelp(command) : line.words.length > 0 ? groupHelp(line.words[0] ?? '', COMMANDS) : globalHelp(COMMANDS));
      return EXIT.OK;
    }
    if (command === undefined) {
      io.stderr(line.words.length > 0 ? groupHelp(line.words[0] ?? '', COMMANDS) : globalHelp(COMMANDS));
      throw new UsageError(line.words.length > 0 ? `missing a ${line.words[0]} command` : 'missing a command');
    }
    const globals = checkGlobals(line.globals, io.env);
    agentTarget = globals.agentTarget;
    const connect = options.connect ?? AgentClient.connect;
    const context: CommandContext = {
      io,
      out,
      agentTarget,
      coordinator: globals.coordinator,
      agent: async () => {
        if (connection === null) {
          try {
            connection = await connect(agentTarget, globals.connectOptions);
          } catch (err) {
            if (err instanceof AgentCallError) throw err;
            throw new UsageError(`cannot set up the connection to ${agentTarget}: ${(err as Error).message}`, { cause: err });
          }
        }
        return connection;
      },
    };
    return await command.run(context, line.args);
  } catch (err) {
    return out.error(err, agentTarget);
  } finally {
    (connection as AgentConnection | null)?.close();
  }
}
