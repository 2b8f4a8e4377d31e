/**
 * VolumeService handlers. Each request is checked field by field first (request-checks.ts), so
 * a bad request changes nothing; then the engine does the work under its pool's mutex. A volume
 * that a job is working on (a background delete or flatten) takes no other change until the job ends.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { EngineError, isEngineError, overprovisionWarning, quoted, type BatchItem, type Pool, type PoolCapacity, type VolumeInfo } from '@thinfleet/engine';
import type {
  BatchOp__Output,
  BatchRequest__Output,
  BatchResponse,
  OverprovisionWarning,
  CreateRevisionRequest__Output,
  CreateVolumeRequest__Output,
  DeleteVolumeRequest__Output,
  FlattenVolumeRequest__Output,
  GetVolumeRequest__Output,
  ListVolumesRequest__Output,
  PinVolumeRequest__Output,
  RenameVolumeRequest__Output,
  ResizeVolumeRequest__Output,
  RevertVolumeRequest__Output,
  SnapshotVolumeRequest__Output,
  Volume,
  VolumeServiceHandlers,
} from '@thinfleet/proto';
import { AgentError, badRequest } from './agent-error.js';
import type { AgentConfig } from './agent-config.js';
import type { HostPools } from './host-pools.js';
import type { JobManager } from './jobs/index.js';
import { jobMessage, volumeMessage } from './proto-messages.js';
import { bytesField, countField, optionalBytesField, poolNameField, textField, volumeNameField } from './request-checks.js';
import { unary, type RpcContext } from './rpc.js';
import { volumeDataHandlers } from './volume-data-service.js';
import { volumeImageHandlers } from './volume-image-service.js';
import { hideIncompleteCopies, volumeCopyHandlers } from './volume-copy-service.js';
import { decodePageToken, encodePageToken, pageLimit, walkVolumePage } from './list-volume-pages.js';
import { volumeMoveHandlers } from './volume-move-service.js';
import { volumeDiffHandlers } from './volume-diff-service.js';
import { checkDevicePath } from './device-attachments.js';
import { batchFieldNames, nameEngineField, namingFields } from './engine-fields.js';

interface VolumeDeps {
  readonly pools: HostPools;
  readonly jobs: JobManager;
  readonly config: Pick<AgentConfig, 'deleteInBackgroundAboveBytes' | 'maxBatchOps' | 'overprovisionWarnRatio' | 'imageDirectories'>;
  /** The agent runs the simulated device-mapper (volumes say so: Volume.device_simulated). */
  readonly simulated?: boolean;
  /** This agent's name in its cluster (`cluster.nodeId`), or the host name when standalone. */
  readonly nodeId: string;
}

/** Rewords the engine's size errors to name the request field. */
async function sizeIn<T>(field: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isEngineError(err, 'INVALID_SIZE')) throw badRequest(field, err.message);
    throw err;
  }
}

