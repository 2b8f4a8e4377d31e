/**
 * The command line, parsed by commander: global flags anywhere, then the command words
 * (`volume create`), then the command's own flags and arguments in any order. The commander tree
 * is built from the command specs (command.ts stays the one place a command is declared) and
 * never writes or exits on its own: each of its errors becomes a UsageError naming the flag or
 * argument at fault, with the messages the CLI has always printed.
 */
import { Command, Option, type CommanderError } from 'commander';
import type { CommandSpec, OptionSpec, OptionSpecs } from './command.js';
import { ParsedArgs, type FlagValue } from './parsed-args.js';
import { UsageError } from './usage-error.js';

/** The result of parsing a whole command line. */
export interface CommandLine {
  /** The command words as far as they were given (`['volume', 'create']`, `['pool']`, `[]`). */
  readonly words: readonly string[];
  /** Global flag values by name. */
  readonly globals: ParsedArgs;
  /** The command the words name; undefined when they name only a group (`pool`) or nothing. */
  readonly command: CommandSpec | undefined;
  /** The command's own flags and arguments (empty when no command was resolved). */
  readonly args: ParsedArgs;
  /**
   * A missing argument or one too many. Reported only after --version, --help and the route have
   * been checked (so `thinfleet volume delete --help` is help, not an error); null when none.
   */
  readonly argumentError: UsageError | null;
}

/** One node of the tree: the commander command, its words, the flags it declares and its spec (leaves only). */
interface Node {
  readonly command: Command;
  readonly words: readonly string[];
  readonly options: ReadonlyArray<readonly [string, OptionSpec, Option]>;
  readonly spec: CommandSpec | undefined;
}

/** Where parsing stopped short of a whole command, without an error of its own (a group without its command, or an argument count). */
class Reached extends Error {
  constructor(
    readonly node: Node,
    readonly argumentError: UsageError | null,
  ) {
    super(`parsing stopped at "${node.words.join(' ')}"`);
  }
}

/**
 * Parses `argv` (without the node and script paths) against `commands` and the global flags.
 * Pure: writes nothing, never exits, reads no file. Throws a UsageError for an unknown command or
 * flag, a flag without its value, a value given to a boolean flag, or a single-valued flag given
 * twice. Everything else (which command, whether help or the version was asked for, a wrong
 * number of arguments) is in the result for the caller to act on in its own order.
 */
export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[], globalSpecs: OptionSpecs): CommandLine {
  const root = makeNode(new Command('thinfleet'), [], globalSpecs, undefined, globalSpecs);
  const reached: { node: Node | null } = { node: null };
  const nodes = new Map<string, Node>([['', root]]);
  for (const spec of commands) {
    let parent = root;
    spec.words.forEach((word, index) => {
      const words = spec.words.slice(0, index + 1);
      const leaf = index === spec.words.length - 1;
      const known = nodes.get(words.join(' '));
      const node = known ?? makeNode(new Command(word), words, leaf ? spec.options : {}, leaf ? spec : undefined, globalSpecs);
      if (known === undefined) {
        nodes.set(words.join(' '), node);
        parent.command.addCommand(node.command);
      }
      if (leaf) {
        for (const name of spec.arguments) node.command.argument(name);
        node.command.action(() => {
          reached.node = node;
        });
      }
      parent = node;
    });
  }
  let argumentError: UsageError | null = null;
  try {
    root.command.parse([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof Reached)) throw err;
    reached.node = err.node;
    argumentError = err.argumentError;
  }
  const node = reached.node ?? root;
  return {
    words: node.words,
    globals: view(root, []),
    command: node.spec,
    args: node === root ? new ParsedArgs([], new Map()) : view(node, node.command.args),
    argumentError,
  };
}

/** A commander command for `words`, declaring `specs` as its flags; silent, and throwing instead of exiting. */
function makeNode(command: Command, words: readonly string[], specs: OptionSpecs, spec: CommandSpec | undefined, globalSpecs: OptionSpecs): Node {
  const options = Object.entries(specs).map(([name, flag]) => [name, flag, flagOption(command, name, flag)] as const);
  const node: Node = { command, words, spec, options };
  for (const [, , option] of options) command.addOption(option);
  command
    .helpOption(false)
    .helpCommand(false)
    .showSuggestionAfterError(false)
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined })
    .exitOverride((err) => {
      throw usageProblem(err, node, { ...globalSpecs, ...specs });
    });
  return node;
}

