/**
 * qemu-img, as the import and export jobs use it for the image formats other than raw (qcow2,
 * vmdk, vhdx, vdi): `info --output=json` for an image's virtual size, and `convert -p` with its
 * progress. It comes from Debian's qemu-utils (scripts/setup.sh installs it); a host without it
 * gets TOOL_MISSING saying how to install it. The command runner is injectable, so the jobs are
 * tested on the simulated device-mapper (whose devices qemu-img cannot open) with a stand-in.
 */
import { spawn } from 'node:child_process';
import { quoted } from '@thinfleet/engine';
import { AgentError, badRequest } from '../agent-error.js';
import type { ImageFormat } from './image-files.js';

/** How a command ended: its exit code (null when killed by a signal) and what it wrote to standard error (bounded). */
export interface CommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command` with `args` (no shell) and resolves when it exits. `onStdout` receives its
 * standard output as it comes; an aborted `signal` kills it (SIGTERM). Rejects with the spawn
 * error (errno `ENOENT` when the command is not installed).
 */
export type CommandRunner = (command: string, args: readonly string[], options: { readonly signal?: AbortSignal; readonly onStdout?: (text: string) => void }) => Promise<CommandResult>;

/** Most bytes of a command's output kept (its start: qemu-img says what is wrong first). */
const MAX_OUTPUT_BYTES = 64 * 1024;

/** The runner over child_process.spawn (see CommandRunner). */
export const spawnCommand: CommandRunner = (command, args, options) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal, killSignal: 'SIGTERM' } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += text;
      options.onStdout?.(text);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      if (stderr.length < MAX_OUTPUT_BYTES) stderr += text;
    });
    let settled = false;
    child.on('error', (err: NodeJS.ErrnoException) => {
      // An abort is reported as an error too; the exit that follows settles it.
      if (err.name === 'AbortError') return;
      settled = true;
      reject(err);
    });
    child.on('close', (exitCode) => {
      if (!settled) resolve({ exitCode, stdout, stderr });
    });
  });

/** How to install qemu-img, for the TOOL_MISSING message. */
export const QEMU_IMG_INSTALL_HINT = 'install it with `apt-get install qemu-utils` (Debian, Ubuntu) or `dnf install qemu-img` (Fedora); scripts/setup.sh does';

/** The first line or so of a tool's complaint, bounded, for a message. */
function complaint(result: CommandResult): string {
  const text = result.stderr.trim() || result.stdout.trim() || 'no output';
  return quoted(text.split('\n')[0] ?? text, 200);
}

/** The percentages `qemu-img convert -p` prints: `    (12.34/100%)` followed by a carriage return. */
const PROGRESS = /\((\d{1,3}(?:\.\d+)?)\/100%\)/g;

/** qemu-img through a command runner. */
export class QemuImg {
  constructor(
    private readonly run: CommandRunner = spawnCommand,
    private readonly command = 'qemu-img',
  ) {}

  /** Runs qemu-img; ENOENT becomes TOOL_MISSING. */
  private async exec(args: readonly string[], options: Parameters<CommandRunner>[2] = {}): Promise<CommandResult> {
    try {
      return await this.run(this.command, args, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentError('TOOL_MISSING', `qemu-img is not installed on the agent's host: ${QEMU_IMG_INSTALL_HINT}`, { cause: err });
      throw err;
    }
  }

  /** Resolves when qemu-img runs here. @throws AgentError TOOL_MISSING */
  async requireInstalled(): Promise<void> {
    const result = await this.exec(['--version']);
    if (result.exitCode !== 0) throw new AgentError('TOOL_MISSING', `qemu-img does not run on the agent's host (${complaint(result)}): ${QEMU_IMG_INSTALL_HINT}`);
  }

  /**
   * The virtual size in bytes of image `path` read as `format` (`qemu-img info -f FORMAT
   * --output=json`). Reads only.
   * @throws AgentError TOOL_MISSING; BAD_REQUEST naming `field` when qemu-img cannot read it as that format
   */
  async virtualSizeBytes(field: string, path: string, format: ImageFormat): Promise<number> {
    const result = await this.exec(['info', '--output=json', '-f', format, path]);
    if (result.exitCode !== 0) throw badRequest(field, `qemu-img cannot read ${quoted(path)} as ${format}: ${complaint(result)}`);
    let size: unknown;
    try {
      size = (JSON.parse(result.stdout) as { 'virtual-size'?: unknown })['virtual-size'];
    } catch {
      size = undefined;
    }
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) throw badRequest(field, `qemu-img reports no usable virtual size for ${quoted(path)}`);
    return size;
  }

  /**
   * Runs `qemu-img convert -p ARGS...` (the caller's formats, cache modes and paths), calling
   * `onPercent` with each percentage it reports. An aborted `signal` kills it; it then resolves
   * without a check of the exit code (the caller looks at its signal).
   * @throws AgentError TOOL_MISSING; TOOL_FAILED when it exits with an error
   */
  async convert(args: readonly string[], onPercent: (percent: number) => void, signal?: AbortSignal): Promise<void> {
    let pending = '';
    const result = await this.exec(['convert', '-p', ...args], {
      ...(signal === undefined ? {} : { signal }),
      onStdout: (text) => {
        pending += text;
        let last: number | null = null;
        for (const m of pending.matchAll(PROGRESS)) last = Number(m[1]);
        // Keep only what may hold a progress report cut in two.
        pending = pending.slice(-24);
        if (last !== null && last >= 0 && last <= 100) onPercent(last);
      },
    });
    if (signal?.aborted) return;
    if (result.exitCode !== 0) throw new AgentError('TOOL_FAILED', `qemu-img convert failed (exit ${result.exitCode ?? 'by signal'}): ${complaint(result)}`);
  }
}
