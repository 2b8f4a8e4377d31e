/**
 * `thinfleet volume write | read`: a volume's content from and to a file, through the agent
 * (ReadVolume/WriteVolume, 1 MiB per call). On the simulated device-mapper this is the only
 * way in, since its devices exist only inside the agent; on a real kernel `dd` on the device
 * does the same. A file that does not end on a 512-byte boundary is written by reading the
 * last sector back and overlaying it, so the bytes after the file's end keep their content.
 */
import { open } from 'node:fs/promises';
import { parseVolumeRef } from './argument-values.js';
import { present, type AgentConnection, type CommandContext, type CommandSpec } from './command.js';
import type { ParsedArgs } from './parsed-args.js';
import { EXIT } from './exit-codes.js';
import { ProgressBar } from './progress-bar.js';
import { formatBytes, parseSize } from './sizes.js';
import { fieldError, UsageError } from './usage-error.js';

/** What one call moves at most (the agent's limit). */
const CHUNK_BYTES = 1024 * 1024;
const SECTOR = 512;
/** Transfers at least this long show a progress bar (shorter ones are done before it would help). */
const PROGRESS_ABOVE_BYTES = 16 * CHUNK_BYTES;

/** A progress bar for a transfer of `totalBytes`, or null (--json, or a short transfer). */
function progressFor(context: CommandContext, totalBytes: number): ProgressBar | null {
  return context.out.json || totalBytes < PROGRESS_ABOVE_BYTES ? null : new ProgressBar(context.io.stderr, context.io.isTTY);
}

/** `--offset` in bytes: 0 by default, a multiple of 512. */
function offsetOf(args: ParsedArgs): number {
  const text = args.string('offset');
  if (text === undefined) return 0;
  let offsetBytes: number;
  try {
    offsetBytes = parseSize(text, { allowZero: true });
  } catch (err) {
    throw fieldError('--offset', (err as Error).message, err);
  }
  if (offsetBytes % SECTOR !== 0) throw fieldError('--offset', `${formatBytes(offsetBytes)} is not a multiple of ${SECTOR} bytes`);
  return offsetBytes;
}

async function openFile(path: string, flags: 'r' | 'w') {
  try {
    return await open(path, flags, 0o600);
  } catch (err) {
    throw new UsageError(`cannot ${flags === 'r' ? 'read' : 'write'} ${path}: ${(err as Error).message}`, { field: 'FILE', cause: err });
  }
}

/** Writes all of `file` into the volume from `offsetBytes`; returns the bytes written. */
async function copyIn(context: CommandContext, agent: AgentConnection, pool: string, name: string, file: string, offsetBytes: number): Promise<number> {
  const handle = await openFile(file, 'r');
  try {
    const totalBytes = (await handle.stat()).size;
    const progress = progressFor(context, totalBytes);
    let done = 0;
    while (done < totalBytes) {
      const want = Math.min(CHUNK_BYTES, totalBytes - done);
      const chunk = Buffer.alloc(Math.ceil(want / SECTOR) * SECTOR);
      const { bytesRead } = await handle.read(chunk, 0, want, done);
      if (bytesRead !== want) throw new Error(`${file} changed while it was read (expected ${want} bytes at ${done}, got ${bytesRead})`);
      const at = offsetBytes + done;
      if (want % SECTOR !== 0) {
        // The file ends inside a sector: keep what the volume has after the file's last byte.
        const tailAt = chunk.length - SECTOR;
        const old = (await agent.readVolume({ pool, name, offsetBytes: at + tailAt, lengthBytes: SECTOR })).data;
        old.copy(chunk, want, want - tailAt);
      }
      await agent.writeVolume({ pool, name, offsetBytes: at, data: chunk });
      done += want;
      progress?.update(done, totalBytes);
    }
    progress?.finish();
    return totalBytes;
  } finally {
    await handle.close();
  }
}

/** Reads `lengthBytes` of the volume from `offsetBytes` into `file` (made or truncated). */
async function copyOut(context: CommandContext, agent: AgentConnection, pool: string, name: string, file: string, offsetBytes: number, lengthBytes: number): Promise<void> {
  const handle = await openFile(file, 'w');
  const progress = progressFor(context, lengthBytes);
  try {
    let done = 0;
    while (done < lengthBytes) {
      const want = Math.min(CHUNK_BYTES, lengthBytes - done);
      const { data } = await agent.readVolume({ pool, name, offsetBytes: offsetBytes + done, lengthBytes: Math.ceil(want / SECTOR) * SECTOR });
      await handle.write(data, 0, want, done);
      done += want;
      progress?.update(done, lengthBytes);
    }
    progress?.finish();
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const offsetOption = { type: 'string', placeholder: 'SIZE', description: 'where in the volume to start (default 0; a multiple of 512 bytes)' } as const;

/** The volume content commands, in help order. */
export const VOLUME_DATA_COMMANDS: readonly CommandSpec[] = [
  // Entries alike by design (duplicates pairs their help declarations by shape): a table of commands, each with its own run.
  {
    words: ['volume', 'write'],
    arguments: ['POOL/NAME', 'FILE'],
    options: { offset: offsetOption },
    summary: "write a file into an active volume's content, through the agent",
    details:
      'The way to put data into a volume on the simulated device-mapper (its devices exist only inside the agent); ' +
      'on a real kernel, writing the device under /dev/mapper does the same. Each MiB is durable once written.',
    examples: ['volume write demo/vm1 ./disk-start.img', 'volume write demo/vm1 ./patch.bin --offset 1MiB'],
    async run(context, args) {
      const [target = '', file = ''] = args.positionals;
      const { pool, name } = parseVolumeRef(target);
      const offsetBytes = offsetOf(args);
      const agent = await context.agent();
      const writtenBytes = await copyIn(context, agent, pool, name, file, offsetBytes);
      context.out.result({ pool, name, offsetBytes, writtenBytes }, () => `wrote ${formatBytes(writtenBytes)} into ${pool}/${name} at ${formatBytes(offsetBytes)}`);
      return EXIT.OK;
    },
  },
  {
    words: ['volume', 'read'],
    arguments: ['POOL/NAME', 'FILE'],
    options: {
      offset: offsetOption,
      length: { type: 'string', placeholder: 'SIZE', description: 'how much to read (default: to the end of the volume)' },
    },
    summary: "read an active volume's content into a file, through the agent",
    details: 'FILE is made (mode 0600) or truncated. Unwritten ranges read as zeros.',
    examples: ['volume read demo/vm1 ./vm1.img', 'volume read demo/vm1 ./head.bin --length 4KiB'],
    async run(context, args) {
      const [target = '', file = ''] = args.positionals;
      const { pool, name } = parseVolumeRef(target);
      const offsetBytes = offsetOf(args);
      const wanted = args.size('length');
      const agent = await context.agent();
      const volume = present((await agent.getVolume({ pool, name, usage: false })).volume, 'volume');
      if (offsetBytes >= volume.sizeBytes) throw fieldError('--offset', `${formatBytes(offsetBytes)} is at or past the end of ${pool}/${name} (${formatBytes(volume.sizeBytes)})`);
      const lengthBytes = Math.min(wanted ?? volume.sizeBytes, volume.sizeBytes - offsetBytes);
      await copyOut(context, agent, pool, name, file, offsetBytes, lengthBytes);
      context.out.result({ pool, name, offsetBytes, readBytes: lengthBytes }, () => `read ${formatBytes(lengthBytes)} of ${pool}/${name} from ${formatBytes(offsetBytes)} into ${file}`);
      return EXIT.OK;
    },
  },
];
