/** A CliIo that keeps what the command writes, for running runCli in-process. */
import type { CliIo } from '../../src/index.js';

export interface MemoryIo {
  readonly io: CliIo;
  /** Everything written to standard output so far (a plain function: safe to destructure). */
  readonly stdout: () => string;
  /** Everything written to standard error so far (a plain function: safe to destructure). */
  readonly stderr: () => string;
}

export function memoryIo(options: { stdin?: string; env?: Record<string, string | undefined>; isTTY?: boolean } = {}): MemoryIo {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: (text) => {
        out += text;
      },
      stderr: (text) => {
        err += text;
      },
      readStdin: async () => options.stdin ?? '',
      env: options.env ?? {},
      isTTY: options.isTTY ?? false,
    },
    stdout: () => out,
    stderr: () => err,
  };
}
