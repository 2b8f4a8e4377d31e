/**
 * What a `thinfleet` command is (its words, arguments, flags, help and examples, where it may go,
 * and what it does) and what it gets to work with (the agent or coordinator, the output, the
 * process's streams).
 */
import type { AgentClient, AgentConnectOptions, CoordinatorClient, CoordinatorConnectOptions } from '@thinfleet/client';
import type { CliIo } from './cli-io.js';
import type { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';
import type { ParsedArgs } from './parsed-args.js';

/** A flag a command (or the CLI as a whole) accepts. */
export interface OptionSpec {
  /** `boolean` flags take no value; `string` flags take one (`--size 10GiB` or `--size=10GiB`). */
  readonly type: 'boolean' | 'string';
  /** May be given more than once (`--device A --device B`); the values are kept in order. */
  readonly multiple?: boolean;
  /** A one-letter alias (`h` for `-h`). */
  readonly short?: string;
  /** The value's name in help (`SIZE`). */
  readonly placeholder?: string;
  /** Shown without brackets in the synopsis. Help only: the command itself checks it. */
  readonly required?: boolean;
  /** One line for help. */
  readonly description: string;
}

/** Option specs by long name (without the dashes). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The agent API as commands see it: every RPC method of AgentClient (on an agent or a coordinator). */
export type AgentConnection = Omit<AgentClient, 'target'>;

/** The coordinator's cluster service as commands see it: the methods of CoordinatorClient. */
export type ClusterConnection = Omit<CoordinatorClient, 'target'>;

/**
 * Makes the agent connection. runCli uses AgentClient.connect unless a test gives another (the
 * request-mapping tests record the requests the commands build).
 */
export type ConnectAgent = (target: string, options: AgentConnectOptions) => Promise<AgentConnection>;

/** Makes the agent-API connection to a coordinator; runCli uses AgentClient.connectCoordinator unless a test gives another. */
export type ConnectCoordinator = (address: string, options: CoordinatorConnectOptions) => Promise<AgentConnection>;

/** Makes the cluster-service connection to a coordinator; runCli uses CoordinatorClient.connect unless a test gives another. */
export type ConnectCluster = (address: string, options: CoordinatorConnectOptions) => Promise<ClusterConnection>;

/** What a command runs with. */
export interface CommandContext {
  readonly io: CliIo;
  readonly out: Output;
  /** The agent target as given (`--agent`, THINFLEET_AGENT or the default socket); null when the calls go to a coordinator. */
  readonly agentTarget: string | null;
  /** The coordinator address as given (`--coordinator` or THINFLEET_COORDINATOR); null when the calls go to an agent. */
  readonly coordinator: string | null;
  /**
   * Connects to the agent API on first use (later calls return the same connection): the agent,
   * or the coordinator when there is one. Commands call it only after checking their arguments,
   * so a usage error never reaches the server.
   */
  readonly agent: () => Promise<AgentConnection>;
  /**
   * Connects to the coordinator's cluster service on first use. Only for commands whose `via` is
   * `coordinator` (runCli has checked there is a coordinator); throws a UsageError otherwise.
   */
  readonly cluster: () => Promise<ClusterConnection>;
}

/** One `thinfleet` command. */
export interface CommandSpec {
  /** Its words: `['volume', 'create']`. */
  readonly words: readonly string[];
  /**
   * Its argument names for help and checking; bracketed ones are optional (`[POOL]`) and come
   * last. The parser refuses a line with one missing or one too many, so `run` gets exactly these.
   */
  readonly arguments: readonly string[];
  /** Its flags (the global ones are separate). */
  readonly options: OptionSpecs;
  /** One line for the command list. */
  readonly summary: string;
  /** More help: what it does, when it waits, what it prints. */
  readonly details?: string;
  /**
   * Where the command may go. `agent`: only to an agent (it changes one host's devices; refused
   * with a coordinator). `coordinator`: only through a coordinator (cluster commands; refused
   * without one). Absent: either, with the same RPCs.
   */
  readonly via?: 'agent' | 'coordinator';
  /** Example command lines, without the leading `thinfleet `. */
  readonly examples: readonly string[];
  /** Does the work; resolves to the exit code. Throws UsageError or AgentCallError on failure. */
  readonly run: (context: CommandContext, args: ParsedArgs) => Promise<ExitCode>;
}

/**
 * A message field the response must carry (`response.volume`); throws when the agent left it
 * out, which only a broken agent does.
 */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`the server's answer has no ${what}`);
  return value;
}
