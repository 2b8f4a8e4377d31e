/**
 * The `import` job kind: a new volume made from an image file on the agent's host (run by
 * job-runner.ts). Raw images are copied by the agent itself, sparsely: the file is read in steps
 * of `chunkBytes`, blocks of the pool's data block size that are all zeros are not written (a new
 * thin volume reads zeros there), the rest is written through the volume's device (BlockClient,
 * durable writes), and the checkpoint (`doneBytes`, bytes of the file) is saved after each step.
 * qcow2, vmdk, vhdx and vdi go through `qemu-img convert -n --target-is-zero` (qemu-img.ts),
 * which skips zeros the same way; its progress is saved, but it is not resumable. Format
 * `stream` (thinfleet's incremental stream) is verified whole, then applied into a new snapshot
 * of the volume it was made against (`onto`), or a new empty volume for a full stream
 * (diff-import.ts has its steps and their crash story).
 *
 * The job makes its volume in one catalog transaction with a job mark (`Pool.markJob`, kind
 * "import", the job's id), finds it by that mark, and keeps it from users while it runs (the
 * agent refuses other changes, activation included, to a volume a job works on). It ends by
 * deactivating the volume and clearing the mark: from then on the volume is an ordinary one. A
 * job that ends otherwise (failed, cancelled, or handed over with its pool, since the image is on
 * this host) deletes the volume it made, and only a volume carrying its mark: a failed import
 * leaves no volume behind.
 *
 * Crash story (with the runner's: the record is saved before any work):
 * - before the volume's transaction commits: the resumed job finds no volume of its mark and
 *   makes it (a volume of the name that is not its own fails the job; it is never touched);
 * - after it, before the record has the volume's uuid: the resumed job finds its volume by mark;
 * - during the copy (raw): it resumes from the checkpoint; the step in flight is written again,
 *   which is harmless (the same bytes from the same file, which must be unchanged: its size and
 *   modification time are kept in the record, and a changed file fails the job, FILE_CHANGED);
 * - during a qemu-img conversion: the conversion restarts from 0 into the same volume (the bytes
 *   it wrote before are the same ones again; zeros were never written, so the volume still reads
 *   zeros wherever the image does);
 * - after the copy, before the mark is cleared: the resumed job deactivates and clears it;
 * - after the mark is cleared, before the record says succeeded: the resumed job finds its
 *   volume by uuid, unmarked, every byte done: succeeded.
 * A job that ends without finishing deletes its volume before its terminal state is saved; if
 * the delete fails (or the agent dies first), the mark stays, and each activation of the pool
 * (`adopt`) deletes every import-marked volume whose job is not running or queued here: its
 * image is on the host that started it, so no other holder can finish it.
 */
import { open } from 'node:fs/promises';
import { EngineError, quoted, type BatchItem, type JobMark, type Pool, type VolumeInfo } from '@thinfleet/engine';
import { AgentError, badRequest, withField } from '../agent-error.js';
import { requireComplete } from './diff-checks.js';
import { applyStream, streamHeaderFor, verifyStream } from './diff-import.js';
import { dataRuns, imageSource, isImageFormat, type ImageFormat, type ImageSource } from './image-files.js';
import { activePool, imageJob, percentProgress, qemuImgOf, stepBytes, yieldToEventLoop, type ImageJobOptions } from './image-job-options.js';
import type { JobKind, JobKindHost, JobRun, JobView, NewJob, RunResult } from './job-kind.js';
import { errorCodeOf } from './job-outcome.js';
import { isTerminalState, type JobRecord } from './job-record.js';

/** The import kind's name, the `kind` of its records and marks. */
export const IMPORT_JOB_KIND = 'import';

/** What `JobManager.startImport` asks: make volume `volume` of pool `pool` from image `path`. */
export interface ImportJobRequest {
  readonly pool: string;
  readonly volume: string;
  /** Absolute path of the image on this host (checked for form by the caller). */
  readonly path: string;
  readonly format: ImageFormat;
  /** The volume's size when larger than the image's (virtual) size. */
  readonly sizeBytes?: number;
  /** Format `stream` only: the volume of the pool an incremental stream applies onto (diff-import.ts). */
  readonly onto?: string;
}

