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
};

/** --format, or the format FILE's extension names (.qcow2, .vmdk, .vhdx, .vdi), else raw. */
function formatOf(args: ParsedArgs, file: string): { name: string; format: ImageFormat } {
  const given = args.string('format');
  const name = given ?? extname(file).slice(1).toLowerCase();
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

const formatOption = { type: 'string', placeholder: 'FORMAT', description: 'raw, qcow2, vmdk, vhdx or vdi (default: from the extension of FILE, else raw)' } as const;
export const noWaitOption = { type: 'boolean', description: 'do not follow the job; print its id' } as const;

/** What both commands' help says about waiting (and `volume copy`'s). */
export const FOLLOWS =
  'The command follows the job with a progress bar (exit 1 if it fails or is cancelled) unless --no-wait. With --json the document is {"job": Job}: its final state, or as it started with --no-wait.';

/** Waits for job `id` unless --no-wait was given, printing what it did; else prints the job id. */
export async function finish(context: CommandContext, args: ParsedArgs, response: object, id: string, what: string, done: string): Promise<ExitCode> {
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
      'no-wait': noWaitOption,
    },
    summary: 'make a new volume from an image file on the agent host, in a background job',
    details: `Raw images are copied sparsely: holes and all-zero blocks are not written. qcow2, vmdk, vhdx and vdi go through qemu-img (Debian: qemu-utils). The volume takes no other change and cannot be activated until the job succeeds; a failed or cancelled import leaves no volume behind. ${FOLLOWS}`,
    examples: ['volume import tank/vm1 /srv/images/debian.qcow2', 'volume import tank/vm2 disk.raw --size 20GiB --no-wait', 'volume import tank/vm3 /srv/win.img --format raw'],
    async run(context, args) {
      const { pool, name } = parseVolumeRef(args.positionals[0] ?? '');
      const path = fileOf(context, args);
      const { name: formatName, format } = formatOf(args, path);
      const sizeBytes = args.size('size');
      const response = await (await context.agent()).importVolume({ pool, name, path, format, ...(sizeBytes === undefined ? {} : { sizeBytes }) });
      const id = present(response.job, 'job').id;
      return finish(context, args, response, id, `importing ${path} (${formatName}) into ${pool}/${name}`, `imported ${pool}/${name}`);
    },
  },
  {
    words: ['volume', 'export'],
    arguments: ['POOL/NAME', 'FILE'],
    options: { format: formatOption, 'no-wait': noWaitOption },
    summary: 'write a volume to a new image file on the agent host, in a background job',
    details: `Raw images are written as sparse files (all-zero blocks become holes). qcow2, vmdk, vhdx and vdi go through qemu-img. An existing FILE is refused, never overwritten; a failed or cancelled export leaves no file. Export a snapshot for a consistent image of a volume in use. ${FOLLOWS}`,
    examples: ['volume export tank/vm1-snap /srv/backup/vm1.qcow2', 'volume export tank/vm1 /srv/backup/vm1.raw --no-wait'],
    async run(context, args) {
      const { pool, name } = parseVolumeRef(args.positionals[0] ?? '');
      const path = fileOf(context, args);
      const { name: formatName, format } = formatOf(args, path);
      const response = await (await context.agent()).exportVolume({ pool, name, path, format });
      const id = present(response.job, 'job').id;
      return finish(context, args, response, id, `exporting ${pool}/${name} to ${path} (${formatName})`, `exported ${pool}/${name} to ${path}`);
    },
  },
];