/** The commander option for one flag spec: `--size <SIZE>`, `-h, --help`; a single-valued flag refuses a second value. */
function flagOption(command: Command, name: string, spec: OptionSpec): Option {
  const short = spec.short === undefined ? '' : `-${spec.short}, `;
  const value = spec.type === 'string' ? ` <${spec.placeholder ?? 'VALUE'}>` : '';
  const option = new Option(`${short}--${name}${value}`, spec.description);
  if (spec.type === 'string' && spec.multiple === true) {
    option.argParser((text: string, previous: readonly string[] | undefined) => [...(previous ?? []), text]);
  } else if (spec.type === 'string') {
    option.argParser((text: string) => {
      if (command.getOptionValueSource(option.attributeName()) === 'cli') throw new UsageError(`--${name} given more than once`, { field: `--${name}` });
      return text;
    });
  }
  return option;
}

/** The flags given to `node` (commander keeps defaults for `--no-*` flags; only those from the line count) and `positionals`. */
function view(node: Node, positionals: readonly string[]): ParsedArgs {
  const values = new Map<string, FlagValue>();
  for (const [name, spec, option] of node.options) {
    const key = option.attributeName();
    if (node.command.getOptionValueSource(key) !== 'cli') continue;
    values.set(name, spec.type === 'boolean' ? true : (node.command.getOptionValue(key) as string | readonly string[]));
  }
  return new ParsedArgs([...positionals], values);
}

/** The flag commander quoted in its message (`error: unknown option '--bogus'`), or the fallback. */
function quoted(message: string, fallback: string): string {
  return /'([^']*)'/.exec(message)?.[1] ?? fallback;
}

/**
 * Turns what commander reports into the CLI's own outcome: a Reached for a group without its
 * command or a wrong number of arguments, a UsageError for the rest. `specs` are the flags known
 * where the error arose (the global ones and the command's). Commander passes the flag at fault
 * only inside its message (`unknown option '--bogus'`, `option '--device <PATH>' argument
 * missing`), so those two are read from there; command-line.test.ts and cli-errors.test.ts pin
 * the resulting messages, so a change of commander's wording fails them rather than going unseen.
 */
function usageProblem(err: CommanderError, node: Node, specs: OptionSpecs): Reached | UsageError {
  const { command, words } = node;
  switch (err.code) {
    case 'commander.help':
      // A group (or the whole CLI) without its command: commander would print help and exit.
      return new Reached(node, null);
    case 'commander.missingArgument': {
      const index = command.registeredArguments.findIndex((argument, at) => argument.required && command.args[at] === undefined);
      const name = node.spec?.arguments[index] ?? quoted(err.message, 'an argument');
      return new Reached(node, new UsageError(`missing ${name}`, { field: name }));
    }
    case 'commander.excessArguments':
      return new Reached(node, new UsageError(`unexpected argument "${command.args[command.registeredArguments.length] ?? ''}"`));
    case 'commander.unknownCommand': {
      const group = words.length === 0 ? '' : `${words.join(' ')} `;
      return new UsageError(`unknown ${group}command "${command.args[0] ?? ''}" (see thinfleet ${group}--help)`);
    }
    case 'commander.unknownOption': {
      const token = quoted(err.message, '-');
      if (!token.startsWith('--')) return new UsageError(`unknown flag ${token}`, { field: token });
      const equals = token.indexOf('=');
      const name = equals === -1 ? token.slice(2) : token.slice(2, equals);
      if (equals !== -1 && specs[name]?.type === 'boolean') return new UsageError(`--${name} takes no value`, { field: `--${name}` });
      const where = words.length === 0 ? '' : ` for thinfleet ${words.join(' ')}`;
      return new UsageError(`unknown flag --${name}${where}`, { field: `--${name}` });
    }
    case 'commander.optionMissingArgument': {
      const name = /--[^ ,'<]+/.exec(err.message)?.[0]?.slice(2) ?? '';
      return new UsageError(`--${name} needs a value (${specs[name]?.placeholder ?? 'VALUE'})`, { field: `--${name}` });
    }
    default:
      return new UsageError(err.message.replace(/^error: /, ''), { cause: err });
  }
}