/** The arguments an import keeps in its record. */
interface ImportArgs {
  readonly path: string;
  readonly format: ImageFormat;
  /** The volume's size, bytes. */
  readonly volumeBytes: number;
  /** The image file's size and modification time at the start (a changed file is refused). */
  readonly fileBytes: number;
  readonly mtimeMs: number;
  /** Format `stream`: the uuid of the volume an incremental stream applies onto ('' for a full stream), and the stream's target uuid. */
  readonly ontoUuid: string;
  readonly contentOf: string;
}

const SECTOR = 512;
const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** The arguments of `r`. @throws Error when the record has none or malformed ones */
function argsOf(r: JobRecord): ImportArgs {
  const a = r.args ?? {};
  const count = (k: string): number => {
    const n = Number(a[k]);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`import job ${r.id}: its record's ${k} is not a count`);
    return n;
  };
  if (typeof a.path !== 'string' || !a.path.startsWith('/') || !isImageFormat(a.format)) throw new Error(`import job ${r.id}: its record names no image`);
  const text = (k: string): string => (typeof a[k] === 'string' ? a[k] : '');
  return {
    path: a.path,
    format: a.format,
    volumeBytes: count('volumeBytes'),
    fileBytes: count('fileBytes'),
    mtimeMs: count('mtimeMs'),
    ontoUuid: text('ontoUuid'),
    contentOf: text('contentOf'),
  };
}

/** The import mark of job `r` (its checkpoint stays 0: an import is never resumed from a mark). */
function markOf(r: JobRecord): JobMark {
  return { kind: IMPORT_JOB_KIND, jobId: r.id, doneBytes: 0, chunkBytes: r.chunkBytes, createdMs: r.createdMs, phase: 'copy' };
}

/** The volume carrying the import mark of job `id`, or undefined. */
const markedBy = (volumes: readonly VolumeInfo[], id: string): VolumeInfo | undefined => volumes.find((v) => v.job?.kind === IMPORT_JOB_KIND && v.job.jobId === id);

/** Deletes volume `v` (an import's, never a user's: the caller found it by its mark). @throws the engine's error */
async function deleteImported(pool: Pool, v: VolumeInfo): Promise<void> {
  await pool.deleteVolume(v.name);
}

/** The items that make job `r`'s volume (before its mark): empty, or for a stream a snapshot of the volume it applies onto, grown to the stream's size. */
function createItems(r: JobRecord, a: ImportArgs, volumes: readonly VolumeInfo[]): BatchItem[] {
  if (a.format !== 'stream') return [{ item: 'create', op: 'create', volume: r.volume, sizeBytes: a.volumeBytes }];
  if (a.ontoUuid === '') return [{ item: 'create', op: 'create', volume: r.volume, sizeBytes: a.volumeBytes, contentOf: a.contentOf }];
  const onto = volumes.find((v) => v.uuid === a.ontoUuid);
  if (onto === undefined) throw new EngineError('NO_SUCH_VOLUME', `the volume the stream applies onto (${quoted(r.args?.onto ?? '')}) is gone from pool ${r.pool}`);
  const items: BatchItem[] = [{ item: 'snapshot', op: 'snapshot', volume: r.volume, origin: onto.name, contentOf: a.contentOf }];
  if (a.volumeBytes > onto.sizeBytes) items.push({ item: 'grow', op: 'grow', volume: r.volume, sizeBytes: a.volumeBytes });
  return items;
}

/**
 * The checks of a stream import (diff-import.ts, step 1), and its job: phase `verify`, progress
 * in bytes of the file. Writes nothing.
 * @throws AgentError BAD_REQUEST naming `path`, `onto` or `size_bytes`; EngineError NO_SUCH_VOLUME (`onto`)
 */
