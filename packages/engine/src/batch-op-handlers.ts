/**
 * One handler per batch op: each checks its item against the volumes as the earlier items leave
 * them and returns the ops it plans (none when the item changes nothing), noting on the planner
 * the kernel steps they need. Pure; a handler throws EngineError naming the item (and the
 * argument at fault) before anything is touched. A new op is a new handler here and a case in
 * planItem.
 */
import { MAX_WRITER_CLUSTER_ID_BYTES } from '@thinfleet/catalog';
import { formatBytes } from '@thinfleet/units';
import { MAX_KEEP_REVISIONS, type BatchItem, type BatchOp } from './batch-item.js';
import { checkSize, type BatchPlanner } from './batch-planner.js';
import { isJobArgs, type DeleteMark, type JobMark, type PlannedOp, type VolumeRecord } from './catalog-state.js';
import { checkDeviceSnapshot } from './device-snapshot-record.js';
import { EngineError } from './engine-error.js';
import { quoted } from '@thinfleet/units';

/** The item of op `K`. */
export type ItemOf<K extends BatchOp> = Extract<BatchItem, { readonly op: K }>;

/** Plans one item of op `K` named `item` (checked non-empty and unique by the caller). */
export type OpHandler<K extends BatchOp> = (raw: ItemOf<K>, item: string, p: BatchPlanner) => readonly PlannedOp[];

/** A new, empty volume. */
export const planCreate: OpHandler<'create'> = (raw, item, p) => {
  const volume = p.newVolume({
    name: p.volumes.freshName(raw.volume, item),
    thinId: 0,
    sizeBytes: checkSize(raw.sizeBytes, p.ctx.state, item),
    originUuid: null,
    externalOrigin: null,
  });
  const deviceSnapshot = raw.deviceSnapshot === undefined ? {} : { deviceSnapshot: checkDeviceSnapshot(raw.deviceSnapshot, item) };
  const uuid = raw.uuid === undefined ? {} : { uuid: checkGivenUuid(raw.uuid, p, item) };
  return [{ kind: 'create', volume: { ...volume, ...deviceSnapshot, ...contentOfField(raw.contentOf, item), ...uuid, thinId: p.volumes.allocateThinId(item) } }];
};

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A uuid a create item brings (CreateItem.uuid): well formed, no volume of the pool's. @throws EngineError INVALID_ARGUMENT, NAME_EXISTS */
function checkGivenUuid(uuid: unknown, p: BatchPlanner, item: string): string {
  if (typeof uuid !== 'string' || !UUID_PATTERN.test(uuid)) throw new EngineError('INVALID_ARGUMENT', `uuid ${quoted(uuid)} is not a lower-case uuid`, { item, argument: 'uuid' });
  if (p.volumes.get(uuid) !== undefined) throw new EngineError('NAME_EXISTS', `a volume with uuid ${uuid} is already in pool ${p.ctx.state.pool.name}`, { item, argument: 'uuid' });
  return uuid;
}

/** A new volume over an external origin the pool resolved beforehand (size, or why it cannot be one). */
export const planCreateExternal: OpHandler<'create-external'> = (raw, item, p) => {
  const name = p.volumes.freshName(raw.volume, item);
  const path = raw.externalOrigin;
  const problem = typeof path === 'string' ? p.ctx.externalOriginProblems?.get(path) : undefined;
  if (problem !== undefined) throw new EngineError('INVALID_ARGUMENT', problem, { item, argument: 'externalOrigin' });
  const originBytes = typeof path === 'string' ? p.ctx.externalOriginSizes.get(path) : undefined;
  if (originBytes === undefined) {
    throw new EngineError('INVALID_ARGUMENT', `external origin ${quoted(path)} is not a block device`, { item, argument: 'externalOrigin' });
  }
  if (raw.sizeBytes === undefined && originBytes < 512) {
    throw new EngineError('INVALID_ARGUMENT', `external origin ${quoted(path)} is ${originBytes} bytes, less than one 512-byte sector: nothing to read from`, {
      item,
      argument: 'externalOrigin',
    });
  }
  const sizeBytes = checkSize(raw.sizeBytes ?? Math.ceil(originBytes / 512) * 512, p.ctx.state, item);
  return [
    {
      kind: 'create',
      volume: p.newVolume({
        name,
        thinId: p.volumes.allocateThinId(item),
        sizeBytes,
        originUuid: null,
        externalOrigin: path,
        ...(raw.uuid === undefined ? {} : { uuid: checkGivenUuid(raw.uuid, p, item) }),
      }),
    },
  ];
};

