/**
 * The `merge` job kind: rolls a device snapshot's device back to the snapshot
 * (device-snapshots/device-snapshots.ts). The kernel does the copying: the device snapshot's
 * origin device gets a `snapshot-merge` table over (device, exception store), which shows the
 * snapshot's content at once (the device stays usable through it) and copies the store's
 * exceptions back into the device in the background, clearing each from the store durably. The
 * job watches the target's status (allocated sectors fall to the metadata sectors), reports it as
 * progress (`doneBytes` of `totalBytes`: the exception data merged back), and when nothing is
 * left replaces `snapshot-merge` by a plain mapping of the device (or removes the origin device
 * when nobody has it open) and deletes the exception store volume: as with LVM, a merged
 * snapshot is gone.
 *
 * The job marks the store volume in the pool's catalog (`Pool.markJob`, kind `merge`, phase
 * `merge`) BEFORE it changes any device: that mark is the point of no return. From then on the
 * snapshot is never loaded as a snapshot again (device-snapshots.ts `restore` leaves it to this
 * kind), and whichever host activates the pool next adopts the job (`adopt`) and reloads
 * `snapshot-merge`; the kernel reads the merge's progress from the store.
 *
 * Crash story: before the mark: nothing happened (the snapshot is intact). After the mark, at
 * any later step (the snapshot device suspended or removed, `snapshot-merge` loaded or not, the
 * merge part done): the resumed or adopted job loads what is missing and the kernel goes on from
 * the store. After the origin device lost `snapshot-merge`, before the store is deleted: the
 * resumed job loads `snapshot-merge` again, which finds nothing left to merge, and finishes.
 * After the store volume is deleted: the job finds no volume with its uuid: succeeded.
 *
 * Hand-over (`checkpoint`): refused while the origin device is open on this host (users would
 * lose it; the pool stays). Otherwise the origin device is suspended (the kernel stops the merge
 * after its current step, at a consistent point, its progress in the store), the mark gets the
 * checkpoint, the origin device is removed and the store volume deactivated. A crash after the
 * suspend leaves a suspended device the pool's next activation here resumes.
 *
 * Cancel: a started merge cannot be undone (the device already holds part of the snapshot's
 * content), nor can the kernel's copying be paused for good. Like LVM, cancel ends the job here
 * but leaves the mark and the merging device: the kernel goes on merging while the pool stays
 * active on this host, and the merge is finished (the store deleted) by a new job: the pool's
 * next activation (here or on another host) adopts it from the mark, or `device snapshot merge`
 * starts it again.
 */
import { parseSnapshotMergeStatus, type DmClient } from '@thinfleet/devmapper';
import { EngineError, isEngineError, quoted, type JobMark, type Pool, type VolumeInfo } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';
import { requireSameDevice, type IdentityReader } from '../device-snapshots/device-identity.js';
import { activeStore, DROP_MARK_KIND, findDeviceSnapshot, MERGE_JOB_KIND, stackSpec } from '../device-snapshots/device-snapshots.js';
import { deviceInfo, liveTableType, loadMergeStack, releaseOrigin, stackNames } from '../device-snapshots/snapshot-stack.js';
import type { JobKind, JobKindHost, JobRun, JobView, NewJob, RunResult } from './job-kind.js';
import { isTerminalState, JOB_ID_PATTERN, newJobId, type JobRecord, type MutableJobRecord } from './job-record.js';

export { MERGE_JOB_KIND } from '../device-snapshots/device-snapshots.js';

/** The merge kind's one phase. */
export const MERGE_PHASE = 'merge';

export interface MergeJobOptions {
  readonly engine: { pool(name: string): Pool };
  readonly dm: DmClient;
  readonly readIdentity: IdentityReader;
  /** Milliseconds between two reads of the merge's status (default 200). */
  readonly pollMs?: number;
  /** Waits `ms`, or less when `signal` aborts (default: a timer); tests inject their clock's. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** How often a running merge also writes its checkpoint into the pool (default 1000 ms of the runner's clock). */
  readonly markEveryMs?: number;
}

/** What `JobManager.startMerge` asks: merge device snapshot `name` of pool `pool` back into its device. */
export interface MergeJobRequest {
  readonly pool: string;
  readonly name: string;
}

type Store = VolumeInfo & { deviceSnapshot: NonNullable<VolumeInfo['deviceSnapshot']> };

const timerSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

async function resolveStore(pool: Pool, uuid: string): Promise<Store | null> {
  const v = (await pool.list()).find((x) => x.uuid === uuid);
  return v === undefined || v.deviceSnapshot === null ? null : (v as Store);
}

function markOf(r: JobRecord): JobMark {
  return { kind: MERGE_JOB_KIND, jobId: r.id, doneBytes: r.doneBytes, chunkBytes: r.chunkBytes, createdMs: r.createdMs, phase: MERGE_PHASE };
}

