/**
 * A mistake in what the user gave the command (arguments, flags, a batch file): reported with
 * exit code 2, before anything is sent to the agent.
 */
export class UsageError extends Error {
  /** The flag, argument or batch field path at fault (`--size`, `ops[3].name`); null when none. */
  readonly field: string | null;

  constructor(message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UsageError';
    this.field = options.field ?? null;
  }
}

/** A UsageError whose message starts with the field it is about (`--size: must be more than 0`). */
export function fieldError(field: string, problem: string, cause?: unknown): UsageError {
  return new UsageError(`${field}: ${problem}`, { field, cause });
}
