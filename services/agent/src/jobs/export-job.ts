/**
 * The `export` job kind: a volume written to a new image file on the agent's host (run by
 * job-runner.ts). Raw: the volume's device is read in steps of `chunkBytes` (BlockClient) and
 * only the blocks of the pool's data block size that hold a non-zero byte are written to the
 * file, so all-zero blocks stay holes; the file is synced and the checkpoint (`doneBytes`) saved
 * after each step, and at the end it is truncated to the volume's size. qcow2, vmdk, vhdx and
 * vdi go through `qemu-img convert -f raw -O FORMAT` (qemu-img.ts), not resumable. Format
 * `stream` writes thinfleet's incremental stream: the ranges that differ from an older volume of
 * the lineage (`since`), or every range the volume maps (diff-export.ts, resumable).
 *
 * The file is written under a temporary name beside the target (image-files.ts, `partialPath`)
 * and given its name only when complete and synced, never over an existing file. The job does
 * not mark its volume in the pool (the file is on this host; no other holder could go on): the
 * agent refuses other changes to the volume while the job runs, and a job that ends otherwise
 * than succeeded (failed, cancelled, or handed over with its pool) removes its temporary file and
 * deactivates the volume if it activated it. An export of a volume in use copies it as it is
 * while being read (like dd); export a snapshot for a consistent image.
 *
 * Crash story (with the runner's: the record is saved before any work):
 * - during the raw copy: the job resumes from its checkpoint; the temporary file is cut back to
 *   it first, so nothing past the checkpoint survives, and the step in flight is read again;
 * - during a qemu-img conversion: the temporary file is removed and the conversion restarts from 0;
 * - after the copy (phase `publish`), before or after the file got its name: the resumed job
 *   publishes again, which is idempotent (image-files.ts, `publishFile`);
 * - a job that failed or was cancelled removes the temporary file before its state is saved; a
 *   crash before that leaves the job running in its record, and the next start resumes it.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { BlockClient } from '@thinfleet/devmapper';
import { EngineError, quoted, type Pool, type VolumeInfo } from '@thinfleet/engine';
import { AgentError, badRequest } from '../agent-error.js';
import { requireComplete, requireDiffable } from './diff-checks.js';
import { writeStream, type StreamExport } from './diff-export.js';
import { dataRuns, isImageFormat, partialPath, publishFile, removeIfPresent, requireNewFile, type ImageFormat } from './image-files.js';
import { activePool, DEFAULT_DIFF_WINDOW_BYTES, imageJob, percentProgress, qemuImgOf, stepBytes, yieldToEventLoop, type ImageJobOptions } from './image-job-options.js';
import type { JobKind, JobKindHost, JobRun, JobView, NewJob, RunResult } from './job-kind.js';
import { releaseVolume } from './job-outcome.js';
import type { JobRecord } from './job-record.js';

/** The export kind's name, the `kind` of its records. */
export const EXPORT_JOB_KIND = 'export';

/** What `JobManager.startExport` asks: write volume `volume` of pool `pool` to the new file `path`. */
export interface ExportJobRequest {
  readonly pool: string;
  readonly volume: string;
  /** Absolute path of the new file on this host (checked for form by the caller). */
  readonly path: string;
  readonly format: ImageFormat;
  /** Format `stream` only: the older volume of the same pool and lineage the stream is against (absent: a full stream). */
  readonly since?: string;
}

/** The new file's mode: the image may hold anything a volume holds. */
const FILE_MODE = 0o600;

/** The path and format of `r`, and for a stream the uuid of the volume it is against ('' for a full one). @throws Error when the record has none */
function argsOf(r: JobRecord): { path: string; format: ImageFormat; sinceUuid: string } {
  const a = r.args ?? {};
  if (typeof a.path !== 'string' || !a.path.startsWith('/') || !isImageFormat(a.format)) throw new Error(`export job ${r.id}: its record names no file`);
  return { path: a.path, format: a.format, sinceUuid: typeof a.sinceUuid === 'string' ? a.sinceUuid : '' };
}

async function resolve(pool: Pool, uuid: string): Promise<VolumeInfo | null> {
  return (await pool.list()).find((v) => v.uuid === uuid) ?? null;
}

/**
 * A stream export's checks and record arguments: `since` (when given) is of the volume's
 * lineage and not larger. Writes nothing.
 * @throws AgentError BAD_REQUEST naming `format` (since with another format) or `since`; EngineError NO_SUCH_VOLUME (`since`)
 */
