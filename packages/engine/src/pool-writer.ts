/**
 * Who writes a pool's catalog, and who owns its jobs' delete marks (docs/engine.md, "Writer
 * tokens"). A pool activated under a cluster grant writes every catalog frame with the grant's
 * token and the node id (Engine.setPoolWriter); a standalone pool writes token 0. A delete mark
 * is written only by the job's current owner: a holder whose token is older than one the pool,
 * or the job, has recorded is stale, and so is one that finds another holder's writes on the disk.
 */
import { clusterMoveOf, isCatalogError, writerClusterId, type CatalogWriter } from '@thinfleet/catalog';
import type { Logger } from 'pino';
import { jobOwnerToken, type DeleteMark, type JobMark } from './catalog-state.js';
import { EngineError } from './engine-error.js';
import { volumeByName, type PoolCatalog, type PoolCore } from './pool-core.js';

/**
 * Makes `writer` the writer of the pool's later catalog appends.
 * @throws EngineError STALE_OWNER when its token is older than one the catalog has seen; RangeError for a malformed writer
 */
export function setCatalogWriter(core: PoolCore, writer: CatalogWriter): void {
  try {
    core.catalog.setWriter(writer);
  } catch (err) {
    if (isCatalogError(err, 'STALE_WRITER')) throw new EngineError('STALE_OWNER', `pool ${core.catalog.state.pool.name}: ${err.message}`, { cause: err });
    throw err;
  }
}

/**
 * The grant token (decimal) a delete or job mark of volume `name` is written under, or null on a
 * standalone pool (token 0). Refuses a stale owner: the job's recorded owner token (the mark's
 * job, or the job of the mark being cleared) is newer than the writer's, or the catalog on the
 * disk shows another writer since this host's last write (CatalogStore.checkNoNewerWriter).
 * Reads two sectors and the frame at the catalog's tail; writes nothing.
 * @throws EngineError STALE_OWNER; the device's read errors
 */
export async function checkMarkOwner(core: PoolCore, name: string, mark: DeleteMark | JobMark | null): Promise<{ readonly token: string; readonly clusterId: string } | null> {
  const { catalog } = core;
  const token = catalog.writer.token;
  if (token === 0n) return null;
  const pool = catalog.state.pool.name;
  const volume = volumeByName(core, name);
  const jobId = mark?.jobId ?? volume?.deleting?.jobId ?? volume?.job?.jobId;
  if (jobId !== undefined) {
    const owner = jobOwnerToken(catalog.state, jobId, writerClusterId(catalog.writer));
    if (owner > token) {
      throw new EngineError('STALE_OWNER', `pool ${pool}: job ${jobId} is owned by grant token ${owner}, newer than this host's ${token}; its delete mark is not this host's to write`);
    }
  }
  try {
    await catalog.checkNoNewerWriter();
  } catch (err) {
    if (isCatalogError(err, 'STALE_WRITER')) throw new EngineError('STALE_OWNER', `pool ${pool}: ${err.message}; this host (token ${token}) may not write delete marks`, { cause: err });
    throw err;
  }
  return { token: token.toString(), clusterId: writerClusterId(catalog.writer) };
}

/**
 * Logs (warn) a pool whose catalog was last written under another lock space's grants than
 * `writer`'s, the grant this host activates it under: its tokens are not compared with this
 * grant's (a new epoch; docs/catalog-format.md, "Writers"). An operator's act, e.g. a replaced
 * etcd. Writes nothing.
 */
export function warnClusterMove(logger: Logger, pool: string, catalog: PoolCatalog, writer: CatalogWriter | undefined): void {
  const move = clusterMoveOf(catalog.loadReport.writers, writer);
  if (move === null) return;
  logger.warn(
    { pool, fromClusterId: move.fromClusterId, fromToken: move.fromToken.toString(), clusterId: move.toClusterId, token: move.toToken.toString() },
    'pool moved to another lock space: its catalog was last written under another cluster id, whose tokens are not compared with this grant',
  );
}
