/**
 * The `copy` job kind: a sparse copy of a volume into a new volume of a pool held by this agent
 * (run by job-runner.ts). Pull model: the job runs on the holder of the DESTINATION pool; the
 * source is a stateless reader (copy-source.ts) on the holder of the source pool: this agent
 * (`localCopySource`, no gRPC) or, between hosts, the agent that holds it (`options.copySource`).
 *
 * Phases: `create` (the destination volume, same size as the source rounded up to the
 * destination's data block, is made in ONE catalog transaction with the job's mark:
 * `Pool.markJob`, kind `copy`, whose `args` name the source, so the pool's next holder can go on),
 * `copy` (window by window from the checkpoint), `commit` (the destination is deactivated and
 * one transaction clears the mark: from then on it is an ordinary volume).
 *
 * Until the commit the destination is invisible: ListVolumes and GetVolume leave out every
 * volume carrying a copy mark (`isIncompleteCopy`), and every change to it, activation
 * included, is refused like any volume a job works on (volume-service.ts `noJobOn`: JOB_RUNNING).
 *
 * One window (`chunkBytes`, at most 4 MiB, whole destination blocks): the source yields its runs
 * (only mapped data, all-zero blocks left out; copy-source.ts says what travels with an external
 * origin) each with a SHA-256, and the SHA-256 of the whole window. Each run's checksum is checked
 * on receipt, before anything is written; the runs are written through the destination's device
 * (BlockClient, durable writes); the destination's window is read back (its mapped ranges, under
 * a metadata snapshot: Pool.readCopyWindow) and its digest compared with the source's. A mismatch
 * fails the window, which is read and written again from the checkpoint, up to
 * COPY_WINDOW_ATTEMPTS times; then the job fails CHECKSUM_MISMATCH (and deletes its volume).
 * The checkpoint (`doneBytes`) is saved after each verified window, and written into the mark
 * every `markEveryMs`.
 *
 * Crash story (with the runner's: the record is saved before any work):
 * - before the create transaction commits: the resumed job finds no volume of its mark and makes
 *   it (a volume of the name that is not its own fails the job; it is never touched);
 * - after it, before the record has the volume's uuid: the resumed job finds its volume by mark;
 * - inside a window: the window is copied again from the checkpoint (the same runs to the same
 *   offsets; a block written twice holds the same bytes; the read-back check covers the window);
 * - between windows: resumed from the checkpoint (the record's or the mark's, the further);
 * - after the copy, before the commit transaction: the resumed job (phase `commit`) deactivates
 *   the volume and clears the mark;
 * - after the commit, before the record says succeeded: the resumed job finds its volume by
 *   uuid, unmarked, phase `commit`: succeeded.
 * A job that ends without finishing (failed, cancelled) deletes the volume it made, and only a
 * volume carrying its mark: a failed copy leaves no volume behind. If that delete fails (or the
 * agent dies first) the mark stays and the pool's next activation deletes the volume (`adopt`:
 * a copy mark of a job that ended here).
 *
 * Hand-over of the destination pool: `checkpoint` writes the job's checkpoint and phase into
 * the mark and deactivates the volume; the next holder `adopt`s the mark (same job id, the
 * source from the mark's args) and goes on from the checkpoint. The source is read through the
 * source pool's holder wherever it is (a local source when the next holder holds it too).
 *
 * The source: a volume of any pool (the same pool, another pool here, another host's), followed
 * by uuid; it may be in use (each window is read as it is then: copy a snapshot for a copy of
 * one instant). A source deleted meanwhile fails the job (NO_SUCH_VOLUME), which deletes its
 * partial volume. Where the source is read (here or through the coordinator) is copy-sources.ts.
 *
 * A move between hosts is this kind with `move` in its arguments: the destination keeps the
 * source's uuid, and the source is deleted after the switch (copy-move.ts: its steps, its
 * precondition on the source, and the crash story of the window between the two sides).
 */