async function streamJob(pool: Pool, volumes: readonly VolumeInfo[], request: ImportJobRequest, source: ImageSource, stepChunkBytes: number | undefined): Promise<NewJob> {
  if (request.sizeBytes !== undefined) throw badRequest('size_bytes', 'a stream import takes its size from the stream');
  let onto: VolumeInfo | null = null;
  if (request.onto !== undefined) {
    onto = volumes.find((v) => v.name === request.onto) ?? null;
    if (onto === null) throw withField(new EngineError('NO_SUCH_VOLUME', `no volume ${quoted(request.onto)} in pool ${pool.name}`, { argument: 'onto' }), 'onto');
    requireComplete(onto, 'onto');
  }
  const header = await streamHeaderFor(request.path, onto);
  const { chunkBytes } = await stepBytes(pool, stepChunkBytes);
  const limit = (await pool.status()).maxVolumeBytes;
  if (header.volumeBytes > limit) throw badRequest('path', `the volume would be ${header.volumeBytes} bytes, beyond the pool's limit of ${limit} bytes per volume`);
  const args = {
    path: request.path,
    format: 'stream',
    volumeBytes: String(header.volumeBytes),
    fileBytes: String(source.sizeBytes),
    mtimeMs: String(source.mtimeMs),
    ontoUuid: onto?.uuid ?? '',
    onto: onto?.name ?? '',
    contentOf: header.targetUuid,
  };
  return imageJob(pool, 'verify', args, { volume: request.volume, volumeUuid: '', totalBytes: source.sizeBytes, chunkBytes, volumeWasActive: false });
}

/**
 * The import kind over `options` (see the module comment).
 * @throws RangeError for an imageChunkBytes that is not a positive whole number (at the first start)
 */
