/**
 * VolumeService's MoveVolume: a volume moved to another pool, through a background job.
 * - The volume is active here (its pool held by this agent): a live move to another pool of this
 *   host, its device staying open (jobs/move-job.ts, kind `move`).
 * - Otherwise (an inactive volume, or a source pool another host holds): a copy that keeps the
 *   volume's uuid and then deletes the source (jobs/copy-move.ts, kind `copy` with `move`). This
 *   agent holds the target pool and reads the source here or through the coordinator.
 * `host` names the host of the target pool: the coordinator routes a call with a host to the
 * target pool's holder (asking `host` to take it when nobody holds it), and one without a host to
 * the source pool's. Here it must be empty or this agent's node id. The request is checked field
 * by field first, then the job's own checks run; a refused request changes nothing.
 */
import type { MoveVolumeRequest__Output, MoveVolumeResponse } from '@thinfleet/proto';
import { isEngineError, quoted, type Pool } from '@thinfleet/engine';
import { badRequest, withField } from './agent-error.js';
import { namingFields } from './engine-fields.js';
import type { HostPools } from './host-pools.js';
import type { JobManager } from './jobs/index.js';
import { jobMessage } from './proto-messages.js';
import { poolNameField, textField, volumeNameField } from './request-checks.js';
import { unary, type RpcContext } from './rpc.js';

/** The request fields the copy kind's engine errors name by their `argument`. */
const MOVE_FIELDS = new Set(['pool', 'name', 'target_pool']);

/** The MoveVolume handler; `nodeId` is this agent's name in its cluster (its host name standalone). */
export function volumeMoveHandlers(ctx: RpcContext, deps: { readonly pools: HostPools; readonly jobs: JobManager; readonly nodeId: string }) {
  /** Pool `name` when active here, else null. */
  const heldHere = (name: string): Pool | null => {
    try {
      return deps.pools.activePool(name);
    } catch (err) {
      if (isEngineError(err, 'NO_SUCH_POOL') || isEngineError(err, 'POOL_INACTIVE')) return null;
      throw err;
    }
  };

  return {
    MoveVolume: unary(ctx, 'MoveVolume', async (r: MoveVolumeRequest__Output): Promise<MoveVolumeResponse> => {
      const poolName = poolNameField('pool', r.pool);
      const name = volumeNameField('name', poolName, r.name);
      const targetPool = poolNameField('target_pool', r.targetPool);
      const host = r.host === '' ? '' : textField('host', r.host, 253);
      if (host !== '' && host !== deps.nodeId) {
        throw badRequest('host', `this agent is ${quoted(deps.nodeId)}, not ${quoted(host)}: send the call to the target pool's host, or through the coordinator`);
      }
      const source = heldHere(poolName);
      const volume = source === null ? null : ((await source.list()).find((v) => v.name === name) ?? null);
      if (source !== null && volume?.active === true) {
        const job = await namingFields({ volume: 'name', targetPool: 'target_pool' }, () => deps.jobs.startMove({ pool: poolName, volume: name, targetPool }));
        return { job: jobMessage(job) };
      }
      try {
        const job = await deps.jobs.startMoveToHost({ pool: poolName, volume: name, targetPool, targetName: name });
        return { job: jobMessage(job) };
      } catch (err) {
        // The copy kind names the destination's name `target_name`; a move keeps `name`.
        if (isEngineError(err)) {
          const field = err.argument === 'target_name' ? 'name' : err.argument;
          if (field !== undefined && MOVE_FIELDS.has(field)) withField(err, field);
        }
        throw err;
      }
    }),
  };
}
