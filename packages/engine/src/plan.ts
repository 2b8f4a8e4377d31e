/**
 * Turns a batch into planned ops, or rejects it before anything is touched. Items are checked
 * in order against the state the earlier items leave (so an item may snapshot a volume an
 * earlier item created); the first bad item rejects the whole batch with its item name.
 *
 * Pure: reads the committed state and what the caller resolved from the kernel beforehand
 * (which volumes are active or open, external origin sizes); it changes nothing.
 */
import { MAX_THIN_ID } from '@thinfleet/devmapper';
import { formatBytes, sizeProblem } from '@thinfleet/units';
import { MAX_KEEP_REVISIONS, type BatchItem } from './batch-item.js';
import { applyOp, catalogIndex, thinIdsInUse, type CatalogIndex, type CatalogState, type DeleteMark, type PlannedOp, type VolumeRecord, type VolumeTable } from './catalog-state.js';
import { EngineError } from './engine-error.js';
import { checkVolumeName } from './names.js';
import { quoted } from './quote.js';

/** A volume's active device-mapper device, as listed before planning. */
export interface ActiveDevice {
  readonly name: string;
}

export interface PlanContext {
  readonly state: CatalogState;
  readonly nowMs: number;
  readonly newUuid: () => string;
  /** The device of an active volume, or undefined when the volume is inactive. */
  readonly activeDevice: (uuid: string) => ActiveDevice | undefined;
  /** Sizes of the external origins the batch names, by path; absent when the path is not a block device. */
  readonly externalOriginSizes: ReadonlyMap<string, number>;
  /** Why an external origin the batch names cannot be one (a device of the pool itself), by path. */
  readonly externalOriginProblems?: ReadonlyMap<string, string>;
}

/** What executing a plan needs besides the ops. */
export interface BatchPlan {
  readonly ops: PlannedOp[];
  /** Per item: the uuid of the volume it made or changed. */
  readonly itemVolumes: ReadonlyArray<{ readonly item: string; readonly uuid: string }>;
  /** Active volumes that snapshots are taken of: suspended for the create_snap window. */
  readonly suspend: string[];
  /**
   * Active volumes being deleted, with the item that deletes them: checked not to be open
   * before anything is touched, then deactivated before the delete messages.
   */
  readonly deactivate: Array<{ readonly uuid: string; readonly item: string }>;
  /** Volumes to activate once committed. */
  readonly activate: string[];
  /** Active volumes whose table must be reloaded once committed (grown). */
  readonly reload: string[];
}

/**
 * Rounds a requested size up to the pool's block size, or rejects it: the size rule of
 * @thinfleet/units (a whole number of bytes from 1 to below 8 PiB), then the pool's own limit.
 */
export function checkSize(sizeBytes: unknown, state: CatalogState, item: string): number {
  const { dataBlockBytes } = state.pool.layout;
  const problem = sizeProblem(sizeBytes);
  if (problem !== null) throw new EngineError('INVALID_SIZE', `size ${problem}`, { item, argument: 'sizeBytes' });
  const rounded = Math.ceil((sizeBytes as number) / dataBlockBytes) * dataBlockBytes;
  if (rounded > state.pool.maxVolumeBytes) {
    throw new EngineError('INVALID_SIZE', `size ${formatBytes(rounded)} is beyond the pool's limit of ${formatBytes(state.pool.maxVolumeBytes)} per volume`, { item, argument: 'sizeBytes' });
  }
  return rounded;
}

/**
 * The volumes as the items so far leave them: an overlay of changes over the committed state,
 * so planning costs what the batch touches, not what the pool holds.
 */
class Working implements VolumeTable {
  /** Changed volumes by uuid; null for deleted. */
  private readonly changed = new Map<string, VolumeRecord | null>();
  /** Changed names: name -> uuid, or null for a name freed by this batch. */
  private readonly names = new Map<string, string | null>();
  private readonly index: CatalogIndex;
  private readonly pendingIds: ReadonlySet<number>;
  private readonly allocated = new Set<number>();
  private nextCandidate = 0;

  constructor(readonly state: CatalogState) {
    this.index = catalogIndex(state);
    this.pendingIds = thinIdsInUse(state);
  }

  get(uuid: string): VolumeRecord | undefined {
    const v = this.changed.get(uuid);
    return v === undefined ? this.state.volumes[uuid] : (v ?? undefined);
  }

  set(volume: VolumeRecord): void {
    const old = this.get(volume.uuid);
    if (old && old.name !== volume.name) this.names.set(old.name, null);
    this.names.set(volume.name, volume.uuid);
    this.changed.set(volume.uuid, volume);
  }

