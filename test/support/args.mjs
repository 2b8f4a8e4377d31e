// Command-line walking shared by the test and bench scripts (test/vm, test/bench).

/**
 * Calls `on(arg, value)` for each argument before `--`; `value()` takes the next argument as the
 * option's value (throwing when there is none). Returns the arguments after `--`.
 */
export function walkArgs(argv, on) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return argv.slice(i + 1);
    on(arg, () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    });
  }
  return [];
}

/** `value` as a whole number of at least `min`, or an error naming `flag`. */
export function wholeNumber(flag, value, min = 1) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs a whole number >= ${min}, got ${value}`);
  return n;
}
