/**
 * The shape most `thinfleet` commands share: check the arguments, make one agent call, print its
 * answer (the answer itself with --json, else a line or a table), exit 0. Written once here so
 * each such command declares only its help, its request, its call and its human text. Commands
 * that wait, stream, or print something other than the answer keep their own `run`.
 */
import type { AgentConnection, CommandSpec, OptionSpecs } from './command.js';
import { EXIT } from './exit-codes.js';
import type { ParsedArgs } from './parsed-args.js';

/** A one-call command: its help as CommandSpec has it, and the three steps of its `run`. */
export interface AgentCallSpec<Q, R extends object> extends Omit<CommandSpec, 'run' | 'options'> {
  /** Its flags; none when absent. */
  readonly options?: OptionSpecs;
  /** Checks the arguments and builds the request; a UsageError it throws leaves before any connection is made. */
  readonly request: (args: ParsedArgs) => Q;
  /** The one agent call. Not retried here: a failure propagates to runCli, which maps it to its exit code. */
  readonly call: (agent: AgentConnection, request: Q) => Promise<R>;
  /** The human text of the answer; `request` is there for the names it repeats. */
  readonly human: (response: R, request: Q, args: ParsedArgs) => string;
}

/**
 * Makes the CommandSpec of a one-call command. Its `run` prints the answer (with --json the answer
 * is the whole document), then the overprovisioning warning the answer may carry (human mode
 * only, on standard error), and returns EXIT.OK. Idempotent exactly as the call is.
 */
export function agentCallCommand<Q, R extends object>(spec: AgentCallSpec<Q, R>): CommandSpec {
  const { request, call, human, options = {}, ...help } = spec;
  return {
    ...help,
    options,
    async run(context, args) {
      const checked = request(args);
      const response = await call(await context.agent(), checked);
      context.out.result(response, () => human(response, checked, args));
      context.out.responseWarnings(response);
      return EXIT.OK;
    },
  };
}