import type { BlockClient } from '@thinfleet/devmapper';
import { EngineError, quoted, type JobMark, type Pool, type VolumeInfo } from '@thinfleet/engine';
import { AgentError, badRequest } from '../agent-error.js';
import type { RemoteCopySources } from '../cluster/coordinator-transfer.js';
import { sha256Of, windowDigest, type CopySource, type CopySourceSpec, type CopyWindow } from './copy-source.js';
import { requireOwnership } from './delete-job.js';
import { deleteMovedSource, requireMoveSourceUnchanged, type MoveSource } from './copy-move.js';
import { copySources } from './copy-sources.js';
import type { JobKind, JobKindHost, JobRun, JobView, NewJob, RunResult } from './job-kind.js';
import { errorCodeOf } from './job-outcome.js';
import type { JobRecord, MutableJobRecord } from './job-record.js';
import { adoptMarks, markedRecord, yieldToEventLoop } from './volume-job.js';

/** The copy kind's name, the `kind` of its records and marks. */
export const COPY_JOB_KIND = 'copy';

/** Default and largest bytes per window: 4 MiB (a window travels in one bounded message between hosts). */
export const DEFAULT_COPY_CHUNK_BYTES = 4 * 1024 * 1024;
export const MAX_COPY_CHUNK_BYTES = 4 * 1024 * 1024;

/** How many times one window is read, written and verified before the job fails CHECKSUM_MISMATCH. */
export const COPY_WINDOW_ATTEMPTS = 3;

export interface CopyJobOptions {
  /** The engine (or anything that finds active pools by name the way `Engine.pool` does). */
  readonly engine: { pool(name: string): Pool };
  /** Writes of the destination's device. */
  readonly block: BlockClient;
  /** Bytes per window (default and at most 4 MiB), rounded down to whole destination blocks (at least one). */
  readonly copyChunkBytes?: number;
  /** How often a copying job also writes its checkpoint into its mark (default 1000 ms; 0: after every window). */
  readonly markEveryMs?: number;
  /**
   * The reader of a source: default `localCopySource` over `engine` (the source pool is held by
   * this agent). Cluster mode passes one that reads a source held by another host through the
   * coordinator; tests pass one that corrupts a run.
   */
  readonly copySource?: (spec: CopySourceSpec, engine: { pool(name: string): Pool }) => CopySource;
  /**
   * Cluster mode: sources whose pool another host holds, read through the coordinator
   * (cluster/coordinator-transfer.ts). Without it only a source pool held here can be copied.
   */
  readonly remote?: Pick<RemoteCopySources, 'describe' | 'source' | 'deleteVolume'>;
  /** Makes external origin `origin` usable by `pool` before a `keepOrigin` copy creates its volume (the agent's HostPools.prepareOrigin). */
  readonly prepareOrigin?: (pool: Pool, origin: string) => Promise<void>;
}

/** What `JobManager.startCopy` asks: copy volume `volume` of pool `pool` to the new volume `targetName` of `targetPool`. */
export interface CopyJobRequest {
  readonly pool: string;
  readonly volume: string;
  readonly targetPool: string;
  readonly targetName: string;
  /** The destination names the source's external origin; only the source's own mappings travel. */
  readonly keepOrigin?: boolean;
  /**
   * A move (copy-move.ts): the destination keeps the source's uuid, and the source (inactive, in
   * another pool) is deleted once the copy is verified.
   */
  readonly move?: boolean;
}

/** The arguments a copy keeps in its record and its mark. */
interface CopyArgs {
  readonly source: CopySourceSpec;
  readonly sourceName: string;
  readonly sourceBytes: number;
  /** A move: the destination has the source's uuid, and the source is deleted at the end. */
  readonly move: boolean;
}

/** True for a volume a copy is still making: invisible to ListVolumes and GetVolume until the copy commits. */
export function isIncompleteCopy(v: Pick<VolumeInfo, 'job'>): boolean {
  // A moved volume whose source is being deleted is complete (copy-move.ts), and shown.
  return v.job?.kind === COPY_JOB_KIND && v.job.phase !== 'delete-source';
}

/** The arguments of `r` (or a mark's). @throws Error when they are missing or malformed */
function argsOf(id: string, a: Readonly<Record<string, string>> | undefined): CopyArgs {
  const x = a ?? {};
  const sourceBytes = Number(x.sourceBytes);
  const granule = Number(x.granuleBytes);
  if (!x.sourcePool || !x.sourceUuid || !x.sourceName || !Number.isSafeInteger(sourceBytes) || sourceBytes <= 0 || !Number.isSafeInteger(granule) || granule <= 0) {
    throw new Error(`copy job ${id}: its record names no source`);
  }
  return {
    source: { pool: x.sourcePool, uuid: x.sourceUuid, origin: x.origin ?? '', keepOrigin: x.keepOrigin === '1', zeroGranuleBytes: granule },
    sourceName: x.sourceName,
    sourceBytes,
    move: x.move === '1',
  };
}