/** A writable snapshot of an existing volume. */
export const planSnapshot: OpHandler<'snapshot'> = (raw, item, p) => {
  const origin = p.volumes.find(raw.origin, item);
  return [p.snapshotOf(origin, { name: p.volumes.freshName(raw.volume, item), ...contentOfField(raw.contentOf, item) }, item)];
};

/** The `contentOf` field of a new volume, checked (1 to 64 printable ASCII bytes), or none. */
function contentOfField(value: unknown, item: string): { contentOf?: string } {
  if (value === undefined) return {};
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(value)) {
    throw new EngineError('INVALID_ARGUMENT', `contentOf must be a uuid of 1 to 64 printable ASCII bytes, got ${quoted(value)}`, { item, argument: 'contentOf' });
  }
  return { contentOf: value };
}

/**
 * The next revision of a volume, and deletes of its oldest unpinned revisions beyond `keep`.
 * Revisions belong to the volume's uuid, not its name: a name left by another volume (a
 * revision of an earlier volume of this name, or any volume) is skipped, never reused or
 * deleted. Every skip passes a taken name, so the search ends within the pool's volumes.
 */
export const planRevision: OpHandler<'revision'> = (raw, item, p) => {
  const origin = p.volumes.find(raw.volume, item);
  if (!Number.isInteger(raw.keep) || raw.keep < 1 || raw.keep > MAX_KEEP_REVISIONS) {
    throw new EngineError('INVALID_ARGUMENT', `keep must be a whole number from 1 to ${MAX_KEEP_REVISIONS}, got ${quoted(raw.keep)}`, { item, argument: 'keep' });
  }
  let revision = origin.revisionsMade + 1;
  while (!p.volumes.isNameFree(`${origin.name}.rev${revision}`)) revision++;
  const ops = [p.snapshotOf(origin, { name: p.volumes.freshName(`${origin.name}.rev${revision}`, item), revisionOf: origin.uuid, revision }, item)];
  const unpinned = p.volumes
    .all()
    .filter((v) => v.revisionOf === origin.uuid && !v.pinned)
    .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
  // The new revision counts as one of the `keep`.
  for (const old of unpinned.slice(Math.max(0, raw.keep - 1))) ops.push(p.deleteOp(old, item));
  return ops;
};

/** Deletes a volume (an active one is deactivated first). */
export const planDelete: OpHandler<'delete'> = (raw, item, p) => [p.deleteOp(p.volumes.find(raw.volume, item), item)];

/** Renames an inactive volume. */
export const planRename: OpHandler<'rename'> = (raw, item, p) => {
  const v = p.volumes.find(raw.volume, item);
  p.requireInactive(v, 'rename it', item);
  return [{ kind: 'rename', uuid: v.uuid, name: p.volumes.freshName(raw.newName, item, 'newName') }];
};

/** Grows a volume (an active one is reloaded after the commit); an equal size changes nothing. */
export const planGrow: OpHandler<'grow'> = (raw, item, p) => {
  const v = p.volumes.find(raw.volume, item);
  const sizeBytes = checkSize(raw.sizeBytes, p.ctx.state, item);
  if (sizeBytes < v.sizeBytes) {
    throw new EngineError('SHRINK_REFUSED', `volume "${v.name}" has ${formatBytes(v.sizeBytes)}; shrinking a thin volume to ${formatBytes(sizeBytes)} would cut its data`, { item });
  }
  if (sizeBytes === v.sizeBytes) return [];
  p.reloadIfActive(v.uuid);
  return [{ kind: 'grow', uuid: v.uuid, sizeBytes }];
};