async function streamStart(pool: Pool, volume: VolumeInfo, format: ImageFormat, since: string | undefined): Promise<Record<string, string>> {
  if (since === undefined) return {};
  if (format !== 'stream') throw badRequest('format', 'an export with since writes the incremental stream format');
  const { left } = requireDiffable(await pool.list(), since, volume.name, { left: 'since', right: 'name' }, 'since');
  requireComplete(left, 'since');
  if (left.sizeBytes > volume.sizeBytes) throw badRequest('since', `volume ${quoted(left.name)} is larger than ${quoted(volume.name)}: a stream cannot shrink the volume it applies onto`);
  return { since: left.name, sinceUuid: left.uuid };
}

/** What writeStream needs for job `r` exporting `volume` (B) through `device`. @throws EngineError NO_SUCH_VOLUME when `since` is gone */
async function streamExport(
  pool: Pool,
  block: BlockClient,
  windowBytes: number,
  r: JobRecord,
  volume: VolumeInfo,
  device: string,
  partial: string,
  blockBytes: number,
): Promise<StreamExport> {
  const { sinceUuid } = argsOf(r);
  const left = sinceUuid === '' ? null : await resolve(pool, sinceUuid);
  if (left === null && sinceUuid !== '') throw new EngineError('NO_SUCH_VOLUME', `the volume the stream is against (${quoted(r.args?.since ?? '')}) is gone from pool ${r.pool}`);
  return {
    pool,
    block,
    device,
    right: volume.name,
    left: left?.name ?? null,
    rightHasOrigin: volume.externalOrigin !== null,
    partial,
    blockBytes,
    windowBytes: Math.max(blockBytes, Math.floor(windowBytes / blockBytes) * blockBytes),
    header: { blockBytes, volumeBytes: r.totalBytes, baseBytes: left?.sizeBytes ?? 0, baseUuid: left?.uuid ?? '', targetUuid: volume.uuid },
  };
}

/**
 * The export kind over `options` (see the module comment).
 */
