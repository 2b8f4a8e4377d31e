/**
 * What the command reads and writes, so runCli can run in-process in tests: output streams,
 * standard input, the environment, and whether a person is watching.
 */

/** The command's window on the world. */
export interface CliIo {
  /** Writes to standard output (results, JSON documents). The text carries its own newlines. */
  readonly stdout: (text: string) => void;
  /** Writes to standard error (errors, progress). */
  readonly stderr: (text: string) => void;
  /** All of standard input, for `batch -`. */
  readonly readStdin: () => Promise<string>;
  /** The environment (THINFLEET_AGENT). */
  readonly env: Record<string, string | undefined>;
  /** Standard error is a terminal: progress bars redraw one line instead of printing a line per 10%. */
  readonly isTTY: boolean;
}

/** The real process's streams and environment, for bin/thinfleet.mjs. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
    isTTY: process.stderr.isTTY === true,
  };
}