export function importJobKind(options: ImageJobOptions): JobKind<ImportJobRequest> {
  const qemuImg = qemuImgOf(options);

  /** Refuses a file that changed since the job started. @throws AgentError FILE_CHANGED */
  const requireUnchanged = async (a: ImportArgs): Promise<void> => {
    const s = await imageSource('path', a.path, options.block).catch((err: unknown) => {
      throw new AgentError('FILE_CHANGED', `the image ${quoted(a.path)} can no longer be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    });
    if (s.sizeBytes !== a.fileBytes || s.mtimeMs !== a.mtimeMs) {
      throw new AgentError('FILE_CHANGED', `the image ${quoted(a.path)} changed since the import started (size ${s.sizeBytes}, was ${a.fileBytes}); start the import again`);
    }
  };

  /** The job's volume: found by its mark, or made with it; null when it is done and unmarked (finished). */
  const ensureVolume = async (run: JobRun, pool: Pool, a: ImportArgs): Promise<VolumeInfo | null> => {
    const r = run.record;
    const volumes = await pool.list();
    let mine = markedBy(volumes, r.id);
    if (mine === undefined && r.volumeUuid !== '') {
      const byUuid = volumes.find((v) => v.uuid === r.volumeUuid);
      if (byUuid !== undefined && byUuid.job === null && r.doneBytes >= r.totalBytes) return null;
      throw new EngineError('NO_SUCH_VOLUME', `the volume being imported, "${r.volume}", is gone from pool ${r.pool} (it was deleted while the import ran)`);
    }
    if (mine === undefined) {
      if (volumes.some((v) => v.name === r.volume))
        throw new EngineError('NAME_EXISTS', `a volume "${r.volume}" was made in pool ${r.pool} before the import could make it; it is left alone`);
      const result = await pool.batch([...createItems(r, a, volumes), { item: 'mark', op: 'mark-job', volume: r.volume, mark: markOf(r) }]);
      mine = result.items.at(-1)?.volume ?? undefined;
      if (mine === undefined) throw new EngineError('NO_SUCH_VOLUME', `the volume "${r.volume}" the import made is gone`);
      run.logger.info({ volume: r.volume, sizeBytes: mine.sizeBytes }, 'import: volume made');
    }
    if (r.volumeUuid !== mine.uuid || r.phase !== 'copy') await run.update({ volumeUuid: mine.uuid, phase: 'copy' });
    // On a pool under a cluster lock the mark names this holder (Pool.markJob stamps its token).
    const token = pool.writer.token.toString();
    if (token !== '0' && mine.job?.ownerToken !== token) await pool.markJob(mine.name, markOf(r));
    if (r.ownerToken !== token) await run.update({ ownerToken: token });
    return mine;
  };

  /** The raw copy from the checkpoint: zero blocks skipped, the rest written through `device`. */
  const copyRaw = async (run: JobRun, a: ImportArgs, device: string, blockBytes: number): Promise<RunResult | null> => {
    const r = run.record;
    const file = await open(a.path, 'r');
    try {
      while (r.doneBytes < r.totalBytes) {
        if (run.signal.aborted) return 'stopped';
        const from = r.doneBytes;
        const length = Math.min(r.chunkBytes, r.totalBytes - from);
        const data = Buffer.alloc(roundUp(length, SECTOR));
        let got = 0;
        while (got < length) {
          const { bytesRead } = await file.read(data, got, length - got, from + got);
          if (bytesRead === 0) throw new AgentError('FILE_CHANGED', `the image ${quoted(a.path)} ended at ${from + got} bytes, before its ${r.totalBytes}`);
          got += bytesRead;
        }
        run.mayReach(from + length);
        for (const [start, end] of dataRuns(data, blockBytes)) await options.block.write(device, from + start, data.subarray(start, end));
        await run.update({ doneBytes: from + length });
        await yieldToEventLoop();
      }
    } finally {
      await file.close();
    }
    return null;
  };

  /** The conversion through qemu-img, from byte 0 whatever the checkpoint (not resumable). */
  const convert = async (run: JobRun, a: ImportArgs, device: string): Promise<RunResult | null> => {
    if (run.record.doneBytes > 0) {
      run.logger.info({ volume: run.record.volume }, 'import: a qemu-img conversion restarts from 0');
      await run.update({ doneBytes: 0 });
    }
    const progress = percentProgress(run);
    await qemuImg.convert(['-n', '--target-is-zero', '-t', 'none', '-f', a.format, '-O', 'raw', a.path, device], progress.onPercent, run.signal);
    await progress.done();
    if (run.signal.aborted) return 'stopped';
    await run.update({ doneBytes: run.record.totalBytes });
    return null;
  };

  return {
    name: IMPORT_JOB_KIND,

    /**
     * The checks write nothing: the pool is active, the name is free (no volume, no job), the
     * image exists and is readable as `format` (qemu-img info for the formats it converts), and
     * the volume's size is within the pool's limit.
     * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NAME_EXISTS; AgentError JOB_RUNNING,
     *   BAD_REQUEST (`path`, `size_bytes`), TOOL_MISSING
     */
    async start(request: ImportJobRequest, host: JobKindHost): Promise<NewJob> {
      const { pool: poolName, volume: name, path, format } = request;
      const pool = activePool(options, poolName);
      const volumes = await pool.list();
      if (volumes.some((v) => v.name === name)) throw new EngineError('NAME_EXISTS', `volume "${name}" exists in pool ${poolName}`, { argument: 'volume' });
      const other = host.unfinishedJobOn(poolName, '', name);
      if (other !== null) throw new AgentError('JOB_RUNNING', `job ${other.id} (${other.kind}) works on a volume "${name}" of pool ${poolName}`);
      const source = await imageSource('path', path, options.block);
      if (format === 'stream') return streamJob(pool, volumes, request, source, options.imageChunkBytes);
      if (request.onto !== undefined) throw badRequest('format', 'an import with onto reads the incremental stream format');
      const imageBytes = format === 'raw' ? source.sizeBytes : await qemuImg.virtualSizeBytes('path', path, format);
      const { chunkBytes, blockBytes } = await stepBytes(pool, options.imageChunkBytes);
      const volumeBytes = roundUp(Math.max(imageBytes, request.sizeBytes ?? 0), blockBytes);
      const limit = (await pool.status()).maxVolumeBytes;
      if (volumeBytes > limit) {
        const field = (request.sizeBytes ?? 0) > imageBytes ? 'size_bytes' : 'path';
        throw badRequest(field, `the volume would be ${volumeBytes} bytes, beyond the pool's limit of ${limit} bytes per volume`);
      }
      const args = { path, format, volumeBytes: String(volumeBytes), fileBytes: String(source.sizeBytes), mtimeMs: String(source.mtimeMs) };
      return imageJob(pool, 'create', args, { volume: name, volumeUuid: '', totalBytes: imageBytes, chunkBytes, volumeWasActive: false });
    },

    /** Makes (or finds) the volume, copies the image from the checkpoint, then deactivates it and clears its mark. */
    async resume(run: JobRun, pool: Pool): Promise<RunResult> {
      const r = run.record;
      const a = argsOf(r);
      if (a.format === 'stream' && r.phase === 'verify') {
        await requireUnchanged(a);
        const stopped = await verifyStream(run, a.path, a.fileBytes);
        if (stopped !== null) return stopped;
        await run.update({ phase: 'create' });
      }
      let volume = await ensureVolume(run, pool, a);
      if (volume === null) return { done: 'the volume was imported' };
      if (r.doneBytes < r.totalBytes) {
        await requireUnchanged(a);
        const device = (await pool.activateVolume(volume.name)).devicePath;
        if (device === null) throw new EngineError('KERNEL_FAILED', `volume "${volume.name}" has no device after activation`);
        run.logger.info({ volume: r.volume, format: a.format, fromBytes: r.doneBytes, totalBytes: r.totalBytes }, 'importing the image');
        const { blockBytes } = await stepBytes(pool, r.chunkBytes);
        const stopped =
          a.format === 'raw'
            ? await copyRaw(run, a, device, blockBytes)
            : a.format === 'stream'
              ? await applyStream(run, a.path, a.fileBytes, device, options.block)
              : await convert(run, a, device);
        if (stopped !== null) return stopped;
      }
      if (run.signal.aborted) return 'stopped';
      volume = markedBy(await pool.list(), r.id) ?? volume;
      if (volume.active) await pool.deactivateVolume(volume.name);
      await pool.markJob(volume.name, null);
      return { done: 'the volume was imported' };
    },

    /** Hand-over: the image is on this host, so no other holder can go on; the partial volume is deleted. */
    async checkpoint(job: JobView, pool: Pool): Promise<void> {
      const v = markedBy(await pool.list(), job.record.id);
      if (v === undefined) return;
      job.logger.warn({ volume: v.name }, 'import: its pool leaves this host, where its image is; deleting the partial volume');
      await deleteImported(pool, v);
    },

    /** Deletes the partial volume (found by the job's mark); a failure is said, and the pool's next activation deletes it. */
    async cancel(job: JobView, pool: Pool): Promise<string> {
      try {
        if (!pool.isActive) return '; the partial volume is deleted when its pool is next active here';
        const v = markedBy(await pool.list(), job.record.id);
        if (v === undefined) return '';
        await deleteImported(pool, v);
        return '; the partial volume is deleted';
      } catch (err) {
        job.logger.warn({ err }, 'import: could not delete the partial volume');
        const why = err instanceof Error ? err.message : String(err);
        return `; the partial volume could not be deleted (${errorCodeOf(err)}: ${why}); the pool's next activation here deletes it`;
      }
    },

    /**
     * Said without looking at the pool: a job that had copied every byte may have committed its
     * volume (cleared its mark) before it stopped, and such a volume, complete, remains (a queued
     * job cancelled after a crash in that window).
     */
    outcome(r: JobRecord): string {
      if (r.doneBytes >= r.totalBytes) return `the import had copied all ${r.totalBytes} bytes of the image; if it had committed its volume before it stopped, the volume remains, complete`;
      return `the import stopped after ${r.doneBytes} of the image's ${r.totalBytes} bytes`;
    },

    async errorMeansDone(): Promise<string | null> {
      return null;
    },

    /**
     * Deletes every import-marked volume whose job is not running or queued here: an import
     * whose end could not delete its volume, or one another host started (its image is there).
     */
    async adopt(pool: Pool, host: JobKindHost): Promise<void> {
      for (const v of await pool.list()) {
        const mark = v.job;
        if (mark?.kind !== IMPORT_JOB_KIND) continue;
        const known = host.known(mark.jobId);
        if (known !== null && !isTerminalState(known.state)) continue;
        host.logger.warn({ pool: pool.name, volume: v.name, job: mark.jobId }, 'deleting the partial volume of an import that is not running here');
        await deleteImported(pool, v).catch((err: unknown) =>
          host.logger.error({ pool: pool.name, volume: v.name, job: mark.jobId, err }, 'could not delete the partial volume of an import'),
        );
      }
    },
  };
}