  delete(uuid: string): void {
    const old = this.get(uuid);
    if (old) this.names.set(old.name, null);
    this.changed.set(uuid, null);
  }

  /** Every volume as of now (costs the whole pool: only for revision rotation). */
  all(): VolumeRecord[] {
    const out: VolumeRecord[] = [];
    for (const v of Object.values(this.state.volumes)) if (!this.changed.has(v.uuid)) out.push(v);
    for (const v of this.changed.values()) if (v !== null) out.push(v);
    return out;
  }

  private uuidOfName(name: string): string | undefined {
    const changed = this.names.get(name);
    return changed === undefined ? this.index.byName.get(name) : (changed ?? undefined);
  }

  find(name: unknown, item: string): VolumeRecord {
    const uuid = typeof name === 'string' ? this.uuidOfName(name) : undefined;
    const v = uuid === undefined ? undefined : this.get(uuid);
    if (!v) throw new EngineError('NO_SUCH_VOLUME', `no volume ${quoted(name)} in pool ${this.state.pool.name}`, { item });
    return v;
  }

  /** True when no volume (committed, or made by an earlier item) has `name`. */
  isNameFree(name: string): boolean {
    return this.uuidOfName(name) === undefined;
  }

  freshName(name: unknown, item: string, argument = 'volume'): string {
    const checked = checkVolumeName(this.state.pool.name, name, item, argument);
    if (this.uuidOfName(checked) !== undefined) throw new EngineError('NAME_EXISTS', `volume "${checked}" already exists in pool ${this.state.pool.name}`, { item });
    return checked;
  }

  /** The lowest thin id no committed volume and no earlier item uses (freed ids wait for the commit). */
  allocateThinId(item: string): number {
    let id = this.nextCandidate;
    while (this.pendingIds.has(id) || this.allocated.has(id)) id++;
    if (id > MAX_THIN_ID) throw new EngineError('NO_FREE_THIN_ID', `all ${MAX_THIN_ID + 1} thin ids of the pool are in use`, { item });
    this.allocated.add(id);
    this.nextCandidate = id + 1;
    return id;
  }

  apply(ops: readonly PlannedOp[]): void {
    for (const op of ops) applyOp(this, op);
  }

  isDescendant(candidate: VolumeRecord, ancestorUuid: string): boolean {
    const seen = new Set<string>();
    let at: VolumeRecord | undefined = candidate;
    while (at?.originUuid != null && !seen.has(at.uuid)) {
      seen.add(at.uuid);
      if (at.originUuid === ancestorUuid) return true;
      at = this.get(at.originUuid);
    }
    return false;
  }
}

/** @throws EngineError INVALID_ARGUMENT naming the first bad field of a delete mark. */
function checkDeleteMark(mark: unknown, v: VolumeRecord, item: string): DeleteMark | null {
  if (mark === null) return null;
  const m = mark as Partial<DeleteMark> | undefined;
  const bad = (what: string): never => {
    throw new EngineError('INVALID_ARGUMENT', `delete mark: ${what}`, { item, argument: 'mark' });
  };
  if (typeof m !== 'object' || m === null) bad('must be an object or null');
  if (typeof m!.jobId !== 'string' || m!.jobId.length === 0) bad('jobId must be a non-empty string');
  const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!isCount(m!.chunkBytes) || m!.chunkBytes === 0 || m!.chunkBytes % 512 !== 0) bad('chunkBytes must be a positive multiple of 512');
  if (!isCount(m!.doneBytes) || m!.doneBytes > v.sizeBytes) bad(`doneBytes must be a whole number of bytes up to the volume's ${v.sizeBytes}`);
  if (!isCount(m!.createdMs)) bad('createdMs must be milliseconds since the epoch');
  return { jobId: m!.jobId!, doneBytes: m!.doneBytes!, chunkBytes: m!.chunkBytes!, createdMs: m!.createdMs! };
}

function sameMark(a: DeleteMark | null, b: DeleteMark | null): boolean {
  if (a === null || b === null) return a === b;
  return a.jobId === b.jobId && a.doneBytes === b.doneBytes && a.chunkBytes === b.chunkBytes && a.createdMs === b.createdMs;
}

/**
 * Plans a batch.
 * @throws EngineError naming the first bad item; nothing has been changed.
 */
