/**
 * Where a copy (copy-job.ts) finds its source: in this process while the agent holds the source's
 * pool (copy-source.ts `localCopySource`), else through the coordinator (`CopyJobOptions.remote`,
 * cluster/coordinator-transfer.ts). Decided at each use, since the source's pool may move between
 * hosts while a copy runs. Reads only.
 */
import { status } from '@grpc/grpc-js';
import { EngineError, isEngineError, type Pool, type VolumeInfo } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';
import type { CopyJobOptions } from './copy-job.js';
import type { MoveSource, MoveSourceState } from './copy-move.js';
import { localCopySource, type CopySource, type CopySourceSpec } from './copy-source.js';

/** A copy's source as its holder describes it. */
export interface SourceVolume {
  readonly uuid: string;
  readonly name: string;
  readonly sizeBytes: number;
  readonly active: boolean;
  readonly externalOrigin: string | null;
}

/** True for a volume a copy is still making (copy-job.ts `isIncompleteCopy`, passed in to keep the modules acyclic at run time). */
type Incomplete = (v: Pick<VolumeInfo, 'job'>) => boolean;

/** The source look-ups of a copy kind over `options` (see the module comment). */
export function copySources(options: Pick<CopyJobOptions, 'engine' | 'copySource' | 'remote'>, isIncomplete: Incomplete) {
  /** True when pool `name` is active here (in cluster mode: held by this host). */
  const heldHere = (name: string): boolean => {
    try {
      return options.engine.pool(name).isActive;
    } catch {
      return false;
    }
  };

  /** Pool `name`, active here. @throws EngineError NO_SUCH_POOL, POOL_INACTIVE naming `field` */
  const activePool = (field: string, name: string): Pool => {
    let pool: Pool;
    try {
      pool = options.engine.pool(name);
    } catch (err) {
      if (err instanceof EngineError && err.argument === undefined) throw new EngineError(err.code, err.message, { argument: field, cause: err });
      throw err;
    }
    if (!pool.isActive) throw new EngineError('POOL_INACTIVE', `pool ${name} is not active`, { argument: field });
    return pool;
  };

  return {
    heldHere,
    activePool,

    /** The reader of `spec`'s source: in this process while its pool is held here, else through the coordinator (decided per window). */
    sourceOf: (spec: CopySourceSpec): CopySource => {
      if (options.copySource !== undefined) return options.copySource(spec, options.engine);
      const local = localCopySource(spec, options.engine);
      const remote = options.remote?.source(spec);
      return { readWindow: (from, length) => (heldHere(spec.pool) || remote === undefined ? local : remote).readWindow(from, length) };
    },

    /**
     * The source volume `name` of pool `poolName` for a new copy: from its pool here, or through
     * the coordinator when another host holds it.
     * @throws EngineError NO_SUCH_POOL, POOL_INACTIVE (argument `pool`), NO_SUCH_VOLUME (argument
     *   `name`); AgentError JOB_RUNNING (being deleted); the coordinator's errors
     */
    describeSource: async (poolName: string, name: string): Promise<SourceVolume> => {
      if (!heldHere(poolName) && options.remote !== undefined) {
        const v = await options.remote.describe(poolName, name);
        return { ...v, externalOrigin: v.externalOrigin === '' ? null : v.externalOrigin };
      }
      const pool = activePool('pool', poolName);
      const source = (await pool.list()).find((v) => v.name === name && !isIncomplete(v));
      if (source === undefined) throw new EngineError('NO_SUCH_VOLUME', `no volume "${name}" in pool ${poolName}`, { argument: 'name' });
      if (source.deleting !== null) throw new AgentError('JOB_RUNNING', `volume "${name}" of pool ${poolName} is being deleted (job ${source.deleting.jobId})`);
      return source;
    },

    /** The source of a move as its holder describes it now (by uuid here, by name through the coordinator), or null when gone. */
    moveSourceNow: async (source: MoveSource): Promise<MoveSourceState | null> => {
      if (!heldHere(source.pool) && options.remote !== undefined) {
        return options.remote.describe(source.pool, source.name).catch((err: unknown) => {
          if ((err as { code?: unknown }).code === status.NOT_FOUND || isEngineError(err, 'NO_SUCH_VOLUME')) return null;
          throw err;
        });
      }
      return (await activePool('pool', source.pool).list()).find((v) => v.uuid === source.uuid) ?? null;
    },
  };
}