/** Gives an inactive volume the content of one of its snapshots (an active snapshot is suspended for it). */
export const planRevert: OpHandler<'revert'> = (raw, item, p) => {
  const v = p.volumes.find(raw.volume, item);
  const from = p.volumes.find(raw.snapshot, item);
  if (!p.volumes.isDescendant(from, v.uuid)) {
    throw new EngineError('INVALID_ARGUMENT', `"${from.name}" is not a snapshot of "${v.name}"`, { item, argument: 'snapshot' });
  }
  p.requireInactive(v, 'revert it', item);
  p.suspendIfActive(from.uuid);
  return [
    {
      kind: 'revert',
      uuid: v.uuid,
      fromThinId: from.thinId,
      newThinId: p.volumes.allocateThinId(item),
      oldThinId: v.thinId,
      sizeBytes: from.sizeBytes,
      externalOrigin: from.externalOrigin,
    },
  ];
};

/** Pins (or unpins) a volume; the same setting changes nothing. */
export const planPin: OpHandler<'pin'> = (raw, item, p) => {
  const v = p.volumes.find(raw.volume, item);
  const pinned: unknown = raw.pinned ?? true;
  if (typeof pinned !== 'boolean') throw new EngineError('INVALID_ARGUMENT', 'pinned must be true or false', { item, argument: 'pinned' });
  return v.pinned === pinned ? [] : [{ kind: 'pin', uuid: v.uuid, pinned }];
};

/** Sets or clears a volume's delete mark; an equal mark changes nothing. */
export const planMarkDelete: OpHandler<'mark-delete'> = (raw, item, p) => {
  const v = p.volumes.find(raw.volume, item);
  const checked = checkDeleteMark(raw.mark, v, item);
  const owner = checkOwner(raw.owner, raw.ownerCluster, 'delete mark', item);
  const mark = checked === null || owner === null ? checked : { ...checked, ownerToken: owner.token };
  if (sameMark(v.deleting ?? null, mark)) return [];
  const jobId = mark?.jobId ?? v.deleting?.jobId;
  const ownerOp = owner !== null && jobId !== undefined ? { owner: { jobId, ...owner } } : {};
  return [{ kind: 'mark-delete', uuid: v.uuid, mark, ...ownerOp }];
};

/** Sets or clears a volume's job mark (flatten, merge); an equal mark changes nothing. */
export const planMarkJob: OpHandler<'mark-job'> = (raw, item, p) => {
  const v = p.volumes.find(raw.volume, item);
  const checked = checkJobMark(raw.mark, v, item);
  const owner = checkOwner(raw.owner, raw.ownerCluster, 'job mark', item);
  const mark = checked === null || owner === null ? checked : { ...checked, ownerToken: owner.token };
  const old = v.job ?? null;
  if (old === null ? mark === null : mark !== null && JSON.stringify(old) === JSON.stringify(mark)) return [];
  const jobId = mark?.jobId ?? old?.jobId;
  const ownerOp = owner !== null && jobId !== undefined ? { owner: { jobId, ...owner } } : {};
  return [{ kind: 'mark-job', uuid: v.uuid, mark, ...ownerOp }];
};

/** Detaches a volume from its external origin (an active one is reloaded after the commit). */
export const planDetachOrigin: OpHandler<'detach-origin'> = (raw, item, p) => {
  const v = p.volumes.find(raw.volume, item);
  if (v.externalOrigin === null) throw new EngineError('INVALID_ARGUMENT', `volume "${v.name}" has no external origin to detach`, { item, argument: 'volume' });
  p.reloadIfActive(v.uuid);
  return [{ kind: 'detach-origin', uuid: v.uuid }];
};