/** The record of a merge adopted from its store volume's mark (state queued; its size is learnt from the status). Pure. */
export function adoptedMergeRecord(pool: string, v: { readonly name: string; readonly uuid: string }, mark: JobMark, id: string, nowMs: number): MutableJobRecord {
  return {
    id,
    kind: MERGE_JOB_KIND,
    pool,
    volume: v.name,
    volumeUuid: v.uuid,
    state: 'queued',
    doneBytes: mark.doneBytes,
    totalBytes: mark.doneBytes,
    chunkBytes: mark.chunkBytes,
    createdMs: mark.createdMs,
    updatedMs: nowMs,
    error: null,
    errorCode: null,
    volumeWasActive: true,
    ownerToken: '0',
    phase: MERGE_PHASE,
  };
}

/** The data sectors a snapshot (or merge) status line says are left in the store, or throws for a store that cannot merge. */
function remainingSectors(text: string, name: string): number {
  const s = parseSnapshotMergeStatus(text);
  if (s.state !== 'active') throw new EngineError('DEVICE_UNUSABLE', `device snapshot ${quoted(name)} is ${s.state}: it cannot be merged`);
  return s.remainingSectors;
}

/** The merge kind over `options` (see the module comment). */
export function mergeJobKind(options: MergeJobOptions): JobKind<MergeJobRequest> {
  const pollMs = options.pollMs ?? 200;
  const sleep = options.sleep ?? timerSleep;
  const markEveryMs = options.markEveryMs ?? 1000;
  const dm = options.dm;

  return {
    name: MERGE_JOB_KIND,

    /**
     * Checks, writing nothing: the pool is active, the device snapshot exists and no other job
     * or delete works on it, its device is the recorded one, its snapshot is valid.
     * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE, NO_SUCH_VOLUME, DEVICE_MISMATCH,
     *   DEVICE_UNUSABLE (an invalid or overflowed snapshot); AgentError JOB_RUNNING
     */
    async start(request: MergeJobRequest, host: JobKindHost): Promise<NewJob> {
      const pool = options.engine.pool(request.pool);
      if (!pool.isActive) throw new EngineError('POOL_INACTIVE', `pool ${request.pool} is not active`);
      const v = await findDeviceSnapshot(pool, request.name);
      const other = host.unfinishedJobOn(pool.name, v.uuid, v.name);
      if (other !== null) throw new AgentError('JOB_RUNNING', `job ${other.id} is already working on device snapshot ${quoted(v.name)}`);
      if (v.job !== null && !(v.job.kind === MERGE_JOB_KIND && host.endedHere(v.job.jobId))) {
        const what = v.job.kind === DROP_MARK_KIND ? 'is being deleted' : `is being merged by job ${v.job.jobId}, recorded in the pool`;
        throw new AgentError('JOB_RUNNING', `device snapshot ${quoted(v.name)} ${what}`);
      }
      await requireSameDevice(options.readIdentity, v.deviceSnapshot.device, `device snapshot ${quoted(v.name)}`);
      const names = stackNames(pool.name, v.name);
      const shown = (await deviceInfo(dm, names.snap)) !== null ? names.snap : (await liveTableType(dm, names.origin)) === 'snapshot-merge' ? names.origin : null;
      if (shown === null) throw new EngineError('DEVICE_UNUSABLE', `device snapshot ${quoted(v.name)} is not loaded on this host (see the agent's log for why)`);
      const remaining = remainingSectors((await dm.status(shown))[0]?.params ?? '', v.name);
      return {
        pool,
        fields: {
          pool: pool.name,
          volume: v.name,
          volumeUuid: v.uuid,
          doneBytes: 0,
          totalBytes: remaining * 512,
          chunkBytes: v.deviceSnapshot.chunkSectors * 512,
          volumeWasActive: true,
          ownerToken: pool.writer.token.toString(),
          phase: MERGE_PHASE,
        },
      };
    },

    /** Marks the store, loads `snapshot-merge`, follows its status, then drops the origin's use of the store and deletes the store. */
    async resume(run: JobRun, pool: Pool): Promise<RunResult> {
      const r = run.record;
      const v = await resolveStore(pool, r.volumeUuid);
      if (v === null) return { done: 'its exception store is gone: the merge had finished' };
      if (v.name !== r.volume) await run.update({ volume: v.name });
      const mark = v.job;
      if (mark !== null && mark.jobId !== r.id && !(mark.kind === MERGE_JOB_KIND && run.host.endedHere(mark.jobId))) {
        throw new AgentError('JOB_RUNNING', `job ${mark.jobId} (${mark.kind}), recorded in the pool, works on device snapshot ${quoted(v.name)}; this job stops`);
      }
      const owner = pool.jobOwnerToken(r.id);
      if (owner > BigInt(r.ownerToken) && mark?.jobId !== r.id) {
        throw new AgentError('JOB_MOVED', `job ${r.id} was adopted by the holder of pool ${r.pool} with grant token ${owner} and ended there; this host's record of it is stale`);
      }
      if (mark?.jobId === r.id && mark.doneBytes > r.doneBytes) await run.update({ doneBytes: mark.doneBytes });
      await requireSameDevice(options.readIdentity, v.deviceSnapshot.device, `device snapshot ${quoted(v.name)}`);
      const token = pool.writer.token.toString();
      // The point of no return: from here on the snapshot is only ever merged.
      if (mark?.jobId !== r.id || (token !== '0' && mark.ownerToken !== token)) await pool.markJob(v.name, markOf(r));
      if (r.ownerToken !== token) await run.update({ ownerToken: token });
      const names = stackNames(pool.name, v.name);
      await loadMergeStack(dm, names, stackSpec(v.deviceSnapshot, await activeStore(pool, v.name)));
      run.logger.info({ name: v.name }, 'merging the device snapshot back into its device');
      let markedAtMs = run.host.now();
      for (;;) {
        const remainingBytes = remainingSectors((await dm.status(names.origin))[0]?.params ?? '', v.name) * 512;
        const totalBytes = Math.max(r.totalBytes, r.doneBytes + remainingBytes);
        const doneBytes = Math.max(r.doneBytes, totalBytes - remainingBytes);
        if (totalBytes !== r.totalBytes || doneBytes !== r.doneBytes) await run.update({ totalBytes, doneBytes });
        if (remainingBytes === 0) break;
        if (run.signal.aborted) return 'stopped';
        if (run.host.now() - markedAtMs >= markEveryMs) {
          await pool.markJob(v.name, markOf(r));
          markedAtMs = run.host.now();
        }
        await sleep(pollMs, run.signal);
      }
      const origin = await releaseOrigin(dm, names, stackSpec(v.deviceSnapshot, ''));
      await pool.deleteVolume(v.name);
      return { done: `merged; the exception store is deleted and the origin device ${origin === 'kept' ? 'stays, a plain mapping of the device' : 'is removed'}` };
    },

    /** Hand-over: stops the kernel's merge at a consistent point, writes the checkpoint, removes the origin device, deactivates the store. */
    async checkpoint(job: JobView, pool: Pool): Promise<void> {
      const v = await resolveStore(pool, job.record.volumeUuid);
      if (v === null) return;
      const names = stackNames(pool.name, v.name);
      const origin = await deviceInfo(dm, names.origin);
      if (origin !== null && origin.openCount > 0) {
        throw new EngineError('VOLUME_BUSY', `device snapshot ${quoted(v.name)}: its origin device is open (${origin.openCount} opener(s)) on this host; the merge stays here`);
      }
      if (origin !== null && !origin.suspended) await dm.suspend(names.origin);
      try {
        await pool.markJob(v.name, markOf(job.record));
        if (origin !== null) await dm.remove(names.origin);
      } catch (err) {
        if (origin !== null) await dm.resume(names.origin).catch(() => undefined);
        throw err;
      }
      if (v.active) await pool.deactivateVolume(v.name);
    },

    /** Undoes nothing (a merge cannot be undone): the mark and the merging device stay; see the module comment. */
    async cancel(job: JobView): Promise<string> {
      job.logger.warn({ name: job.record.volume }, 'merge job ended; the kernel goes on merging, and the next activation of the pool finishes it');
      return "; a started merge cannot be undone: the kernel goes on merging while the pool stays active here, and the merge is finished by the pool's next activation or by `device snapshot merge` again";
    },

    outcome(record: JobRecord): string {
      return `${record.doneBytes} of ${record.totalBytes} bytes of the snapshot's changes were merged back into the device`;
    },

    async errorMeansDone(job: JobView, pool: Pool, err: unknown): Promise<string | null> {
      if (!isEngineError(err, 'NO_SUCH_VOLUME')) return null;
      const gone = await resolveStore(pool, job.record.volumeUuid).then(
        (v) => v === null,
        () => false,
      );
      return gone ? 'its exception store is gone' : null;
    },

    /**
     * Adopts the merges recorded in the pool: a store volume with a `merge` mark whose job this
     * host does not know gets a record (the mark's job id, or a new one when that job ended here,
     * e.g. cancelled: the merge must still finish), saved before it runs.
     */
    async adopt(pool: Pool, host: JobKindHost): Promise<void> {
      for (const v of await pool.list()) {
        const mark = v.job;
        if (mark?.kind !== MERGE_JOB_KIND || v.deviceSnapshot === null) continue;
        if (host.unfinishedJobOn(pool.name, v.uuid, v.name) !== null) continue;
        const known = host.known(mark.jobId);
        if (known !== null && !isTerminalState(known.state)) {
          if (mark.doneBytes > known.doneBytes) await host.progress(known.id, { doneBytes: mark.doneBytes });
          continue;
        }
        const id = known !== null || host.endedHere(mark.jobId) || !JOB_ID_PATTERN.test(mark.jobId) ? newJobId() : mark.jobId;
        const record = adoptedMergeRecord(pool.name, v, mark, id, host.now());
        await host.adopt(record, record.doneBytes);
        host.logger.info({ job: id, pool: pool.name, name: v.name, doneBytes: record.doneBytes }, 'merge job adopted from the pool');
      }
    },
  };
}
