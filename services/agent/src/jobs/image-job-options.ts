/**
 * What the import and export kinds (import-job.ts, export-job.ts) share: their options, their
 * step size, and the progress of a qemu-img conversion as job checkpoints.
 */
import { EngineError, type Pool } from '@thinfleet/engine';
import type { DeleteJobOptions } from './delete-job.js';
import type { JobRun, NewJob, NewJobFields } from './job-kind.js';
import { QemuImg } from './qemu-img.js';

/** Default bytes of a stream export's diff window: 1 GiB. */
export const DEFAULT_DIFF_WINDOW_BYTES = 1024 * 1024 * 1024;

/** Default bytes per step of a raw import or export: 4 MiB. */
export const DEFAULT_IMAGE_CHUNK_BYTES = 4 * 1024 * 1024;

/** The engine and the block client (reads and writes of volumes' devices) as the delete kind has them, and the image kinds' own. */
export interface ImageJobOptions extends Pick<DeleteJobOptions, 'engine' | 'block'> {
  /** qemu-img for the formats other than raw (default: the `qemu-img` on PATH). */
  readonly qemuImg?: QemuImg;
  /** Bytes per step of a raw copy (default 4 MiB), rounded down to a multiple of the pool's data block size (at least one block). */
  readonly imageChunkBytes?: number;
  /**
   * Bytes of the volume a stream export (diff-export.ts) reads the diff of at once, under one
   * metadata snapshot (default 1 GiB; rounded down to whole data blocks, at least one): bounds
   * the ranges held in memory, at the cost of one metadata commit per window.
   */
  readonly diffWindowBytes?: number;
}

/**
 * The step of a job in pool `pool`: `chunkBytes` rounded down to whole data blocks, at least one.
 * @throws RangeError for a chunkBytes that is not a positive whole number
 */
export async function stepBytes(pool: Pool, chunkBytes: number | undefined): Promise<{ chunkBytes: number; blockBytes: number }> {
  const wanted = chunkBytes ?? DEFAULT_IMAGE_CHUNK_BYTES;
  if (!Number.isSafeInteger(wanted) || wanted <= 0) throw new RangeError(`imageChunkBytes ${wanted} must be a positive whole number`);
  const blockBytes = (await pool.status()).dataBlockBytes;
  return { chunkBytes: Math.max(blockBytes, Math.floor(wanted / blockBytes) * blockBytes), blockBytes };
}

/**
 * Saves the percentages a qemu-img conversion reports as the job's `doneBytes` (of
 * `totalBytes`), at most once per whole percent, one save after another. `done` waits for the
 * saves and rethrows the first that failed. These are progress, not checkpoints: a conversion
 * restarts from 0 after a crash.
 */
export function percentProgress(run: JobRun): { onPercent: (percent: number) => void; done: () => Promise<void> } {
  const total = run.record.totalBytes;
  let saved = -1;
  let chain = Promise.resolve();
  let failure: unknown = null;
  return {
    onPercent(percent) {
      const whole = Math.floor(percent);
      if (whole <= saved) return;
      saved = whole;
      const bytes = Math.min(total, Math.floor((total * whole) / 100));
      run.mayReach(bytes);
      chain = chain.then(() => run.update({ doneBytes: bytes })).catch((err: unknown) => void (failure ??= err));
    },
    async done() {
      await chain;
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the save's own error
      if (failure !== null) throw failure;
    },
  };
}

/**
 * The job an image kind's `start` returns: pool `pool` under its writer's token, from byte 0, in
 * phase `phase`, with the kind's arguments; `fields` gives the volume's part (name, uuid, sizes).
 */
export function imageJob(
  pool: Pool,
  phase: string,
  args: Readonly<Record<string, string>>,
  fields: Pick<NewJobFields, 'volume' | 'volumeUuid' | 'totalBytes' | 'chunkBytes' | 'volumeWasActive'>,
): NewJob {
  return { pool, fields: { ...fields, pool: pool.name, doneBytes: 0, ownerToken: pool.writer.token.toString(), phase, args } };
}

/** Pool `name` of `options`' engine, active. @throws EngineError NO_SUCH_POOL, POOL_INACTIVE */
export function activePool(options: ImageJobOptions, name: string): Pool {
  const pool = options.engine.pool(name);
  if (!pool.isActive) throw new EngineError('POOL_INACTIVE', `pool ${name} is not active`);
  return pool;
}

/** The qemu-img of `options` (the one on PATH by default). */
export function qemuImgOf(options: ImageJobOptions): QemuImg {
  return options.qemuImg ?? new QemuImg();
}

/** Lets other work run between steps. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