export function planBatch(items: readonly BatchItem[], ctx: PlanContext): BatchPlan {
  if (!Array.isArray(items) || items.length === 0) throw new EngineError('INVALID_ARGUMENT', 'a batch needs at least one item');
  const w = new Working(ctx.state);
  const plan: BatchPlan = { ops: [], itemVolumes: [], suspend: [], deactivate: [], activate: [], reload: [] };
  const itemNames = new Set<string>();
  const createdHere = new Set<string>();

  const newVolume = (fields: Pick<VolumeRecord, 'name' | 'thinId' | 'sizeBytes' | 'originUuid' | 'externalOrigin'> & Partial<VolumeRecord>): VolumeRecord => ({
    uuid: ctx.newUuid(),
    createdAtMs: ctx.nowMs,
    revisionOf: null,
    revision: null,
    pinned: false,
    revisionsMade: 0,
    ...fields,
  });
  const isActive = (uuid: string): ActiveDevice | undefined => (createdHere.has(uuid) ? undefined : ctx.activeDevice(uuid));
  const requireInactive = (v: VolumeRecord, why: string, item: string): void => {
    if (isActive(v.uuid)) throw new EngineError('VOLUME_ACTIVE', `volume "${v.name}" is active; deactivate it to ${why}`, { item });
  };
  const deleteOp = (v: VolumeRecord, item: string): PlannedOp => {
    if (isActive(v.uuid)) plan.deactivate.push({ uuid: v.uuid, item });
    return { kind: 'delete', uuid: v.uuid, thinId: v.thinId };
  };
  const snapshotOf = (origin: VolumeRecord, fields: Partial<VolumeRecord> & { name: string }, item: string): PlannedOp => {
    if (isActive(origin.uuid) && !plan.suspend.includes(origin.uuid)) plan.suspend.push(origin.uuid);
    const volume = newVolume({
      thinId: w.allocateThinId(item),
      sizeBytes: origin.sizeBytes,
      originUuid: origin.uuid,
      externalOrigin: origin.externalOrigin,
      ...fields,
    });
    return { kind: 'snapshot', volume, originThinId: origin.thinId };
  };

  for (const raw of items) {
    const item = typeof raw?.item === 'string' && raw.item.length > 0 ? raw.item : '';
    if (item === '') throw new EngineError('INVALID_ARGUMENT', 'every batch item needs a non-empty "item" name');
    if (itemNames.has(item)) throw new EngineError('INVALID_ARGUMENT', 'the item name is used twice in the batch', { item });
    itemNames.add(item);
    const ops: PlannedOp[] = [];
    switch (raw.op) {
      case 'create': {
        const volume = newVolume({
          name: w.freshName(raw.volume, item),
          thinId: 0,
          sizeBytes: checkSize(raw.sizeBytes, ctx.state, item),
          originUuid: null,
          externalOrigin: null,
        });
        ops.push({ kind: 'create', volume: { ...volume, thinId: w.allocateThinId(item) } });
        break;
      }
      case 'create-external': {
        const name = w.freshName(raw.volume, item);
        const path = raw.externalOrigin;
        const problem = typeof path === 'string' ? ctx.externalOriginProblems?.get(path) : undefined;
        if (problem !== undefined) throw new EngineError('INVALID_ARGUMENT', problem, { item, argument: 'externalOrigin' });
        const originBytes = typeof path === 'string' ? ctx.externalOriginSizes.get(path) : undefined;
        if (originBytes === undefined) {
          throw new EngineError('INVALID_ARGUMENT', `external origin ${quoted(path)} is not a block device`, { item, argument: 'externalOrigin' });
        }
        if (raw.sizeBytes === undefined && originBytes < 512) {
          throw new EngineError('INVALID_ARGUMENT', `external origin ${quoted(path)} is ${originBytes} bytes, less than one 512-byte sector: nothing to read from`, { item, argument: 'externalOrigin' });
        }
        const sizeBytes = checkSize(raw.sizeBytes ?? Math.ceil(originBytes / 512) * 512, ctx.state, item);
        ops.push({ kind: 'create', volume: newVolume({ name, thinId: w.allocateThinId(item), sizeBytes, originUuid: null, externalOrigin: path }) });
        break;
      }
      case 'snapshot': {
        const origin = w.find(raw.origin, item);
        ops.push(snapshotOf(origin, { name: w.freshName(raw.volume, item) }, item));
        break;
      }
      case 'revision': {
        const origin = w.find(raw.volume, item);
        if (!Number.isInteger(raw.keep) || raw.keep < 1 || raw.keep > MAX_KEEP_REVISIONS) {
          throw new EngineError('INVALID_ARGUMENT', `keep must be a whole number from 1 to ${MAX_KEEP_REVISIONS}, got ${quoted(raw.keep)}`, { item, argument: 'keep' });
        }
        // Revisions belong to the volume's uuid, not its name: a name left by another volume
        // (a revision of an earlier volume of this name, or any volume) is skipped, never reused
        // or deleted. Every skip passes a taken name, so the search ends within the pool's volumes.
        let revision = origin.revisionsMade + 1;
        while (!w.isNameFree(`${origin.name}.rev${revision}`)) revision++;
        const snap = snapshotOf(origin, { name: w.freshName(`${origin.name}.rev${revision}`, item), revisionOf: origin.uuid, revision }, item);
        ops.push(snap);
        const unpinned = w
          .all()
          .filter((v) => v.revisionOf === origin.uuid && !v.pinned)
          .sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
        // The new revision counts as one of the `keep`.
        for (const old of unpinned.slice(Math.max(0, raw.keep - 1))) ops.push(deleteOp(old, item));
        break;
      }
      case 'delete':
        ops.push(deleteOp(w.find(raw.volume, item), item));
        break;
      case 'rename': {
        const v = w.find(raw.volume, item);
        requireInactive(v, 'rename it', item);
        ops.push({ kind: 'rename', uuid: v.uuid, name: w.freshName(raw.newName, item, 'newName') });
        break;
      }
      case 'grow': {
        const v = w.find(raw.volume, item);
        const sizeBytes = checkSize(raw.sizeBytes, ctx.state, item);
        if (sizeBytes < v.sizeBytes) {
          throw new EngineError('SHRINK_REFUSED', `volume "${v.name}" has ${formatBytes(v.sizeBytes)}; shrinking a thin volume to ${formatBytes(sizeBytes)} would cut its data`, { item });
        }
        if (sizeBytes > v.sizeBytes) {
          ops.push({ kind: 'grow', uuid: v.uuid, sizeBytes });
          if (isActive(v.uuid) && !plan.reload.includes(v.uuid)) plan.reload.push(v.uuid);
        }
        break;
      }
      case 'revert': {
        const v = w.find(raw.volume, item);
        const from = w.find(raw.snapshot, item);
        if (!w.isDescendant(from, v.uuid)) {
          throw new EngineError('INVALID_ARGUMENT', `"${from.name}" is not a snapshot of "${v.name}"`, { item, argument: 'snapshot' });
        }
        requireInactive(v, 'revert it', item);
        if (isActive(from.uuid) && !plan.suspend.includes(from.uuid)) plan.suspend.push(from.uuid);
        ops.push({
          kind: 'revert',
          uuid: v.uuid,
          fromThinId: from.thinId,
          newThinId: w.allocateThinId(item),
          oldThinId: v.thinId,
          sizeBytes: from.sizeBytes,
          externalOrigin: from.externalOrigin,
        });
        break;
      }
      case 'pin': {
        const v = w.find(raw.volume, item);
        const pinned = raw.pinned ?? true;
        if (typeof pinned !== 'boolean') throw new EngineError('INVALID_ARGUMENT', 'pinned must be true or false', { item, argument: 'pinned' });
        if (v.pinned !== pinned) ops.push({ kind: 'pin', uuid: v.uuid, pinned });
        break;
      }
      case 'mark-delete': {
        const v = w.find(raw.volume, item);
        const mark = checkDeleteMark(raw.mark, v, item);
        if (!sameMark(v.deleting ?? null, mark)) ops.push({ kind: 'mark-delete', uuid: v.uuid, mark });
        break;
      }
      default:
        throw new EngineError('INVALID_ARGUMENT', `unknown operation ${quoted(JSON.stringify((raw as { op?: unknown }).op))}`, { item, argument: 'op' });
    }
    for (const op of ops) {
      if (op.kind === 'create' || op.kind === 'snapshot') createdHere.add(op.volume.uuid);
    }
    const subject = ops[0] === undefined ? w.find(raw.volume, item).uuid : 'volume' in ops[0] ? ops[0].volume.uuid : 'uuid' in ops[0] ? ops[0].uuid : '';
    w.apply(ops);
    plan.ops.push(...ops);
    (plan.itemVolumes as Array<{ item: string; uuid: string }>).push({ item, uuid: subject });
    if ('activate' in raw && raw.activate === true) plan.activate.push(subject);
  }
  // A volume deleted later in the batch needs no suspend, reload or activation.
  const deleted = new Set(plan.ops.flatMap((op) => (op.kind === 'delete' ? [op.uuid] : [])));
  const keep = (list: string[]): string[] => list.filter((uuid) => !deleted.has(uuid));
  return {
    ...plan,
    suspend: keep(plan.suspend).filter((uuid) => !plan.deactivate.some((d) => d.uuid === uuid)),
    activate: keep(plan.activate),
    reload: keep(plan.reload),
  };
}
