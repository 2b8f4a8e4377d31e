/**
 * The command line: global flags anywhere, then the command words (`volume create`), then the
 * command's own flags and arguments in any order. A small parser of our own so that every
 * mistake becomes a UsageError naming the flag or argument at fault.
 */
import { parseSize } from './sizes.js';
import { fieldError, UsageError } from './usage-error.js';

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

/** What the parser found for one command. */
export class ParsedArgs {
  /** The command's arguments, in order. */
  readonly positionals: readonly string[];
  private readonly values: ReadonlyMap<string, string | true | readonly string[]>;

  constructor(positionals: readonly string[], values: ReadonlyMap<string, string | true | readonly string[]>) {
    this.positionals = positionals;
    this.values = values;
  }

  /** Whether a boolean flag was given. */
  flag(name: string): boolean {
    return this.values.get(name) === true;
  }

  /** A single-valued flag's value, or undefined when it was not given. */
  string(name: string): string | undefined {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  /** A repeatable flag's values in order; empty when it was not given. */
  strings(name: string): readonly string[] {
    const value = this.values.get(name);
    return Array.isArray(value) ? value : [];
  }

  /** A size flag in bytes, or undefined when not given; a UsageError naming the flag when malformed. */
  size(name: string): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    try {
      return parseSize(text);
    } catch (err) {
      throw fieldError(`--${name}`, (err as Error).message, err);
    }
  }
}

/** The result of parsing a whole command line. */
export interface CommandLine {
  /** The command words as far as they were given (`['volume', 'create']`, `['pool']`, `[]`). */
  readonly words: readonly string[];
  /** Global flag values by name. */
  readonly globals: ParsedArgs;
  /** The command's own flags and arguments (empty when no command was resolved). */
  readonly args: ParsedArgs;
  /** True when the resolved words name a whole command, not just a group. */
  readonly complete: boolean;
}

/**
 * Splits `argv` into global flags, command words and the command's flags and arguments.
 * `lookup(words)` returns the option specs of the command those words name, `'group'` when they
 * are the start of some command, or undefined when no command starts so. Throws a UsageError for
 * an unknown command or flag, a flag missing its value, or a value given to a boolean flag.
 */
export function parseCommandLine(
  argv: readonly string[],
  globalSpecs: OptionSpecs,
  lookup: (words: readonly string[]) => OptionSpecs | 'group' | undefined,
): CommandLine {
  const words: string[] = [];
  const positionals: string[] = [];
  const globalValues = new Map<string, string | true | string[]>();
  const commandValues = new Map<string, string | true | string[]>();
  // The resolved command's flags; null while the words name no whole command yet.
  const resolved: { specs: OptionSpecs | null } = { specs: null };
  let optionsEnded = false;

  const takeWord = (word: string): void => {
    if (resolved.specs !== null) {
      positionals.push(word);
      return;
    }
    const found = lookup([...words, word]);
    if (found === undefined) {
      const group = words.length === 0 ? '' : `${words.join(' ')} `;
      throw new UsageError(`unknown ${group}command "${word}" (see thinfleet ${group}--help)`);
    }
    words.push(word);
    if (found !== 'group') resolved.specs = found;
  };

  const specFor = (name: string): OptionSpec | undefined => globalSpecs[name] ?? resolved.specs?.[name];

  for (let index = 0; index < argv.length; index += 1) {
    const token = argv[index] ?? '';
    if (optionsEnded || token === '-' || !token.startsWith('-')) {
      takeWord(token);
      continue;
    }
    if (token === '--') {
      optionsEnded = true;
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (token.startsWith('--')) {
      const equals = token.indexOf('=');
      name = equals === -1 ? token.slice(2) : token.slice(2, equals);
      inline = equals === -1 ? undefined : token.slice(equals + 1);
    } else {
      const long = findShort(globalSpecs, token.slice(1)) ?? (resolved.specs === null ? undefined : findShort(resolved.specs, token.slice(1)));
      if (long === undefined) throw new UsageError(`unknown flag ${token}`, { field: token });
      name = long;
    }
    const spec = specFor(name);
    if (spec === undefined) {
      const where = words.length === 0 ? '' : ` for thinfleet ${words.join(' ')}`;
      throw new UsageError(`unknown flag --${name}${where}`, { field: `--${name}` });
    }
    const values = globalSpecs[name] !== undefined ? globalValues : commandValues;
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`, { field: `--${name}` });
      values.set(name, true);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      index += 1;
      value = argv[index];
      if (value === undefined) throw new UsageError(`--${name} needs a value (${spec.placeholder ?? 'VALUE'})`, { field: `--${name}` });
    }
    if (spec.multiple === true) {
      const previous = values.get(name);
      values.set(name, [...(Array.isArray(previous) ? previous : []), value]);
    } else {
      if (values.has(name)) throw new UsageError(`--${name} given more than once`, { field: `--${name}` });
      values.set(name, value);
    }
  }
  return {
    words,
    globals: new ParsedArgs([], globalValues),
    args: new ParsedArgs(positionals, commandValues),
    complete: resolved.specs !== null,
  };
}

function findShort(specs: OptionSpecs, letter: string): string | undefined {
  return Object.entries(specs).find(([, spec]) => spec.short === letter)?.[0];
}

/**
 * Checks a command's arguments against its argument names (`['POOL/NAME', 'NEWNAME']`;
 * bracketed names such as `[POOL]` are optional and come last) and returns them. Throws a
 * UsageError naming the first missing argument, or the first one too many.
 */
export function expectPositionals(args: ParsedArgs, names: readonly string[]): readonly string[] {
  const required = names.filter((name) => !name.startsWith('[')).length;
  const given = args.positionals;
  if (given.length < required) {
    const missing = names[given.length] ?? '';
    throw new UsageError(`missing ${missing}`, { field: missing });
  }
  if (given.length > names.length) throw new UsageError(`unexpected argument "${given[names.length]}"`);
  return given;
}

/** A volume named as `POOL/NAME`. */
export interface VolumeRef {
  readonly pool: string;
  readonly name: string;
}

/**
 * Splits `POOL/NAME` at its first slash. Anything after that slash is the volume name, passed to
 * the agent as it is (the agent, not the CLI, decides which names are valid). Throws a
 * UsageError when there is no slash or either side is empty; `hint`, when given, follows the
 * message in brackets for a text without a slash.
 */
export function parseVolumeRef(text: string, label = 'POOL/NAME', hint?: string): VolumeRef {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    const note = hint !== undefined && slash === -1 ? ` (${hint})` : '';
    throw fieldError(label, `expected ${label}, got "${text}"${note}`);
  }
  return { pool: text.slice(0, slash), name: text.slice(slash + 1) };
}

/**
 * A whole number from a flag, at least `min` and at most `max`. Throws a UsageError naming the
 * flag otherwise.
 */
export function parseCount(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw fieldError(flag, `"${text}" is not a whole number`);
  const value = Number(text.trim());
  if (value < min || value > max) throw fieldError(flag, `${value} is out of range ${min}-${max}`);
  return value;
}
