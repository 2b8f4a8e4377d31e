/**
 * VolumeService's CopyVolume: a sparse copy of a volume into a new volume of a pool this agent
 * holds, through a background job (jobs/copy-job.ts). The request is checked field by field
 * first, then the job's own checks run (the source exists, the target name is free and not the
 * source, the size fits); a refused request creates nothing. The call is admitted (cluster lock
 * token, rpc.ts) on `target_pool`, the pool it changes: the coordinator routes it to that
 * pool's holder. Volumes a copy is still making are left out of ListVolumes and GetVolume
 * (`hideIncompleteCopies`).
 */
import { isEngineError, type VolumeInfo } from '@thinfleet/engine';
import type { CopyVolumeRequest__Output, CopyVolumeResponse } from '@thinfleet/proto';
import { badRequest, withField } from './agent-error.js';
import { isIncompleteCopy, type JobManager } from './jobs/index.js';
import { jobMessage } from './proto-messages.js';
import { poolNameField, volumeNameField } from './request-checks.js';
import { unary, type RpcContext } from './rpc.js';

/** The request fields the copy job's engine errors name by their `argument`. */
const COPY_FIELDS = new Set(['pool', 'name', 'target_pool', 'target_name']);

/** The volumes of `volumes` a user may see: every one but those a copy is still making. */
export function hideIncompleteCopies(volumes: readonly VolumeInfo[]): VolumeInfo[] {
  return volumes.filter((v) => !isIncompleteCopy(v));
}

/** The CopyVolume handler. */
export function volumeCopyHandlers(ctx: RpcContext, deps: { readonly jobs: JobManager }) {
  return {
    CopyVolume: unary(ctx, 'CopyVolume', async (r: CopyVolumeRequest__Output): Promise<CopyVolumeResponse> => {
      const pool = poolNameField('pool', r.pool);
      const name = volumeNameField('name', pool, r.name);
      const targetPool = poolNameField('target_pool', r.targetPool);
      const targetName = volumeNameField('target_name', targetPool, r.targetName);
      if (typeof r.keepOrigin !== 'boolean') throw badRequest('keep_origin', 'must be a boolean');
      try {
        const job = await deps.jobs.startCopy({ pool, volume: name, targetPool, targetName, keepOrigin: r.keepOrigin });
        return { job: jobMessage(job) };
      } catch (err) {
        if (isEngineError(err) && err.argument !== undefined && COPY_FIELDS.has(err.argument)) withField(err, err.argument);
        throw err;
      }
    }),
  };
}
