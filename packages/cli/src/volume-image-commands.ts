/**
 * `thinfleet volume import | export`: a volume from and to an image file, through the agent's
 * background jobs (ImportVolume/ExportVolume). The agent opens FILE on its own host, like dd;
 * the CLI resolves a relative FILE against its working directory when it talks to a local
 * agent (through a coordinator FILE is on the pool's host, so it must be absolute). The
 * command follows the job with a progress bar, as `volume delete` does, unless --no-wait (a
 * flag `--wait` would clash with the global `--wait SECONDS`).
 */
import { extname, isAbsolute, resolve } from 'node:path';
import type { ImageFormat } from '@thinfleet/proto';
import { parseVolumeRef } from './argument-values.js';
import type { CommandContext, CommandSpec } from './command.js';
import { present } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { jobFailure, waitForJob } from './job-wait.js';
import type { ParsedArgs } from './parsed-args.js';
import { fieldError } from './usage-error.js';

/** The formats, by the name --format takes. */
const FORMATS: Readonly<Record<string, ImageFormat>> = {
  raw: 'IMAGE_FORMAT_RAW',
  qcow2: 'IMAGE_FORMAT_QCOW2',
  vmdk: 'IMAGE_FORMAT_VMDK',
  vhdx: 'IMAGE_FORMAT_VHDX',
  vdi: 'IMAGE_FORMAT_VDI',
  stream: 'IMAGE_FORMAT_DIFF_STREAM',
};

/** The extension --format stream takes by default. */
const STREAM_EXTENSION = 'tfdiff';

/** --format, or the format FILE's extension names (.qcow2, .vmdk, .vhdx, .vdi, .tfdiff for stream), else raw; stream whenever `stream` (--since, --onto). */
function formatOf(args: ParsedArgs, file: string, stream = false): { name: string; format: ImageFormat } {
  const given = args.string('format');
  if (stream && given !== undefined && given !== 'stream') throw fieldError('--format', `must be stream (or left out) with ${args.string('since') === undefined ? '--onto' : '--since'}`);
  if (stream) return { name: 'stream', format: 'IMAGE_FORMAT_DIFF_STREAM' };
  const extension = extname(file).slice(1).toLowerCase();
  const name = given ?? (extension === STREAM_EXTENSION ? 'stream' : extension);
  const format = Object.hasOwn(FORMATS, name) ? FORMATS[name] : undefined;
  if (format !== undefined) return { name, format };
  if (given !== undefined) throw fieldError('--format', `"${given.slice(0, 40)}" is not one of ${Object.keys(FORMATS).join(', ')}`);
  return { name: 'raw', format: 'IMAGE_FORMAT_RAW' };
}

/** FILE, absolute: resolved against the working directory for a local agent. */
function fileOf(context: CommandContext, args: ParsedArgs): string {
  const file = args.positionals[1] ?? '';
  if (file === '') throw fieldError('FILE', 'required');
  if (isAbsolute(file)) return file;
  if (context.coordinator !== null) throw fieldError('FILE', "must be absolute with --coordinator: it is a path on the pool's host");
  return resolve(file);
}

const formatOption = {
  type: 'string',
  placeholder: 'FORMAT',
  description: 'raw, qcow2, vmdk, vhdx, vdi or stream (thinfleet incremental stream) (default: from the extension of FILE, .tfdiff for stream, else raw)',
} as const;

/** The volume named by --since or --onto: POOL/NAME in the command's pool, or NAME. */
function sameVolume(args: ParsedArgs, flag: 'since' | 'onto', pool: string): string | undefined {
  const text = args.string(flag);
  if (text === undefined) return undefined;
  if (!text.includes('/')) return text;
  const ref = parseVolumeRef(text, `--${flag}`);
  if (ref.pool !== pool) throw fieldError(`--${flag}`, `must be a volume of pool ${pool}`);
  return ref.name;
}
export const noWaitOption = { type: 'boolean', description: 'do not follow the job; print its id' } as const;

/** What both commands' help says about waiting. */
export const FOLLOWS =
  'The command follows the job with a progress bar (exit 1 if it fails or is cancelled) unless --no-wait. With --json the document is {"job": Job}: its final state, or as it started with --no-wait.';

