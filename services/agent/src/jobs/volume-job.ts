/**
 * What the job kinds that work on one volume of one pool (delete, flatten) share: finding the
 * volume a job starts on, following it by uuid, the chunk size in whole data blocks, and adopting
 * the jobs an earlier holder of the pool recorded in its catalog as marks.
 */
import { EngineError, type Pool, type VolumeInfo } from '@thinfleet/engine';
import type { JobKindHost, JobRun, NewJob } from './job-kind.js';
import { isTerminalState, JOB_ID_PATTERN, type MutableJobRecord } from './job-record.js';

/** Lets other work of the event loop run between two steps of a job. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The volume with catalog uuid `uuid`, or null when the pool has none. */
export async function resolveVolume(pool: Pool, uuid: string): Promise<VolumeInfo | null> {
  return (await pool.list()).find((v) => v.uuid === uuid) ?? null;
}

/**
 * The active pool and the volume a new job names. Writes nothing.
 * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME
 */
export async function startingVolume(engine: { pool(name: string): Pool }, poolName: string, volumeName: string): Promise<{ pool: Pool; volume: VolumeInfo }> {
  const pool = engine.pool(poolName);
  if (!pool.isActive) throw new EngineError('POOL_INACTIVE', `pool ${poolName} is not active`);
  const volume = (await pool.list()).find((v) => v.name === volumeName);
  if (volume === undefined) throw new EngineError('NO_SUCH_VOLUME', `no volume "${volumeName}" in pool ${poolName}`);
  return { pool, volume };
}

/**
 * A new job on `volume` of `pool` from offset 0, in chunks of `chunkBytes` rounded down to whole
 * data blocks of the pool (at least one block), owned under the pool's writer token.
 */
export async function newJobOn(pool: Pool, volume: VolumeInfo, chunkBytes: number, phase?: string): Promise<NewJob> {
  const blockBytes = (await pool.status()).dataBlockBytes;
  return {
    pool,
    fields: {
      pool: pool.name,
      volume: volume.name,
      volumeUuid: volume.uuid,
      doneBytes: 0,
      totalBytes: volume.sizeBytes,
      chunkBytes: Math.max(blockBytes, Math.floor(chunkBytes / blockBytes) * blockBytes),
      volumeWasActive: volume.active,
      ownerToken: pool.writer.token.toString(),
      ...(phase === undefined ? {} : { phase }),
    },
  };
}

/**
 * The run's volume found by uuid (null when gone); a record whose volume was renamed or grown
 * since is brought up to date first (its checkpoint kept within the volume).
 */
export async function followVolume(run: JobRun, pool: Pool): Promise<VolumeInfo | null> {
  const r = run.record;
  const volume = await resolveVolume(pool, r.volumeUuid);
  if (volume !== null && (volume.name !== r.volume || volume.sizeBytes !== r.totalBytes)) {
    await run.update({ volume: volume.name, totalBytes: volume.sizeBytes, doneBytes: Math.min(r.doneBytes, volume.sizeBytes) });
  }
  return volume;
}

/** How one kind finds, clears and adopts its marks (see adoptMarks). */
export interface MarkAdoption<M extends { readonly jobId: string; readonly doneBytes: number }> {
  /** The kind's name, for the log. */
  readonly kind: string;
  /** The kind's mark on `v`, or null. */
  markOf(v: VolumeInfo): M | null;
  /** Clears the kind's mark on volume `name`. */
  clear(pool: Pool, name: string): Promise<unknown>;
  /** The record of the job `mark` names, adopted at the mark's checkpoint (state queued). */
  record(pool: string, v: VolumeInfo, mark: M, nowMs: number): MutableJobRecord;
}

/**
 * Adopts the jobs of one kind recorded in pool `pool`'s catalog: a marked volume whose job this
 * host does not know gets a record (same id, the mark's checkpoint), saved before it runs; a
 * known one moves to the mark's checkpoint when that is further; the mark of a job that ended
 * here is cleared (its end could not clear it; adopting it would redo what was stopped).
 */
export async function adoptMarks<M extends { readonly jobId: string; readonly doneBytes: number }>(pool: Pool, host: JobKindHost, kind: MarkAdoption<M>): Promise<void> {
  const name = pool.name;
  const logger = host.logger;
  for (const v of await pool.list()) {
    const mark = kind.markOf(v);
    if (mark === null) continue;
    const where = { pool: name, volume: v.name, job: mark.jobId };
    if (host.endedHere(mark.jobId)) {
      logger.warn(where, `clearing the ${kind.kind} mark of a job that ended here`);
      await kind.clear(pool, v.name).catch((err: unknown) => logger.error({ ...where, err }, `could not clear the ${kind.kind} mark of a job that ended here`));
      continue;
    }
    const known = host.known(mark.jobId);
    if (known !== null) {
      if (known.volumeUuid === v.uuid && !isTerminalState(known.state) && mark.doneBytes > known.doneBytes) {
        await host.progress(known.id, { doneBytes: Math.min(mark.doneBytes, known.totalBytes) });
      }
      continue;
    }
    if (!JOB_ID_PATTERN.test(mark.jobId)) {
      logger.warn(where, `a ${kind.kind} mark names a job id this agent cannot use; ignored`);
      continue;
    }
    const record = kind.record(name, v, mark, host.now());
    // How far the pool's earlier holder got past the mark's checkpoint is not known.
    await host.adopt(record, record.totalBytes);
    logger.info({ ...where, doneBytes: record.doneBytes, totalBytes: record.totalBytes, phase: record.phase }, `${kind.kind} job adopted from the pool`);
  }
}

/**
 * The record of job `mark.jobId` of kind `kind`, adopted from its mark on `volume` in pool
 * `pool`: state queued, at the mark's checkpoint (within the volume) and `phase`.
 * `volumeWasActive` is false: the adopting host never had the volume active for a user. Pure.
 */
export function markedRecord(
  kind: string,
  pool: string,
  volume: { readonly name: string; readonly uuid: string; readonly sizeBytes: number },
  mark: { readonly jobId: string; readonly doneBytes: number; readonly chunkBytes: number; readonly createdMs: number },
  nowMs: number,
  phase: string,
): MutableJobRecord {
  return {
    id: mark.jobId,
    kind,
    pool,
    volume: volume.name,
    volumeUuid: volume.uuid,
    state: 'queued',
    doneBytes: Math.min(mark.doneBytes, volume.sizeBytes),
    totalBytes: volume.sizeBytes,
    chunkBytes: mark.chunkBytes,
    createdMs: mark.createdMs,
    updatedMs: nowMs,
    error: null,
    errorCode: null,
    volumeWasActive: false,
    ownerToken: '0',
    phase,
  };
}