export function volumeServiceHandlers(ctx: RpcContext, deps: VolumeDeps): VolumeServiceHandlers & UntypedServiceImplementation {
  const { pools, jobs, config } = deps;

  const activePool = (field: string, value: unknown): Pool => pools.activePool(poolNameField(field, value));
  const message = (pool: Pool, v: VolumeInfo): Volume => volumeMessage(pool.name, v, jobs.jobOnVolume(pool.name, v.name)?.id ?? null, deps.simulated === true);
  const noJobOn = (pool: Pool, ...names: string[]): void => {
    for (const name of names) {
      // The source of a move (copy-move.ts) takes no change either while it moves.
      const job = jobs.jobOnVolume(pool.name, name) ?? jobs.moveFrom(pool.name, name);
      if (job !== null) throw new AgentError('JOB_RUNNING', `volume ${pool.name}/${name} is being worked on by job ${job.id} (${job.kind}); wait for it or cancel it`);
    }
  };
  /** The request's pool and volume name, checked. */
  const target = (r: { pool: string; name: string }): { pool: Pool; name: string } => {
    const pool = activePool('pool', r.pool);
    return { pool, name: volumeNameField('name', pool.name, r.name) };
  };

  /**
   * The warning field of a response, when the call took `pool` from `before` beyond the
   * configured ratio (logged as well). Single calls that add a volume or size pass no `before`.
   */
  const overprovision = (pool: Pool, before: PoolCapacity | null): { overprovision?: OverprovisionWarning } => {
    const after = pool.capacity();
    return overprovisionOf(pool.name, { before: before ?? { provisionedBytes: 0, dataBytes: after.dataBytes }, after }, config.overprovisionWarnRatio ?? null, ctx);
  };

  async function find(pool: Pool, name: string, usage: boolean): Promise<VolumeInfo> {
    // The engine's NO_SUCH_VOLUME for a volume that is not there; the same for one a copy is still making.
    const v = await pool.show(name, { usage });
    if (hideIncompleteCopies([v]).length === 0) throw new EngineError('NO_SUCH_VOLUME', `no volume ${quoted(name)} in pool ${pool.name}`);
    return v;
  }

  return {
    CreateVolume: unary(ctx, 'CreateVolume', async (r: CreateVolumeRequest__Output) => {
      const { pool, name } = target(r);
      noJobOn(pool, name); // an import about to make this name
      const sizeBytes = optionalBytesField('size_bytes', r.sizeBytes);
      let v: VolumeInfo;
      if (r.externalOrigin !== '') {
        const origin = checkDevicePath('external_origin', r.externalOrigin);
        try {
          await pools.prepareOrigin(pool, 'external_origin', origin);
          v = await sizeIn('size_bytes', () =>
            namingFields({ volume: 'name', externalOrigin: 'external_origin' }, () =>
              pool.createExternal(name, origin, { ...(sizeBytes === undefined ? {} : { sizeBytes }), activate: r.activate }),
            ),
          );
        } finally {
          await pools.origins.releaseUnused(pool.name);
        }
      } else {
        if (sizeBytes === undefined) throw badRequest('size_bytes', 'required (unless external_origin is set)');
        v = await sizeIn('size_bytes', () => namingFields({ volume: 'name' }, () => pool.createVolume(name, sizeBytes, { activate: r.activate })));
      }
      return { volume: message(pool, v), ...overprovision(pool, null) };
    }),

    SnapshotVolume: unary(ctx, 'SnapshotVolume', async (r: SnapshotVolumeRequest__Output) => {
      const pool = activePool('pool', r.pool);
      const source = volumeNameField('source', pool.name, r.source);
      const name = volumeNameField('name', pool.name, r.name);
      noJobOn(pool, source);
      const v = await namingFields({ volume: 'name', origin: 'source' }, () => pool.snapshot(source, name, { activate: r.activate }));
      return { volume: message(pool, v), ...overprovision(pool, null) };
    }),

    ListVolumes: unary(ctx, 'ListVolumes', async (r: ListVolumesRequest__Output) => {
      const limit = pageLimit(r.pageSize, r.pageToken);
      const selected = r.pool === '' ? pools.engine.pools() : [activePool('pool', r.pool)];
      const from = decodePageToken(r.pool, r.pageToken);
      const page = await walkVolumePage(selected, from, limit, r.usage, hideIncompleteCopies);
      const volumes: Volume[] = page.volumes.map(({ pool, volume }) => message(pool, volume));
      const nextPageToken = page.next === null ? '' : encodePageToken(r.pool, page.next);
      return { volumes, inactivePools: r.pool === '' ? pools.inactiveNames() : [], nextPageToken };
    }),

    GetVolume: unary(ctx, 'GetVolume', async (r: GetVolumeRequest__Output) => {
      const { pool, name } = target(r);
      return { volume: message(pool, await find(pool, name, r.usage)) };
    }),

    RenameVolume: unary(ctx, 'RenameVolume', async (r: RenameVolumeRequest__Output) => {
      const { pool, name } = target(r);
      const newName = volumeNameField('new_name', pool.name, r.newName);
      noJobOn(pool, name);
      return { volume: message(pool, await namingFields({ volume: 'name', newName: 'new_name' }, () => pool.rename(name, newName))) };
    }),

    ResizeVolume: unary(ctx, 'ResizeVolume', async (r: ResizeVolumeRequest__Output) => {
      const { pool, name } = target(r);
      const sizeBytes = bytesField('size_bytes', r.sizeBytes);
      noJobOn(pool, name);
      const before = pool.capacity();
      const v = await sizeIn('size_bytes', () => pool.grow(name, sizeBytes));
      return { volume: message(pool, v), ...overprovision(pool, before) };
    }),

    ActivateVolume: unary(ctx, 'ActivateVolume', async (r) => {
      const { pool, name } = target(r);
      noJobOn(pool, name);
      return { volume: message(pool, await pool.activateVolume(name)) };
    }),

    DeactivateVolume: unary(ctx, 'DeactivateVolume', async (r) => {
      const { pool, name } = target(r);
      noJobOn(pool, name);
      return { volume: message(pool, await pool.deactivateVolume(name)) };
    }),

    DeleteVolume: unary(ctx, 'DeleteVolume', async (r: DeleteVolumeRequest__Output) => {
      const { pool, name } = target(r);
      if (!DELETE_MODES.has(r.mode)) throw badRequest('mode', `unknown DeleteMode ${quoted(r.mode)}`);
      noJobOn(pool, name);
      let chunked = r.mode === 'DELETE_MODE_CHUNKED';
      if (r.mode === 'DELETE_MODE_AUTO') {
        const v = await find(pool, name, false);
        if (v.sizeBytes > config.deleteInBackgroundAboveBytes) {
          chunked = ((await find(pool, name, true)).mappedBytes ?? 0) > config.deleteInBackgroundAboveBytes;
        }
      }
      if (chunked) {
        const before = await find(pool, name, false);
        const job = await jobs.startDelete(pool.name, name);
        return { volume: message(pool, before), jobId: job.id };
      }
      const deleted = await pool.deleteVolume(name);
      await pools.origins.releaseUnused(pool.name);
      return { volume: volumeMessage(pool.name, deleted, null, deps.simulated === true), jobId: '' };
    }),

    FlattenVolume: unary(ctx, 'FlattenVolume', async (r: FlattenVolumeRequest__Output) => {
      const { pool, name } = target(r);
      noJobOn(pool, name);
      return { job: jobMessage(await namingFields({ volume: 'name' }, () => jobs.startFlatten(pool.name, name))) };
    }),

    RevertVolume: unary(ctx, 'RevertVolume', async (r: RevertVolumeRequest__Output) => {
      const { pool, name } = target(r);
      const snapshot = volumeNameField('snapshot', pool.name, r.snapshot);
      noJobOn(pool, name, snapshot);
      return { volume: message(pool, await namingFields({ volume: 'name', snapshot: 'snapshot' }, () => pool.revert(name, snapshot))) };
    }),

    CreateRevision: unary(ctx, 'CreateRevision', async (r: CreateRevisionRequest__Output) => {
      const { pool, name } = target(r);
      const keep = countField('keep', r.keep, 1, 1_000_000);
      noJobOn(pool, name);
      const v = await namingFields({ volume: 'name', keep: 'keep' }, () => pool.revision(name, keep));
      return { volume: message(pool, v), ...overprovision(pool, null) };
    }),

    PinVolume: unary(ctx, 'PinVolume', async (r: PinVolumeRequest__Output) => {
      const { pool, name } = target(r);
      return { volume: message(pool, await namingFields({ volume: 'name', pinned: 'pinned' }, () => pool.pin(name, r.pinned))) };
    }),

    Batch: unary(ctx, 'Batch', async (r: BatchRequest__Output): Promise<BatchResponse> => {
      const pool = activePool('pool', r.pool);
      if (r.ops.length === 0) throw badRequest('ops', 'a batch needs at least one op');
      if (r.ops.length > config.maxBatchOps) throw badRequest('ops', `at most ${config.maxBatchOps} ops per batch, got ${r.ops.length}`);
      const items = r.ops.map((op, i) => batchItem(pool.name, op, i));
      const fieldOf = new Map(items.map((it, i) => [it.item, i]));
      if (fieldOf.size !== items.length) {
        const seen = new Set<string>();
        const dup = items.findIndex((it) => (seen.has(it.item) ? true : (seen.add(it.item), false)));
        throw badRequest(`ops[${dup}].item`, `item name ${quoted(items[dup]!.item)} is used twice`);
      }
      for (const it of items) noJobOn(pool, ...touched(it));
      let result;
      try {
        for (const [i, it] of items.entries()) if (it.op === 'create-external') await pools.prepareOrigin(pool, `ops[${i}].create.external_origin`, it.externalOrigin);
        result = await pool.batch(items);
      } catch (err) {
        if (isEngineError(err, 'INVALID_SIZE') && err.item !== undefined && fieldOf.has(err.item)) {
          const i = fieldOf.get(err.item)!;
          throw badRequest(`ops[${i}].${r.ops[i]!.op}.size_bytes`, err.message);
        }
        if (isEngineError(err) && err.item !== undefined && fieldOf.has(err.item)) {
          const i = fieldOf.get(err.item)!;
          nameEngineField(err, batchFieldNames(i, items[i]!));
        }
        throw err;
      } finally {
        await pools.origins.releaseUnused(pool.name);
      }
      return {
        transactionId: result.tx,
        results: result.items.map((it) => ({ item: it.item, volume: it.volume === null ? null : message(pool, it.volume) })),
        deferredErrors: result.deferredErrors.map((e) => ({ volume: e.volume, message: e.error.message })),
        ...overprovisionOf(pool.name, result.capacity, config.overprovisionWarnRatio ?? null, ctx),
      };
    }),

    ...volumeDataHandlers(ctx, deps),
    ...volumeImageHandlers(ctx, deps),
    ...volumeCopyHandlers(ctx, deps),
    ...volumeMoveHandlers(ctx, deps),
    ...volumeDiffHandlers(ctx, deps),
  };
}