/** The copy mark of job `r` at its checkpoint and phase, with its arguments. */
function markOf(r: JobRecord): JobMark {
  return {
    kind: COPY_JOB_KIND,
    jobId: r.id,
    doneBytes: r.doneBytes,
    chunkBytes: r.chunkBytes,
    createdMs: r.createdMs,
    phase: r.phase === '' ? 'create' : r.phase,
    ...(r.args ? { args: r.args } : {}),
  };
}

/** The volume carrying the copy mark of job `id`, or undefined. */
const markedBy = (volumes: readonly VolumeInfo[], id: string): VolumeInfo | undefined => volumes.find((v) => v.job?.kind === COPY_JOB_KIND && v.job.jobId === id);

/** The record of a copy adopted from its mark on `v` (state queued, at the mark's checkpoint and phase, its source from the mark). Pure. */
export function adoptedCopyRecord(pool: string, v: VolumeInfo, mark: JobMark, nowMs: number): MutableJobRecord {
  const sourceBytes = Number(mark.args?.sourceBytes);
  const total = Number.isSafeInteger(sourceBytes) && sourceBytes > 0 && sourceBytes <= v.sizeBytes ? sourceBytes : v.sizeBytes;
  return {
    ...markedRecord(COPY_JOB_KIND, pool, v, mark, nowMs, mark.phase),
    totalBytes: total,
    doneBytes: Math.min(mark.doneBytes, total),
    ...(mark.args ? { args: { ...mark.args } } : {}),
  };
}

/**
 * The copy kind over `options` (see the module comment).
 * @throws RangeError for a copyChunkBytes that is not a whole number from 512 to 4 MiB
 */
