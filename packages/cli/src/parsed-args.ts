/**
 * What the command line gave one command (or the CLI as a whole): its arguments in order and its
 * flag values, as a small typed view that the command files read. Filled by command-line.ts from
 * what commander parsed; holds no parsing of its own beyond turning a size flag into bytes.
 */
import { parseSize } from './sizes.js';
import { fieldError } from './usage-error.js';

/** A flag's value: `true` for a boolean flag given, the text of a single-valued one, the texts of a repeatable one in order. */
export type FlagValue = string | true | readonly string[];

/** The arguments and flag values of one command; immutable once made. */
export class ParsedArgs {
  /** The command's arguments, in order (already checked against its argument names). */
  readonly positionals: readonly string[];
  private readonly values: ReadonlyMap<string, FlagValue>;

  /** `values` holds only the flags that were given, by long name without the dashes. */
  constructor(positionals: readonly string[], values: ReadonlyMap<string, FlagValue>) {
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
    return typeof value === 'object' ? value : [];
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
