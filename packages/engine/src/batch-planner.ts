/**
 * What every batch op handler (batch-op-handlers.ts) shares while a batch is planned: the
 * context the pool resolved beforehand, the working volumes, and the kernel steps the plan
 * collects besides its ops (suspends, deactivations, reloads). Pure: nothing here touches the
 * kernel or the catalog.
 */
import { formatBytes, sizeProblem } from '@thinfleet/units';
import type { CatalogState, PlannedOp, VolumeRecord } from './catalog-state.js';
import { EngineError } from './engine-error.js';
import { WorkingVolumes } from './plan-working.js';

/** A volume's active device-mapper device, as listed before planning. */
export interface ActiveDevice {
  readonly name: string;
}

/** What planning reads: the committed state and what the pool resolved from the kernel beforehand. */
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
  readonly ops: readonly PlannedOp[];
  /** Per item: the uuid of the volume it made or changed. */
  readonly itemVolumes: ReadonlyArray<{ readonly item: string; readonly uuid: string }>;
  /** Active volumes that snapshots are taken of: suspended for the create_snap window. */
  readonly suspend: readonly string[];
  /**
   * Active volumes being deleted, with the item that deletes them: checked not to be open
   * before anything is touched, then deactivated before the delete messages.
   */
  readonly deactivate: ReadonlyArray<{ readonly uuid: string; readonly item: string }>;
  /** Volumes to activate once committed. */
  readonly activate: readonly string[];
  /** Active volumes whose table must be reloaded once committed (grown). */
  readonly reload: readonly string[];
}

/**
 * Rounds a requested size up to the pool's block size, or rejects it: the size rule of
 * @thinfleet/units (a whole number of bytes from 1 to below 8 PiB), then the pool's own limit.
 * @throws EngineError INVALID_SIZE naming `item` and the argument sizeBytes
 */
export function checkSize(sizeBytes: unknown, state: CatalogState, item: string): number {
  const { dataBlockBytes } = state.pool.layout;
  const problem = sizeProblem(sizeBytes);
  // sizeProblem refuses every non-number; the typeof only tells the compiler so.
  if (problem !== null || typeof sizeBytes !== 'number') throw new EngineError('INVALID_SIZE', `size ${problem ?? 'must be a number'}`, { item, argument: 'sizeBytes' });
  const rounded = Math.ceil(sizeBytes / dataBlockBytes) * dataBlockBytes;
  if (rounded > state.pool.maxVolumeBytes) {
    throw new EngineError('INVALID_SIZE', `size ${formatBytes(rounded)} is beyond the pool's limit of ${formatBytes(state.pool.maxVolumeBytes)} per volume`, { item, argument: 'sizeBytes' });
  }
  return rounded;
}

/** The fields a new volume record needs; the rest take their defaults. */
export type NewVolumeFields = Pick<VolumeRecord, 'name' | 'thinId' | 'sizeBytes' | 'originUuid' | 'externalOrigin'> & Partial<VolumeRecord>;

/** One batch being planned: the working volumes and the kernel steps collected so far. */
export class BatchPlanner {
  readonly volumes: WorkingVolumes;
  /** Volumes made by this batch: never active yet, whatever the kernel's list says. */
  private readonly createdHere = new Set<string>();
  private readonly suspends: string[] = [];
  private readonly deactivates: Array<{ readonly uuid: string; readonly item: string }> = [];
  private readonly reloads: string[] = [];

  constructor(readonly ctx: PlanContext) {
    this.volumes = new WorkingVolumes(ctx.state);
  }

  /** A new volume record with a fresh uuid, made now. */
  newVolume(fields: NewVolumeFields): VolumeRecord {
    return {
      uuid: this.ctx.newUuid(),
      createdAtMs: this.ctx.nowMs,
      revisionOf: null,
      revision: null,
      pinned: false,
      revisionsMade: 0,
      ...fields,
    };
  }

  /** The active device of volume `uuid`, or undefined when it is inactive or made by this batch. */
  isActive(uuid: string): ActiveDevice | undefined {
    return this.createdHere.has(uuid) ? undefined : this.ctx.activeDevice(uuid);
  }

  /** @throws EngineError VOLUME_ACTIVE naming `item`, saying the volume must be deactivated to `why` */
  requireInactive(v: VolumeRecord, why: string, item: string): void {
    if (this.isActive(v.uuid)) throw new EngineError('VOLUME_ACTIVE', `volume "${v.name}" is active; deactivate it to ${why}`, { item });
  }

  /** Suspends volume `uuid` for the create_snap window when it is active (once per batch). */
  suspendIfActive(uuid: string): void {
    if (this.isActive(uuid) && !this.suspends.includes(uuid)) this.suspends.push(uuid);
  }

  /** Reloads volume `uuid`'s table after the commit when it is active (once per batch). */
  reloadIfActive(uuid: string): void {
    if (this.isActive(uuid) && !this.reloads.includes(uuid)) this.reloads.push(uuid);
  }

  /** The op deleting `v`; an active `v` is deactivated first (after the not-open check). */
  deleteOp(v: VolumeRecord, item: string): PlannedOp {
    if (this.isActive(v.uuid)) this.deactivates.push({ uuid: v.uuid, item });
    return { kind: 'delete', uuid: v.uuid, thinId: v.thinId };
  }

  /** The op snapshotting `origin` as a new volume with `fields`; an active origin is suspended for it. */
  snapshotOf(origin: VolumeRecord, fields: Partial<VolumeRecord> & { name: string }, item: string): PlannedOp {
    this.suspendIfActive(origin.uuid);
    const volume = this.newVolume({
      thinId: this.volumes.allocateThinId(item),
      sizeBytes: origin.sizeBytes,
      originUuid: origin.uuid,
      externalOrigin: origin.externalOrigin,
      ...fields,
    });
    return { kind: 'snapshot', volume, originThinId: origin.thinId };
  }

  /** Applies an item's ops to the working volumes, noting the volumes they make. */
  apply(ops: readonly PlannedOp[]): void {
    for (const op of ops) {
      if (op.kind === 'create' || op.kind === 'snapshot') this.createdHere.add(op.volume.uuid);
    }
    this.volumes.apply(ops);
  }

  /**
   * The kernel steps collected, less those of volumes the batch deletes later: a deleted volume
   * needs no suspend, reload or activation, and one deactivated needs no suspend.
   */
  kernelSteps(ops: readonly PlannedOp[], activate: readonly string[]): Pick<BatchPlan, 'suspend' | 'deactivate' | 'activate' | 'reload'> {
    const deleted = new Set(ops.flatMap((op) => (op.kind === 'delete' ? [op.uuid] : [])));
    const keep = (list: readonly string[]): string[] => list.filter((uuid) => !deleted.has(uuid));
    return {
      suspend: keep(this.suspends).filter((uuid) => !this.deactivates.some((d) => d.uuid === uuid)),
      deactivate: [...this.deactivates],
      activate: keep(activate),
      reload: keep(this.reloads),
    };
  }
}