export function copyJobKind(options: CopyJobOptions): JobKind<CopyJobRequest> {
  const wanted = options.copyChunkBytes ?? DEFAULT_COPY_CHUNK_BYTES;
  if (!Number.isSafeInteger(wanted) || wanted < 512 || wanted > MAX_COPY_CHUNK_BYTES)
    throw new RangeError(`copyChunkBytes ${wanted} must be a whole number from 512 to ${MAX_COPY_CHUNK_BYTES}`);
  const markEveryMs = options.markEveryMs ?? 1000;
  const { heldHere, activePool, sourceOf, describeSource, moveSourceNow } = copySources(options, isIncompleteCopy);
  const moveSourceOf = (a: CopyArgs): MoveSource => ({ pool: a.source.pool, name: a.sourceName, uuid: a.source.uuid, sizeBytes: a.sourceBytes });

  /** Deletes the source of finished move `a` (copy-move.ts step 3). */
  const deleteSource = async (run: JobRun, a: CopyArgs): Promise<void> => {
    const source = moveSourceOf(a);
    const remote = !heldHere(source.pool) ? options.remote : undefined;
    const remove = (name: string): Promise<void> =>
      remote !== undefined
        ? remote.deleteVolume(source.pool, name)
        : activePool('pool', source.pool)
            .deleteVolume(name)
            .then(() => undefined);
    const said = await deleteMovedSource(source, () => moveSourceNow(source), remove);
    run.logger.info({ source: `${source.pool}/${source.name}` }, `move: ${said}`);
  };

  /** The job's volume: found by its mark, or made with it; null when the copy had committed it (finished). */
  const ensureVolume = async (run: JobRun, pool: Pool, a: CopyArgs): Promise<VolumeInfo | null> => {
    const r = run.record;
    const volumes = await pool.list();
    let mine = markedBy(volumes, r.id);
    if (mine === undefined && r.volumeUuid !== '') {
      const byUuid = volumes.find((v) => v.uuid === r.volumeUuid);
      if (byUuid !== undefined && byUuid.job === null && (r.phase === 'commit' || r.phase === 'delete-source')) return null;
      throw new EngineError('NO_SUCH_VOLUME', `the volume being copied to, "${r.volume}", is gone from pool ${r.pool} (it was deleted while the copy ran)`);
    }
    if (mine === undefined) {
      if (volumes.some((v) => v.name === r.volume)) throw new EngineError('NAME_EXISTS', `a volume "${r.volume}" was made in pool ${r.pool} before the copy could make it; it is left alone`);
      const blockBytes = (await pool.status()).dataBlockBytes;
      const sizeBytes = Math.ceil(a.sourceBytes / blockBytes) * blockBytes;
      const keep = a.source.keepOrigin && a.source.origin !== '';
      if (keep) await options.prepareOrigin?.(pool, a.source.origin);
      const uuid = a.move ? { uuid: a.source.uuid } : {};
      const create = keep
        ? ({ item: 'create', op: 'create-external', volume: r.volume, externalOrigin: a.source.origin, sizeBytes, ...uuid } as const)
        : ({ item: 'create', op: 'create', volume: r.volume, sizeBytes, ...uuid } as const);
      const result = await pool.batch([create, { item: 'mark', op: 'mark-job', volume: r.volume, mark: markOf({ ...r, phase: 'copy' }) }]);
      mine = result.items.at(-1)?.volume ?? undefined;
      if (mine === undefined) throw new EngineError('NO_SUCH_VOLUME', `the volume "${r.volume}" the copy made is gone`);
      run.logger.info({ volume: r.volume, sizeBytes: mine.sizeBytes }, 'copy: volume made');
    }
    if (r.volumeUuid !== mine.uuid || r.phase === 'create' || r.phase === '') await run.update({ volumeUuid: mine.uuid, phase: r.phase === 'create' || r.phase === '' ? 'copy' : r.phase });
    requireOwnership(pool, r, mine.job);
    if (mine.job !== null && mine.job.doneBytes > r.doneBytes) await run.update({ doneBytes: Math.min(mine.job.doneBytes, r.totalBytes) });
    // On a pool under a cluster lock the mark names this holder (Pool.markJob stamps its token).
    const token = pool.writer.token.toString();
    if (token !== '0' && mine.job?.ownerToken !== token) await pool.markJob(mine.name, markOf(r));
    if (r.ownerToken !== token) await run.update({ ownerToken: token });
    return mine;
  };

  /** Writes one window of the source into the destination and verifies it. @throws AgentError CHECKSUM_MISMATCH (this attempt) */
  const copyWindow = async (pool: Pool, target: VolumeInfo, device: string, window: CopyWindow, keepOrigin: boolean): Promise<void> => {
    for (const run of window.runs) {
      if (sha256Of(run.data) !== run.sha256) throw new AgentError('CHECKSUM_MISMATCH', `a run of ${run.data.length} bytes at ${run.offsetBytes} did not match its checksum on receipt`);
      if (run.offsetBytes < window.offsetBytes || run.offsetBytes + run.data.length > window.offsetBytes + window.lengthBytes) {
        throw new AgentError('CHECKSUM_MISMATCH', `a run at ${run.offsetBytes} lies outside its window`);
      }
    }
    for (const run of window.runs) await options.block.write(device, run.offsetBytes, run.data);
    const back = await pool.readCopyWindow(target.uuid, window.offsetBytes, window.lengthBytes, keepOrigin);
    if (windowDigest(window.offsetBytes, window.lengthBytes, back.runs) !== window.windowSha256) {
      throw new AgentError('CHECKSUM_MISMATCH', `the window of ${window.lengthBytes} bytes at ${window.offsetBytes} read back from the destination does not match the source's digest`);
    }
  };

  /** The copy phase from the checkpoint; 'stopped' when the signal came first. */
  const copy = async (run: JobRun, pool: Pool, target: VolumeInfo, a: CopyArgs): Promise<'stopped' | null> => {
    const r = run.record;
    const source = sourceOf(a.source);
    const device = (await pool.activateVolume(target.name)).devicePath;
    if (device === null) throw new EngineError('KERNEL_FAILED', `volume "${target.name}" has no device after activation`);
    const keep = a.source.keepOrigin && a.source.origin !== '';
    let markedAtMs = run.host.now();
    run.logger.info({ volume: r.volume, source: `${a.source.pool}/${a.sourceName}`, fromBytes: r.doneBytes, totalBytes: r.totalBytes }, 'copying the volume window by window');
    while (r.doneBytes < r.totalBytes) {
      if (run.signal.aborted) return 'stopped';
      const from = r.doneBytes;
      const length = Math.min(r.chunkBytes, r.totalBytes - from);
      if (a.move) requireMoveSourceUnchanged(moveSourceOf(a), await moveSourceNow(moveSourceOf(a)));
      run.mayReach(from + length);
      for (let attempt = 1; ; attempt++) {
        try {
          await copyWindow(pool, target, device, await source.readWindow(from, length), keep);
          break;
        } catch (err) {
          if (!(err instanceof AgentError && err.code === 'CHECKSUM_MISMATCH') || attempt >= COPY_WINDOW_ATTEMPTS) {
            if (err instanceof AgentError && err.code === 'CHECKSUM_MISMATCH') err.message = `${err.message} (${attempt} attempts)`;
            throw err;
          }
          run.logger.warn({ err, fromBytes: from, attempt }, 'copy: a window failed its check; copying it again');
        }
      }
      await run.update({ doneBytes: from + length });
      if (run.host.now() - markedAtMs >= markEveryMs) {
        await pool.markJob(target.name, markOf(r));
        markedAtMs = run.host.now();
      }
      await yieldToEventLoop();
    }
    return null;
  };

  /** Deletes the volume carrying the job's mark, if any (never another). @throws the engine's error */
  const deleteMine = async (pool: Pool, id: string): Promise<boolean> => {
    const v = markedBy(await pool.list(), id);
    if (v === undefined) return false;
    await pool.deleteVolume(v.name);
    return true;
  };

  return {
    name: COPY_JOB_KIND,

    /**
     * The checks write nothing: both pools active here (the source's, for a local source), the
     * source exists and is complete, the target name is free (no volume, no job) and differs from
     * the source, the size fits the destination pool, `keepOrigin` only with an external origin.
     * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE (argument `pool` or `target_pool`),
     *   NO_SUCH_VOLUME, NAME_EXISTS (argument `target_name`); AgentError BAD_REQUEST
     *   (`target_name`, `target_pool`, `keep_origin`), JOB_RUNNING
     */
    async start(request: CopyJobRequest, host: JobKindHost): Promise<NewJob> {
      const { pool: sourcePoolName, volume: sourceName, targetPool: targetPoolName, targetName } = request;
      if (sourcePoolName === targetPoolName && sourceName === targetName) throw badRequest('target_name', 'names the source itself; a copy needs a new name or another pool');
      const target = activePool('target_pool', targetPoolName);
      const source = await describeSource(sourcePoolName, sourceName);
      if (request.move === true) {
        if (sourcePoolName === targetPoolName) throw badRequest('target_pool', "is the source's pool: a move within a pool is a rename");
        if (source.active) {
          throw new EngineError('VOLUME_ACTIVE', `volume "${sourceName}" of pool ${sourcePoolName} is active; deactivate it to move it to another host`, { argument: 'name' });
        }
        if ((await target.list()).some((v) => v.uuid === source.uuid)) throw badRequest('target_pool', `holds a volume with the uuid of "${sourceName}" already`);
      }
      if (request.keepOrigin === true && source.externalOrigin === null) throw badRequest('keep_origin', `volume "${sourceName}" has no external origin to keep`);
      if ((await target.list()).some((v) => v.name === targetName))
        throw new EngineError('NAME_EXISTS', `volume "${targetName}" exists in pool ${targetPoolName}`, { argument: 'target_name' });
      const other = host.unfinishedJobOn(targetPoolName, '', targetName);
      if (other !== null) throw new AgentError('JOB_RUNNING', `job ${other.id} (${other.kind}) works on a volume "${targetName}" of pool ${targetPoolName}`);
      const status = await target.status();
      const blockBytes = status.dataBlockBytes;
      const sizeBytes = Math.ceil(source.sizeBytes / blockBytes) * blockBytes;
      if (sizeBytes > status.maxVolumeBytes) throw badRequest('target_pool', `the copy would be ${sizeBytes} bytes, beyond the pool's limit of ${status.maxVolumeBytes} bytes per volume`);
      const chunkBytes = Math.max(blockBytes, Math.floor(Math.min(wanted, MAX_COPY_CHUNK_BYTES) / blockBytes) * blockBytes);
      if (chunkBytes > MAX_COPY_CHUNK_BYTES) throw badRequest('target_pool', `its data block of ${blockBytes} bytes is larger than a copy window (${MAX_COPY_CHUNK_BYTES} bytes)`);
      const args: Record<string, string> = {
        sourcePool: sourcePoolName,
        sourceName,
        sourceUuid: source.uuid,
        sourceBytes: String(source.sizeBytes),
        origin: source.externalOrigin ?? '',
        keepOrigin: request.keepOrigin === true ? '1' : '0',
        granuleBytes: String(blockBytes),
        move: request.move === true ? '1' : '0',
      };
      return {
        pool: target,
        fields: {
          pool: targetPoolName,
          volume: targetName,
          volumeUuid: '',
          doneBytes: 0,
          totalBytes: source.sizeBytes,
          chunkBytes,
          volumeWasActive: false,
          ownerToken: target.writer.token.toString(),
          phase: 'create',
          args,
        },
      };
    },

    /** Makes (or finds) the volume, copies from the checkpoint, then deactivates it and clears its mark in one transaction. */
    async resume(run: JobRun, pool: Pool): Promise<RunResult> {
      const r = run.record;
      const a = argsOf(r.id, r.args);
      const target = await ensureVolume(run, pool, a);
      if (target !== null) {
        if (r.phase === 'copy') {
          if ((await copy(run, pool, target, a)) === 'stopped') return 'stopped';
          if (run.signal.aborted) return 'stopped';
          if (a.move) requireMoveSourceUnchanged(moveSourceOf(a), await moveSourceNow(moveSourceOf(a)));
          await run.update({ phase: a.move ? 'delete-source' : 'commit' });
        }
        const now = markedBy(await pool.list(), r.id) ?? target;
        if (now.active) await pool.deactivateVolume(now.name);
        await pool.markJob(now.name, null);
      }
      const what = `${r.totalBytes} bytes of ${quoted(`${a.source.pool}/${a.sourceName}`)}, every window verified`;
      if (!a.move) return { done: `copied ${what}` };
      await deleteSource(run, a);
      return { done: `moved ${what}; the volume keeps its uuid` };
    },

    /** Hand-over: the mark gets the job's checkpoint and phase (with the source in its args); the volume is deactivated. */
    async checkpoint(job: JobView, pool: Pool): Promise<void> {
      const volumes = await pool.list();
      // A move whose destination committed still has its source to delete: the next holder does it.
      const committed = job.record.phase === 'delete-source' ? volumes.find((x) => x.uuid === job.record.volumeUuid && x.job === null) : undefined;
      const v = markedBy(volumes, job.record.id) ?? committed;
      if (v === undefined) return;
      if (v.active) await pool.deactivateVolume(v.name);
      await pool.markJob(v.name, markOf(job.record));
    },

    /** Deletes the partial volume (found by the job's mark); a failure is said, and the pool's next activation deletes it. */
    async cancel(job: JobView, pool: Pool): Promise<string> {
      try {
        if (!pool.isActive) return '; the partial volume is deleted when its pool is next active here';
        return (await deleteMine(pool, job.record.id)) ? '; the partial volume is deleted' : '';
      } catch (err) {
        job.logger.warn({ err }, 'copy: could not delete the partial volume');
        const why = err instanceof Error ? err.message : String(err);
        return `; the partial volume could not be deleted (${errorCodeOf(err)}: ${why}); the pool's next activation here deletes it`;
      }
    },

    outcome(r: JobRecord): string {
      if (r.phase === 'commit') return `the copy had verified all ${r.totalBytes} bytes; if it had committed its volume before it stopped, the volume remains, complete`;
      if (r.phase === 'delete-source')
        return `the move had verified all ${r.totalBytes} bytes; if it had committed its volume before it stopped, it remains, complete, with the source's uuid, and the source may remain too (delete it)`;
      return `the copy stopped after ${r.doneBytes} of ${r.totalBytes} bytes`;
    },

    async errorMeansDone(): Promise<string | null> {
      return null;
    },

    /**
     * Adopts the copies the pool's catalog records: a copy-marked volume whose job this host does
     * not know gets a record (same id, the mark's checkpoint, phase and source), saved before it
     * runs; the partial volume of a job that ended here is deleted (a moved volume whose source was
     * being deleted is complete: only its mark is cleared).
     */
    async adopt(pool: Pool, host: JobKindHost): Promise<void> {
      await adoptMarks(pool, host, {
        kind: COPY_JOB_KIND,
        markOf: (v) => (v.job?.kind === COPY_JOB_KIND ? v.job : null),
        // A partial copy goes; a moved volume whose source was being deleted is complete: only its mark goes.
        clear: async (p, name) => ((await p.show(name)).job?.phase === 'delete-source' ? p.markJob(name, null) : p.deleteVolume(name)),
        record: adoptedCopyRecord,
      });
    },
  };
}