/** Waits for job `id` unless --no-wait was given, printing what it did; else prints the job id. Shared by the commands that start one job (import, export, move). */
export async function finishJobCommand(context: CommandContext, args: ParsedArgs, response: object, id: string, what: string, done: string): Promise<ExitCode> {
  if (args.flag('no-wait')) {
    context.out.result(response, () => `${what} in the background: job ${id} (thinfleet job watch ${id})`);
    return EXIT.OK;
  }
  context.out.note(`${what}: job ${id}`);
  const job = await waitForJob(context, id);
  context.out.result({ ...response, job }, () => '');
  const failure = jobFailure(id, job);
  if (failure !== null) return context.out.failed(failure);
  context.out.note(done);
  return EXIT.OK;
}

/** The image commands, in help order. */
export const VOLUME_IMAGE_COMMANDS: readonly CommandSpec[] = [
  {
    words: ['volume', 'import'],
    arguments: ['POOL/NAME', 'FILE'],
    options: {
      format: formatOption,
      size: { type: 'string', placeholder: 'SIZE', description: "the volume's size when larger than the image's (virtual) size" },
      onto: {
        type: 'string',
        placeholder: 'POOL/VOL',
        description: 'FILE is an incremental stream (volume export --since) made against VOL: NAME is made as a snapshot of VOL (left untouched) with the stream applied',
      },
      'no-wait': noWaitOption,
    },
    summary: 'make a new volume from an image file on the agent host, in a background job',
    details: `Raw images are copied sparsely: holes and all-zero blocks are not written. qcow2, vmdk, vhdx and vdi go through qemu-img (Debian: qemu-utils). A stream (docs/diff-stream.md) is checked whole before any volume is made (a truncated or corrupt one fails the job); a full stream makes a new volume, an incremental one needs --onto naming the volume it was made against (or one an earlier stream import restored as it). The volume takes no other change and cannot be activated until the job succeeds; a failed or cancelled import leaves no volume behind. ${FOLLOWS}`,
    examples: [
      'volume import tank/vm1 /srv/images/debian.qcow2',
      'volume import tank/vm2 disk.raw --size 20GiB --no-wait',
      'volume import tank/vm3 /srv/win.img --format raw',
      'volume import tank/vm1-tue /srv/backup/vm1-tue.tfdiff --onto tank/vm1-mon',
    ],
    async run(context, args) {
      const { pool, name } = parseVolumeRef(args.positionals[0] ?? '');
      const path = fileOf(context, args);
      const onto = sameVolume(args, 'onto', pool);
      const { name: formatName, format } = formatOf(args, path, onto !== undefined);
      const sizeBytes = args.size('size');
      const response = await (await context.agent()).importVolume({ pool, name, path, format, ...(sizeBytes === undefined ? {} : { sizeBytes }), ...(onto === undefined ? {} : { onto }) });
      const id = present(response.job, 'job').id;
      return finishJobCommand(context, args, response, id, `importing ${path} (${formatName}) into ${pool}/${name}`, `imported ${pool}/${name}`);
    },
  },
  {
    words: ['volume', 'export'],
    arguments: ['POOL/NAME', 'FILE'],
    options: {
      format: formatOption,
      since: { type: 'string', placeholder: 'POOL/SNAP', description: 'write only the ranges that differ from SNAP, an older volume of the lineage, as an incremental stream' },
      'no-wait': noWaitOption,
    },
    summary: 'write a volume to a new image file on the agent host, in a background job',
    details: `Raw images are written as sparse files (all-zero blocks become holes). qcow2, vmdk, vhdx and vdi go through qemu-img. --format stream writes thinfleet's stream format (docs/diff-stream.md): with --since only the ranges where the volume differs from SNAP (read from the thin metadata), else every range the volume maps (a full stream); volume import applies it. An existing FILE is refused, never overwritten; a failed or cancelled export leaves no file. Export a snapshot for a consistent image of a volume in use. ${FOLLOWS}`,
    examples: [
      'volume export tank/vm1-snap /srv/backup/vm1.qcow2',
      'volume export tank/vm1 /srv/backup/vm1.raw --no-wait',
      'volume export tank/vm1-mon /srv/backup/vm1-mon.tfdiff',
      'volume export tank/vm1-tue /srv/backup/vm1-tue.tfdiff --since tank/vm1-mon',
    ],
    async run(context, args) {
      const { pool, name } = parseVolumeRef(args.positionals[0] ?? '');
      const path = fileOf(context, args);
      const since = sameVolume(args, 'since', pool);
      const { name: formatName, format } = formatOf(args, path, since !== undefined);
      const response = await (await context.agent()).exportVolume({ pool, name, path, format, ...(since === undefined ? {} : { since }) });
      const id = present(response.job, 'job').id;
      return finishJobCommand(context, args, response, id, `exporting ${pool}/${name} to ${path} (${formatName})`, `exported ${pool}/${name} to ${path}`);
    },
  },
];