/** The warning field of a batch response (logged as well), from the batch's own before and after. */
function overprovisionOf(pool: string, capacity: { before: PoolCapacity; after: PoolCapacity }, ratio: number | null, ctx: RpcContext): { overprovision?: OverprovisionWarning } {
  const w = overprovisionWarning(pool, capacity.before, capacity.after, ratio);
  if (w === null) return {};
  ctx.logger.warn({ pool, provisionedBytes: w.provisionedBytes, dataBytes: w.dataBytes, ratioLimit: w.ratioLimit }, 'pool overprovisioned');
  return { overprovision: { provisionedBytes: w.provisionedBytes, dataBytes: w.dataBytes, ratioLimit: w.ratioLimit, ratio: w.ratio, message: w.message } };
}

/** The operations of a BatchOp (its `op` oneof). */
const OPERATIONS = ['create', 'snapshot', 'delete', 'rename', 'resize', 'revert', 'revision', 'pin'] as const;

/** Longest batch item name, in UTF-8 bytes: errors repeat it in `tf-item` and messages. */
export const MAX_ITEM_BYTES = 128;

const DELETE_MODES = new Set<unknown>(['DELETE_MODE_AUTO', 'DELETE_MODE_NOW', 'DELETE_MODE_CHUNKED']);

/**
 * The engine's batch item for proto op `op` at index `i`, its fields checked. An op that sets
 * more than one operation is refused (BatchOp's proto comment), never guessed at.
 */