/** The owner a mark is written under (null when none). @throws EngineError INVALID_ARGUMENT */
function checkOwner(owner: unknown, clusterId: unknown, what: string, item: string): { token: string; clusterId?: string } | null {
  if (owner === undefined) return null;
  if (typeof owner !== 'string' || !/^[0-9]{1,20}$/.test(owner)) {
    throw new EngineError('INVALID_ARGUMENT', `${what}: owner must be a decimal grant token`, { item, argument: 'mark' });
  }
  if (clusterId !== undefined && (typeof clusterId !== 'string' || Buffer.byteLength(clusterId) > MAX_WRITER_CLUSTER_ID_BYTES)) {
    throw new EngineError('INVALID_ARGUMENT', `${what}: ownerCluster must be a cluster id of at most ${MAX_WRITER_CLUSTER_ID_BYTES} bytes`, { item, argument: 'mark' });
  }
  return { token: owner, ...(clusterId ? { clusterId } : {}) };
}

/** @throws EngineError INVALID_ARGUMENT naming the first bad field of a job mark. */
function checkJobMark(mark: unknown, v: VolumeRecord, item: string): JobMark | null {
  if (mark === null) return null;
  const bad = (what: string): never => {
    throw new EngineError('INVALID_ARGUMENT', `job mark: ${what}`, { item, argument: 'mark' });
  };
  if (typeof mark !== 'object') return bad('must be an object or null');
  const { kind, phase, args } = mark as Partial<Record<keyof JobMark, unknown>>;
  const word = (w: unknown): w is string => typeof w === 'string' && /^[a-z0-9-]{1,32}$/.test(w);
  if (!word(kind) || kind === 'delete') return bad("kind must be 1 to 32 lower-case letters, digits or '-', and not delete");
  if (!word(phase)) return bad("phase must be 1 to 32 lower-case letters, digits or '-'");
  if (args !== undefined && !isJobArgs(args)) return bad('args must hold at most 16 entries, keys of 1 to 32 letters and digits, values of at most 4096 bytes without NUL');
  const base = checkDeleteMark(mark, v, item, 'job mark')!;
  return { kind, jobId: base.jobId, doneBytes: base.doneBytes, chunkBytes: base.chunkBytes, createdMs: base.createdMs, phase, ...(args === undefined ? {} : { args: { ...args } }) };
}

/** @throws EngineError INVALID_ARGUMENT naming the first bad field of a delete mark (`what`: how the message names the mark). */
function checkDeleteMark(mark: unknown, v: VolumeRecord, item: string, what = 'delete mark'): DeleteMark | null {
  if (mark === null) return null;
  const bad = (why: string): never => {
    throw new EngineError('INVALID_ARGUMENT', `${what}: ${why}`, { item, argument: 'mark' });
  };
  if (typeof mark !== 'object') return bad('must be an object or null');
  const fields: Partial<Record<keyof DeleteMark, unknown>> = mark;
  const { jobId, chunkBytes, doneBytes, createdMs } = fields;
  if (typeof jobId !== 'string' || jobId.length === 0) return bad('jobId must be a non-empty string');
  const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!isCount(chunkBytes) || chunkBytes === 0 || chunkBytes % 512 !== 0) return bad('chunkBytes must be a positive multiple of 512');
  if (!isCount(doneBytes) || doneBytes > v.sizeBytes) return bad(`doneBytes must be a whole number of bytes up to the volume's ${v.sizeBytes}`);
  if (!isCount(createdMs)) return bad('createdMs must be milliseconds since the epoch');
  return { jobId, doneBytes, chunkBytes, createdMs };
}

function sameMark(a: DeleteMark | null, b: DeleteMark | null): boolean {
  if (a === null || b === null) return a === b;
  return a.jobId === b.jobId && a.doneBytes === b.doneBytes && a.chunkBytes === b.chunkBytes && a.createdMs === b.createdMs && a.ownerToken === b.ownerToken;
}