export function exportJobKind(options: ImageJobOptions): JobKind<ExportJobRequest> {
  const qemuImg = qemuImgOf(options);

  /** The raw copy into `partial` from the checkpoint: zero blocks left as holes. */
  const copyRaw = async (run: JobRun, device: string, partial: string, blockBytes: number): Promise<RunResult | null> => {
    const r = run.record;
    const file = await open(partial, constants.O_WRONLY | constants.O_CREAT, FILE_MODE);
    try {
      // Nothing past the checkpoint survives a crash (a step written again is the same bytes).
      await file.truncate(r.doneBytes);
      while (r.doneBytes < r.totalBytes) {
        if (run.signal.aborted) return 'stopped';
        const from = r.doneBytes;
        const length = Math.min(r.chunkBytes, r.totalBytes - from);
        run.mayReach(from + length);
        const data = await options.block.read(device, from, length);
        for (const [start, end] of dataRuns(data, blockBytes)) await file.write(data, start, end - start, from + start);
        await file.datasync();
        await run.update({ doneBytes: from + length });
        await yieldToEventLoop();
      }
      await file.truncate(r.totalBytes);
      await file.sync();
    } finally {
      await file.close();
    }
    return null;
  };

  /** The conversion through qemu-img into `partial`, from byte 0 (not resumable), then synced. */
  const convert = async (run: JobRun, format: ImageFormat, device: string, partial: string): Promise<RunResult | null> => {
    if (run.record.doneBytes > 0) {
      run.logger.info({ volume: run.record.volume }, 'export: a qemu-img conversion restarts from 0');
      await run.update({ doneBytes: 0 });
    }
    await removeIfPresent(partial);
    const progress = percentProgress(run);
    await qemuImg.convert(['-f', 'raw', '-O', format, device, partial], progress.onPercent, run.signal);
    await progress.done();
    if (run.signal.aborted) return 'stopped';
    const file = await open(partial, 'r');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
    return null;
  };

  /** Removes the temporary file and releases the volume; resolves with what to add to the message. */
  const abandon = async (job: JobView, pool: Pool): Promise<string> => {
    const r = job.record;
    let note = '';
    try {
      const code = await removeIfPresent(partialPath(argsOf(r).path, r.id));
      if (code !== '') note = `; its temporary file could not be removed (${code})`;
    } catch (err) {
      job.logger.warn({ err }, 'export: could not remove its temporary file');
    }
    return note + (await releaseVolume(pool, r));
  };

  return {
    name: EXPORT_JOB_KIND,

    /**
     * The checks write nothing: the pool is active, the volume exists, no job works on it, the
     * file's directory exists and the file does not, and qemu-img runs (formats other than raw).
     * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME; AgentError JOB_RUNNING,
     *   BAD_REQUEST (`path`), FILE_EXISTS, TOOL_MISSING
     */
    async start(request: ExportJobRequest, host: JobKindHost): Promise<NewJob> {
      const { pool: poolName, volume: name, path, format } = request;
      const pool = activePool(options, poolName);
      const volume = (await pool.list()).find((v) => v.name === name);
      if (volume === undefined) throw new EngineError('NO_SUCH_VOLUME', `no volume "${name}" in pool ${poolName}`);
      const other = host.unfinishedJobOn(poolName, volume.uuid, volume.name);
      if (other !== null) throw new AgentError('JOB_RUNNING', `job ${other.id} (${other.kind}) works on volume "${name}" of pool ${poolName}`);
      const mark = volume.deleting?.jobId ?? volume.job?.jobId;
      if (mark !== undefined && !host.endedHere(mark)) throw new AgentError('JOB_RUNNING', `job ${mark}, recorded in the pool, works on volume "${name}" of pool ${poolName}`);
      const stream = await streamStart(pool, volume, format, request.since);
      await requireNewFile('path', path);
      if (format !== 'raw' && format !== 'stream') await qemuImg.requireInstalled();
      const { chunkBytes } = await stepBytes(pool, options.imageChunkBytes);
      return imageJob(pool, 'copy', { path, format, ...stream }, { volume: volume.name, volumeUuid: volume.uuid, totalBytes: volume.sizeBytes, chunkBytes, volumeWasActive: volume.active });
    },

    /** Copies the volume into the temporary file from the checkpoint, then gives the file its name. */
    async resume(run: JobRun, pool: Pool): Promise<RunResult> {
      const r = run.record;
      const { path, format } = argsOf(r);
      const partial = partialPath(path, r.id);
      if (r.phase !== 'publish') {
        const volume = await resolve(pool, r.volumeUuid);
        if (volume === null) throw new EngineError('NO_SUCH_VOLUME', `the volume being exported, "${r.volume}", is gone from pool ${r.pool}`);
        const device = volume.active && volume.devicePath !== null ? volume.devicePath : (await pool.activateVolume(volume.name)).devicePath;
        if (device === null) throw new EngineError('KERNEL_FAILED', `volume "${volume.name}" has no device after activation`);
        run.logger.info({ volume: r.volume, format, fromBytes: r.doneBytes, totalBytes: r.totalBytes }, 'exporting the volume');
        const { blockBytes } = await stepBytes(pool, r.chunkBytes);
        const stopped =
          format === 'raw'
            ? await copyRaw(run, device, partial, blockBytes)
            : format === 'stream'
              ? await writeStream(run, await streamExport(pool, options.block, options.diffWindowBytes ?? DEFAULT_DIFF_WINDOW_BYTES, r, volume, device, partial, blockBytes))
              : await convert(run, format, device, partial);
        if (stopped !== null) return stopped;
        await run.update({ phase: 'publish', doneBytes: r.totalBytes });
      }
      await publishFile(partial, path);
      const note = await releaseVolume(pool, r);
      if (note !== '') run.logger.warn({ volume: r.volume }, `export: ${note.slice(2)}`);
      return { done: 'the image file is written' };
    },

    /** Hand-over: the file is on this host, so no other holder can go on; the export is abandoned. */
    async checkpoint(job: JobView, pool: Pool): Promise<void> {
      job.logger.warn({ volume: job.record.volume }, 'export: its pool leaves this host; the export is abandoned and its temporary file removed');
      await abandon(job, pool);
    },

    cancel: abandon,

    outcome(r: JobRecord): string {
      return `the export stopped after ${r.doneBytes} of the volume's ${r.totalBytes} bytes; no file was made at its path`;
    },

    /** FILE_EXISTS and the like are failures; nothing an export throws means it is done. */
    async errorMeansDone(): Promise<string | null> {
      return null;
    },
  };
}