function batchItem(pool: string, op: BatchOp__Output, i: number): BatchItem {
  const at = `ops[${i}]`;
  const item = op.item === '' ? at : textField(`${at}.item`, op.item, MAX_ITEM_BYTES);
  const set = OPERATIONS.filter((k) => op[k] !== null && op[k] !== undefined);
  if (set.length > 1) throw badRequest(at, `sets ${set.length} operations (${set.join(', ')}); set exactly one`);
  const name = (kind: string, field: string, value: unknown): string => volumeNameField(`${at}.${kind}.${field}`, pool, value);
  switch (op.op) {
    case 'create': {
      const c = op.create!;
      const sizeBytes = optionalBytesField(`${at}.create.size_bytes`, c.sizeBytes);
      if (c.externalOrigin !== '') {
        const externalOrigin = checkDevicePath(`${at}.create.external_origin`, c.externalOrigin);
        return { item, op: 'create-external', volume: name('create', 'name', c.name), externalOrigin, activate: c.activate, ...(sizeBytes === undefined ? {} : { sizeBytes }) };
      }
      if (sizeBytes === undefined) throw badRequest(`${at}.create.size_bytes`, 'required (unless external_origin is set)');
      return { item, op: 'create', volume: name('create', 'name', c.name), sizeBytes, activate: c.activate };
    }
    case 'snapshot': {
      const s = op.snapshot!;
      return { item, op: 'snapshot', origin: name('snapshot', 'source', s.source), volume: name('snapshot', 'name', s.name), activate: s.activate };
    }
    case 'delete':
      return { item, op: 'delete', volume: name('delete', 'name', op.delete!.name) };
    case 'rename':
      return { item, op: 'rename', volume: name('rename', 'name', op.rename!.name), newName: name('rename', 'new_name', op.rename!.newName) };
    case 'resize':
      return { item, op: 'grow', volume: name('resize', 'name', op.resize!.name), sizeBytes: bytesField(`${at}.resize.size_bytes`, op.resize!.sizeBytes) };
    case 'revert':
      return { item, op: 'revert', volume: name('revert', 'name', op.revert!.name), snapshot: name('revert', 'snapshot', op.revert!.snapshot) };
    case 'revision':
      return { item, op: 'revision', volume: name('revision', 'name', op.revision!.name), keep: countField(`${at}.revision.keep`, op.revision!.keep, 1, 1_000_000) };
    case 'pin':
      return { item, op: 'pin', volume: name('pin', 'name', op.pin!.name), pinned: op.pin!.pinned };
    default:
      throw badRequest(at, 'names no operation (set one of create, snapshot, delete, rename, resize, revert, revision, pin)');
  }
}

/** The existing volumes a batch item changes or reads from. */
function touched(item: BatchItem): string[] {
  // Alike by design with targetDevices() in the engine's pool-extend.ts (duplicates pairs them by shape): two switches over unrelated unions.
  switch (item.op) {
    case 'snapshot':
      return [item.origin];
    case 'revert':
      return [item.volume, item.snapshot];
    case 'create':
    case 'create-external':
      return [item.volume]; // a name an import is about to make is taken
    default:
      return [item.volume];
  }
}
