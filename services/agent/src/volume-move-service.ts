/**
 * VolumeService's MoveVolume: a live move of an active volume to another pool of this host,
 * through a background job (jobs/move-job.ts). The request is checked field by field first
 * (pool, name, target_pool; `host`: empty or this host's name, since moves to another host are
 * not served yet), then the job's own checks run; a refused request changes nothing.
 */
import { hostname } from 'node:os';
import type { MoveVolumeRequest__Output, MoveVolumeResponse } from '@thinfleet/proto';
import { quoted } from '@thinfleet/engine';
import { AgentError } from './agent-error.js';
import { namingFields } from './engine-fields.js';
import type { HostPools } from './host-pools.js';
import type { JobManager } from './jobs/index.js';
import { jobMessage } from './proto-messages.js';
import { poolNameField, textField, volumeNameField } from './request-checks.js';
import { unary, type RpcContext } from './rpc.js';

/** The MoveVolume handler. */
export function volumeMoveHandlers(ctx: RpcContext, deps: { readonly pools: HostPools; readonly jobs: JobManager }) {
  return {
    MoveVolume: unary(ctx, 'MoveVolume', async (r: MoveVolumeRequest__Output): Promise<MoveVolumeResponse> => {
      const pool = deps.pools.activePool(poolNameField('pool', r.pool));
      const name = volumeNameField('name', pool.name, r.name);
      const targetPool = poolNameField('target_pool', r.targetPool);
      const host = r.host === '' ? '' : textField('host', r.host, 253);
      if (host !== '' && host !== hostname()) {
        throw new AgentError('UNSUPPORTED', `moving a volume to another host (host ${quoted(host)}) is not served by this agent yet; move it within this host (no host), or copy it`, {
          field: 'host',
        });
      }
      const job = await namingFields({ volume: 'name', targetPool: 'target_pool' }, () => deps.jobs.startMove({ pool: pool.name, volume: name, targetPool }));
      return { job: jobMessage(job) };
    }),
  };
}
