/**
 * What a `thinfleet` command is (its words, arguments, flags, help and examples, and what it
 * does) and what it gets to work with (the agent, the output, the process's streams).
 */
import type { AgentClient, AgentConnectOptions } from '@thinfleet/client';
import type { OptionSpecs, ParsedArgs } from './args.js';
import type { CliIo } from './cli-io.js';
import type { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

/** The agent as commands see it: every RPC method of AgentClient. */
export type AgentConnection = Omit<AgentClient, 'target'>;

/**
 * Makes the agent connection. runCli uses AgentClient.connect unless a test gives another (the
 * request-mapping tests record the requests the commands build).
 */
export type ConnectAgent = (target: string, options: AgentConnectOptions) => Promise<AgentConnection>;

/** What a command runs with. */
export interface CommandContext {
  readonly io: CliIo;
  readonly out: Output;
  /** The agent target as given (`--agent`, THINFLEET_AGENT or the default socket). */
  readonly agentTarget: string;
  /** `--coordinator` as given, or null. Recorded for cluster commands; none uses it yet. */
  readonly coordinator: string | null;
  /**
   * Connects to the agent on first use (later calls return the same connection). Commands call
   * it only after checking their arguments, so a usage error never reaches the agent.
   */
  readonly agent: () => Promise<AgentConnection>;
}

/** One `thinfleet` command. */
export interface CommandSpec {
  /** Its words: `['volume', 'create']`. */
  readonly words: readonly string[];
  /** Its argument names for help and checking; bracketed ones are optional (`[POOL]`). */
  readonly arguments: readonly string[];
  /** Its flags (the global ones are separate). */
  readonly options: OptionSpecs;
  /** One line for the command list. */
  readonly summary: string;
  /** More help: what it does, when it waits, what it prints. */
  readonly details?: string;
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
  if (value === null || value === undefined) throw new Error(`the agent's answer has no ${what}`);
  return value;
}
