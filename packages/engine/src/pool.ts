/**
 * An active pool on this host: its volumes, batches and the transaction protocol.
 *
 * Every change runs under the pool's mutex as one transaction (docs/engine.md, "The transaction
 * protocol"; docs/architecture.md follows one snapshot through it):
 * 1. append the intent `{tx: T+1, ops}` to the catalog, durably;
 * 2. deactivate volumes being deleted; suspend active origins once; send every create_thin /
 *    create_snap; resume (finally path with a deadline); send the deletes;
 * 3. `set_transaction_id T T+1`;
 * 4. append the commit record.
 * A failure before any delete is sent rolls back at once (created ids deleted, abort record);
 * a later failure leaves the intent pending and the pool recovers (recovery.ts) before its next
 * change. A crash anywhere is recovered at the next activation by the same rules.
 */
import {
  readLivePoolMetadata,
  thinId,
  type ThinDeviceUsage,
  type ThinMetadataSummary,
} from '@thinfleet/devmapper';
import type { BatchItem } from './batch-item.js';
import { poolCapacity, type PoolCapacity } from './capacity.js';
import { catalogIndex, kernelEffects, noSpaceModeOf, type DeleteMark, type NoSpaceMode, type PlannedOp, type VolumeRecord } from './catalog-state.js';
import { ensureDevice, infoOrNull, removeDevice } from './device-tables.js';
import { EngineError, isEngineError } from './engine-error.js';
import { Mutex } from './mutex.js';
import { poolDevicePrefix } from './names.js';
import { externalOriginProblem } from './origin-check.js';
import { planBatch, type ActiveDevice, type BatchPlan } from './plan.js';
import { volumeByName, volumeDevice, volumeTable, volumeUuid, type PoolCore } from './pool-core.js';
import { ensurePoolDevices, removePoolDevices } from './pool-devices.js';
import { extendPoolData, type ExtendRequest, type ExtendResult } from './pool-extend.js';
import { deleteThinIfPresent, recoverPending, type RecoveryReport } from './recovery.js';
import { withSuspended } from './snapshot-window.js';
import { volumeInfo, type VolumeInfo } from './volume-info.js';
import { quoted } from './quote.js';
import { checkVolumeRange, volumeInactive } from './volume-data.js';

export interface PoolStatus {
  readonly name: string;
  readonly uuid: string;
  /** The kernel's transaction id (decimal). */
  readonly transactionId: string;
  readonly mode: 'rw' | 'ro' | 'out_of_data_space' | 'failed';
  readonly needsCheck: boolean;
  readonly dataBlockBytes: number;
  readonly dataTotalBytes: number;
  readonly dataUsedBytes: number;
  readonly metadataTotalBytes: number;
  readonly metadataUsedBytes: number;
  readonly volumes: number;
  readonly activeVolumes: number;
  readonly devices: readonly string[];
  readonly maxVolumeBytes: number;
  /** What writes do once the data space is full (the catalog's setting, which the table carries). */
  readonly noSpaceMode: NoSpaceMode;
  /** Sum of the volumes' virtual sizes, in bytes. */
  readonly provisionedBytes: number;
}

export interface BatchResult {
  /** The pool's transaction id after the batch (decimal); unchanged when the batch changed nothing. */
  readonly tx: string;
  /** Per item, in order: the volume it made or changed (deleted volumes as they were). */
  readonly items: ReadonlyArray<{ readonly item: string; readonly volume: VolumeInfo | null }>;
  /** Steps after the commit that failed (activating or reloading a volume); the batch itself is committed. */
  readonly deferredErrors: ReadonlyArray<{ readonly volume: string; readonly error: Error }>;
  /** The pool's provisioned and data bytes just before and just after the batch (under its mutex). */
  readonly capacity: { readonly before: PoolCapacity; readonly after: PoolCapacity };
}

export interface ReconcileReport {
  readonly kernelTx: string;
  readonly catalogTx: string;
  /** Thin ids the kernel has and no volume names. */
  readonly unknownToCatalog: ReadonlyArray<{ readonly thinId: number; readonly mappedBytes: number }>;
  /** Volumes whose thin id the kernel lacks. */
  readonly missingInKernel: ReadonlyArray<{ readonly name: string; readonly uuid: string; readonly thinId: number }>;
  readonly consistent: boolean;
}

const METADATA_BLOCK_BYTES = 4096;

export class Pool {
  private readonly mutex = new Mutex();
  /** Set when a transaction failed after its deletes began: recover before the next change. */
  private needsRecovery = false;
  private closed = false;
  /** What the last recovery did (at activation, or after a failed transaction). */
  lastRecovery: RecoveryReport | null = null;

  /** Use Engine.activatePool or Engine.createPool. */
  constructor(readonly core: PoolCore) {}

  get name(): string {
    return this.core.catalog.state.pool.name;
  }

  get uuid(): string {
    return this.core.catalog.state.pool.uuid;
  }

  /** True until deactivate or destroy. */
  get isActive(): boolean {
    return !this.closed;
  }

  /**
   * Closes this Pool object without touching the kernel or the catalog: the host was fenced off
   * the pool (Engine.fencePool), another host may own its devices, so nothing may be flushed or
   * removed in its name. Calls that start later fail POOL_INACTIVE; a call running now finishes
   * against the closed write gate (its kernel and device writes fail POOL_FENCED).
   */
  markFenced(): void {
    this.closed = true;
  }

  private requireOpen(): void {
    if (this.closed) throw new EngineError('POOL_INACTIVE', `pool ${this.name} is not active`);
  }

  /** Runs `fn` under the pool mutex, after any pending recovery. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.requireOpen();
      if (this.needsRecovery || this.core.catalog.state.pending !== null) {
        this.lastRecovery = await recoverPending(this.core);
        this.needsRecovery = false;
      }
      return fn();
    });
  }

  /** Runs start-up recovery: resumes suspended devices, resolves a pending intent, adopts active volumes. */
  async recover(): Promise<RecoveryReport> {
    return this.mutex.run(async () => {
      this.requireOpen();
      const prefix = poolDevicePrefix(this.name);
      for (const d of await this.core.dm.list()) {
        if (!d.name.startsWith(prefix)) continue;
        const info = await this.core.dm.info(d.name);
        if (info.suspended) {
          this.core.logger.warn({ device: d.name }, 'resuming a device a crash left suspended');
          await this.core.dm.resume(d.name);
        }
      }
      await this.releaseStaleMetadataSnapshot();
      this.lastRecovery = await recoverPending(this.core);
      this.needsRecovery = false;
      await this.adoptActiveVolumes();
      return this.lastRecovery;
    });
  }

  /**
   * A crash between reserve_metadata_snap and its release leaves the pool's one metadata
   * snapshot held, and every later read of the kernel's ids would fail EBUSY. Whoever activates
   * the pool owns it, so a snapshot held at activation is stale and is released.
   */
  private async releaseStaleMetadataSnapshot(): Promise<void> {
    const status = await this.core.control.status({ noFlush: true });
    if (status.heldMetadataRoot === null) return;
    this.core.logger.warn({ heldRoot: status.heldMetadataRoot }, 'releasing a metadata snapshot a crash left held');
    await this.core.control.releaseMetadataSnap();
  }

  /**
   * This pool's volume devices from one DM_LIST_DEVICES: `active` by volume uuid (names mapped
   * back to volumes through the catalog's name index), and `strays`, devices with the pool's
   * prefix whose name no volume has.
   */
  private async listVolumeDevices(): Promise<{ active: Map<string, ActiveDevice>; strays: string[] }> {
    const prefix = poolDevicePrefix(this.name);
    const own = new Set(Object.values(this.core.names));
    const index = catalogIndex(this.core.catalog.state);
    const active = new Map<string, ActiveDevice>();
    const strays: string[] = [];
    for (const d of await this.core.dm.list()) {
      if (!d.name.startsWith(prefix) || own.has(d.name)) continue;
      const uuid = index.byName.get(d.name.slice(prefix.length).replaceAll('--', '-'));
      if (uuid === undefined) strays.push(d.name);
      else active.set(uuid, { name: d.name });
    }
    return { active, strays };
  }

  /** Active volume devices of this pool, by volume uuid. */
  private async activeDevices(): Promise<Map<string, ActiveDevice>> {
    return (await this.listVolumeDevices()).active;
  }

  /** Refuses, naming the item, when a volume about to be deactivated is open. Changes nothing. */
  private async requireNotOpen(volumes: ReadonlyArray<{ readonly uuid: string; readonly item: string }>): Promise<void> {
    for (const { uuid, item } of volumes) {
      const v = this.core.catalog.state.volumes[uuid];
      if (!v) continue;
      const info = await infoOrNull(this.core.dm, volumeDevice(this.core, v));
      if (info !== null && info.openCount > 0) {
        throw new EngineError('VOLUME_BUSY', `volume "${v.name}" is open (${info.openCount} opener(s)); close it before deleting`, { item });
      }
    }
  }

  /** Adopts active volume devices (node, table, suspension) and reports strays. */
  private async adoptActiveVolumes(): Promise<void> {
    const { active, strays } = await this.listVolumeDevices();
    for (const [uuid, dev] of active) {
      // A device marked for deferred removal is a fenced leftover still held open: it keeps its
      // error table until its opener lets go, never the volume's table again.
      if ((await infoOrNull(this.core.dm, dev.name))?.deferredRemove) continue;
      const v = this.core.catalog.state.volumes[uuid]!;
      await ensureDevice(this.core.dm, this.core.block, dev.name, volumeUuid(this.core, v), volumeTable(this.core, v), { reloadIfDifferent: true });
    }
    for (const name of strays) {
      this.core.logger.warn({ device: name }, 'active device belongs to no volume of the catalog; left alone');
    }
  }

  /** Why the pool cannot take changes, or null when it can (or its status cannot be read). */
  private async notWritable(): Promise<string | null> {
    const status = await this.core.control.status({ noFlush: true }).catch(() => null);
    if (status === null) return 'has failed';
    if (status.needsCheck) return 'needs_check: run thin_check/thin_repair offline';
    if (status.mode !== 'rw') return `is ${status.mode}`;
    return null;
  }

  private async externalOrigins(items: readonly BatchItem[]): Promise<{ sizes: Map<string, number>; problems: Map<string, string> }> {
    const sizes = new Map<string, number>();
    const problems = new Map<string, string>();
    for (const item of items) {
      if (item?.op !== 'create-external' || typeof item.externalOrigin !== 'string' || sizes.has(item.externalOrigin) || problems.has(item.externalOrigin)) continue;
      const path = item.externalOrigin;
      const device = this.core.resolveOrigin(path);
      try {
        await this.core.block.deviceNumber(device);
        sizes.set(path, await this.core.block.sizeBytes(device));
      } catch {
        continue; // Not a block device: the planner rejects the item by name.
      }
      const problem = await externalOriginProblem(this.core, device, path);
      if (problem !== null) problems.set(path, problem);
    }
    return { sizes, problems };
  }

  /**
   * Refuses `path` as an external origin of this pool when it is a device of the pool itself
   * or stacked on one (origin-check.ts). Changes nothing. The same check runs inside every
   * batch that creates a volume over an external origin.
   * @throws EngineError INVALID_ARGUMENT
   */
  async checkExternalOrigin(path: string): Promise<void> {
    const problem = await externalOriginProblem(this.core, this.core.resolveOrigin(path), path);
    if (problem !== null) throw new EngineError('INVALID_ARGUMENT', problem);
  }

  /**
   * Applies `items` all-or-nothing as one transaction. A bad item rejects the whole batch
   * before anything is touched (EngineError with `item`).
   */
  async batch(items: readonly BatchItem[]): Promise<BatchResult> {
    return this.exclusive(async () => {
      const state = this.core.catalog.state;
      const before = poolCapacity(state);
      const active = await this.activeDevices();
      const plan = planBatch(items, {
        state,
        nowMs: this.core.now(),
        newUuid: this.core.newUuid,
        activeDevice: (uuid) => active.get(uuid),
        ...(await this.externalOrigins(items).then((o) => ({ externalOriginSizes: o.sizes, externalOriginProblems: o.problems }))),
      });
      const touched = new Map<string, VolumeRecord>();
      for (const { uuid } of plan.itemVolumes) {
        const v = state.volumes[uuid];
        if (v) touched.set(uuid, v);
      }
      for (const op of plan.ops) if (op.kind === 'create' || op.kind === 'snapshot') touched.set(op.volume.uuid, op.volume);
      if (plan.ops.length > 0) {
        await this.requireNotOpen(plan.deactivate);
        await this.execute(plan);
        for (const { uuid } of plan.deactivate) active.delete(uuid);
      }
      const deferredErrors = await this.afterCommit(plan, active);
      const after = this.core.catalog.state;
      return {
        tx: after.committedTx,
        items: plan.itemVolumes.map(({ item, uuid }) => {
          const v = after.volumes[uuid] ?? touched.get(uuid);
          return { item, volume: v === undefined ? null : this.info(v, active, null) };
        }),
        deferredErrors,
        capacity: { before, after: poolCapacity(after) },
      };
    });
  }

  /** Provisioned bytes (sum of volume sizes) and data bytes, from the catalog. Reads nothing else. */
  capacity(): PoolCapacity {
    return poolCapacity(this.core.catalog.state);
  }

  /** Steps 1-4 of the protocol for a planned batch. */
  private async execute(plan: BatchPlan): Promise<void> {
    const core = this.core;
    const state = core.catalog.state;
    const committed = BigInt(state.committedTx);
    const tx = String(committed + 1n);
    const volumeName = (uuid: string): string => volumeDevice(core, state.volumes[uuid]!);
    const { creates, deletes } = kernelEffects(plan.ops);
    const suspendNames = plan.suspend.map(volumeName);
    const deactivateNames = plan.deactivate.map((d) => volumeName(d.uuid));

    await core.catalog.append({ t: 'intent', intent: { tx, ops: plan.ops } });
    const sent: number[] = [];
    let deletesBegun = false;
    try {
      for (const name of deactivateNames) await removeDevice(core.dm, name, `volume device ${name}`);
      if (creates.length > 0) {
        await withSuspended(core.dm, suspendNames, core.snapshotDeadlineMs, async (signal) => {
          for (const [id, origin] of creates) {
            if (signal.expired) throw new EngineError('DEADLINE_EXCEEDED', 'snapshot window deadline passed');
            if (origin === null) await core.control.createThin(thinId(id));
            else await core.control.createSnap(thinId(id), thinId(origin));
            sent.push(id);
          }
        });
      }
      deletesBegun = true;
      for (const id of deletes) await deleteThinIfPresent(core, id);
      await core.control.setTransactionId(committed, committed + 1n);
    } catch (err) {
      throw await this.failTransaction(tx, sent, deletesBegun, err);
    }
    // Step 4 as a group commit: the record is applied now and written with the next intent (or
    // at deactivation). A crash before that write finds the intent pending with the kernel at
    // tx, and recovery rolls it forward: the same state.
    try {
      await core.catalog.stage({ t: 'commit', tx });
    } catch (err) {
      this.needsRecovery = true;
      throw new EngineError('KERNEL_FAILED', `pool ${this.name}: the kernel committed transaction ${tx} but the catalog is unusable; reactivate the pool to recover`, { cause: err });
    }
    core.logger.info({ tx, ops: plan.ops.length, creates: creates.length, deletes: deletes.length }, 'transaction committed');
  }

  /** Undoes what a failed transaction sent, when it can, and builds the error to throw. */
  private async failTransaction(tx: string, sent: readonly number[], deletesBegun: boolean, err: unknown): Promise<EngineError> {
    const why = isEngineError(err) ? null : await this.notWritable();
    const wrap = (message: string, cause: unknown, rollbackError?: unknown): EngineError =>
      isEngineError(cause)
        ? new EngineError(cause.code, `${cause.message}; ${message}`, { cause, rollbackError })
        : why !== null
          ? new EngineError('POOL_NOT_WRITABLE', `pool ${this.name} ${why}; ${message}`, { cause, rollbackError })
          : new EngineError('KERNEL_FAILED', `${String((cause as Error)?.message ?? cause)}; ${message}`, { cause, rollbackError });
    if (deletesBegun) {
      this.needsRecovery = true;
      return wrap('the transaction is completed or rolled back before the pool\'s next change', err);
    }
    try {
      for (const id of [...sent].reverse()) await deleteThinIfPresent(this.core, id);
      await this.core.catalog.append({ t: 'abort', tx });
    } catch (rollbackError) {
      this.needsRecovery = true;
      return wrap('rolling back failed too; the pool recovers before its next change', err, rollbackError);
    }
    this.core.logger.warn({ tx, err }, 'transaction rolled back');
    return wrap('the batch was rolled back', err);
  }

  /** Reloads grown volumes and activates the asked-for ones; records them in `active`. */
  private async afterCommit(plan: BatchPlan, active: Map<string, ActiveDevice>): Promise<Array<{ volume: string; error: Error }>> {
    const errors: Array<{ volume: string; error: Error }> = [];
    for (const uuid of [...plan.reload, ...plan.activate]) {
      const v = this.core.catalog.state.volumes[uuid];
      if (!v) continue;
      try {
        const name = volumeDevice(this.core, v);
        await ensureDevice(this.core.dm, this.core.block, name, volumeUuid(this.core, v), volumeTable(this.core, v), { reloadIfDifferent: true });
        active.set(uuid, { name });
      } catch (error) {
        errors.push({ volume: v.name, error: error as Error });
      }
    }
    return errors;
  }

  private info(v: VolumeRecord, active: ReadonlyMap<string, ActiveDevice>, usage: ThinMetadataSummary | null): VolumeInfo {
    const dev = active.get(v.uuid);
    const path = dev === undefined ? null : this.core.dm.devicePath(dev.name);
    const u: ThinDeviceUsage | undefined | null = usage === null ? null : usage.devices.get(v.thinId);
    return volumeInfo(this.core.catalog.state, v, { active: dev !== undefined, path }, u);
  }

  private find(name: string): VolumeRecord {
    const v = typeof name === 'string' ? volumeByName(this.core, name) : undefined;
    if (!v) throw new EngineError('NO_SUCH_VOLUME', `no volume ${quoted(name)} in pool ${this.name}`);
    return v;
  }

  private async readUsage(): Promise<ThinMetadataSummary> {
    return readLivePoolMetadata(this.core.dm, this.core.block, this.core.names.pool, this.core.dm.devicePath(this.core.names.meta));
  }

  /** Every volume, sorted by name. With `usage`, mapped/exclusive/shared bytes from one metadata read. */
  async list(options: { usage?: boolean } = {}): Promise<VolumeInfo[]> {
    return this.mutex.run(async () => {
      this.requireOpen();
      const active = await this.activeDevices();
      const usage = options.usage ? await this.readUsage() : null;
      return Object.values(this.core.catalog.state.volumes)
        .map((v) => this.info(v, active, usage))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  /** One volume, with its usage. */
  async show(name: string): Promise<VolumeInfo> {
    return this.mutex.run(async () => {
      this.requireOpen();
      const v = this.find(name);
      return this.info(v, await this.activeDevices(), await this.readUsage());
    });
  }

  private async single(item: BatchItem): Promise<VolumeInfo> {
    const result = await this.batch([item]);
    const first = result.items[0]?.volume;
    if (result.deferredErrors[0]) throw result.deferredErrors[0].error;
    if (!first) throw new EngineError('NO_SUCH_VOLUME', `volume of ${item.op} is gone`);
    return first;
  }

  /** Creates an empty volume. See CreateItem. */
  createVolume(name: string, sizeBytes: number, options: { activate?: boolean } = {}): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'create', volume: name, sizeBytes, ...options });
  }

  /** Creates a volume over a read-only external origin. See CreateExternalItem. */
  createExternal(name: string, externalOrigin: string, options: { sizeBytes?: number; activate?: boolean } = {}): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'create-external', volume: name, externalOrigin, ...options });
  }

  /** Snapshots `origin` as `name`. See SnapshotItem. */
  snapshot(origin: string, name: string, options: { activate?: boolean } = {}): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'snapshot', volume: name, origin, ...options });
  }

  /** Deletes a volume; returns it as it was. See DeleteItem. */
  deleteVolume(name: string): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'delete', volume: name });
  }

  /** Renames an inactive volume. */
  rename(name: string, newName: string): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'rename', volume: name, newName });
  }

  /** Grows a volume (an active one is reloaded with the new size). */
  grow(name: string, sizeBytes: number): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'grow', volume: name, sizeBytes });
  }

  /** Reverts an inactive volume to one of its snapshots. */
  revert(name: string, snapshot: string): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'revert', volume: name, snapshot });
  }

  /** Takes the next revision of `name`, keeping the newest `keep` unpinned ones; returns the new revision. */
  async revision(name: string, keep: number): Promise<VolumeInfo> {
    const result = await this.batch([{ item: name, op: 'revision', volume: name, keep }]);
    const v = result.items[0]?.volume;
    if (!v) throw new EngineError('NO_SUCH_VOLUME', `revision of ${name} is gone`);
    return v;
  }

  /** Pins or unpins a volume (a revision) against rotation. */
  pin(name: string, pinned = true): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'pin', volume: name, pinned });
  }

  /**
   * Sets (or, with null, clears) the delete mark of volume `name`: a catalog transaction, no
   * kernel change, allowed on an active volume. Idempotent (an equal mark changes nothing).
   * Crash: like every transaction, the mark is in the catalog after the commit, or not at all.
   * @throws EngineError NO_SUCH_VOLUME, INVALID_ARGUMENT (a malformed mark)
   */
  markDelete(name: string, mark: DeleteMark | null): Promise<VolumeInfo> {
    return this.single({ item: name, op: 'mark-delete', volume: name, mark });
  }

  /**
   * Activates one volume: `/dev/mapper/tf-<pool>-<volume>`. Idempotent; an active device with a
   * stale size is reloaded. Not a catalog change.
   */
  async activateVolume(name: string): Promise<VolumeInfo> {
    return this.exclusive(async () => {
      const v = this.find(name);
      await ensureDevice(this.core.dm, this.core.block, volumeDevice(this.core, v), volumeUuid(this.core, v), volumeTable(this.core, v), { reloadIfDifferent: true });
      return this.info(v, await this.activeDevices(), null);
    });
  }

  /** Deactivates one volume. Idempotent. @throws EngineError VOLUME_BUSY when it is open. */
  async deactivateVolume(name: string): Promise<VolumeInfo> {
    return this.exclusive(async () => {
      const v = this.find(name);
      await removeDevice(this.core.dm, volumeDevice(this.core, v), `volume ${v.name}`);
      return this.info(v, await this.activeDevices(), null);
    });
  }

  /**
   * Reads `lengthBytes` of volume `name`'s content from `offsetBytes` (see volume-data.ts: both
   * sector-aligned, at most MAX_VOLUME_IO_BYTES). The volume must be active; the read itself
   * runs outside the pool mutex, as a VM's would.
   * @throws EngineError NO_SUCH_VOLUME, VOLUME_INACTIVE, INVALID_ARGUMENT (the range)
   */
  async readVolume(name: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    const path = await this.ioPath(name, offsetBytes, lengthBytes);
    return this.core.block.read(path, offsetBytes, lengthBytes);
  }

  /**
   * Writes `data` into volume `name` at `offsetBytes`, durably once it resolves (see
   * volume-data.ts for the range rules and the crash story). Not a catalog change.
   * @throws EngineError NO_SUCH_VOLUME, VOLUME_INACTIVE, INVALID_ARGUMENT (the range), POOL_FENCED
   */
  async writeVolume(name: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    const path = await this.ioPath(name, offsetBytes, data.length);
    await this.core.block.write(path, offsetBytes, data);
  }

  private ioPath(name: string, offsetBytes: number, lengthBytes: number): Promise<string> {
    return this.mutex.run(async () => {
      this.requireOpen();
      const v = this.find(name);
      checkVolumeRange(v, offsetBytes, lengthBytes);
      const dev = (await this.activeDevices()).get(v.uuid);
      if (dev === undefined) throw volumeInactive(v, this.name);
      return this.core.dm.devicePath(dev.name);
    });
  }

  /** The pool's usage and state from the kernel. */
  async status(): Promise<PoolStatus> {
    return this.mutex.run(async () => {
      this.requireOpen();
      const state = this.core.catalog.state;
      const block = state.pool.layout.dataBlockBytes;
      const active = await this.activeDevices();
      const base = {
        name: this.name,
        uuid: this.uuid,
        dataBlockBytes: block,
        volumes: Object.keys(state.volumes).length,
        activeVolumes: active.size,
        devices: [...this.core.devicePaths],
        maxVolumeBytes: state.pool.maxVolumeBytes,
        noSpaceMode: noSpaceModeOf(state.pool),
        provisionedBytes: poolCapacity(state).provisionedBytes,
      };
      try {
        const s = await this.core.control.status({ noFlush: true });
        return {
          ...base,
          transactionId: String(s.transactionId),
          mode: s.mode,
          needsCheck: s.needsCheck,
          dataTotalBytes: s.totalDataBlocks * block,
          dataUsedBytes: s.usedDataBlocks * block,
          metadataTotalBytes: s.totalMetadataBlocks * METADATA_BLOCK_BYTES,
          metadataUsedBytes: s.usedMetadataBlocks * METADATA_BLOCK_BYTES,
        };
      } catch {
        return {
          ...base,
          transactionId: state.committedTx,
          mode: 'failed' as const,
          needsCheck: true,
          dataTotalBytes: state.pool.layout.dataBlocks * block,
          dataUsedBytes: 0,
          metadataTotalBytes: state.pool.layout.metadata.lengthBytes,
          metadataUsedBytes: 0,
        };
      }
    });
  }

  /**
   * Grows the data region by one extent from `request.devicePath` (pool-extend.ts has the steps
   * and the crash story). Runs under the pool mutex, after any pending recovery.
   * @throws EngineError DEVICE_UNUSABLE naming the device, POOL_INACTIVE
   */
  extend(request: ExtendRequest): Promise<ExtendResult> {
    return this.exclusive(() => extendPoolData(this.core, request));
  }

  /**
   * Sets what writes do once the data space is full, and reloads the thin-pool table with it
   * (error_if_no_space or not). Idempotent. Crash story: the catalog record is written first;
   * a crash before the reload leaves a table without the setting, which the next activation
   * reloads (pool-devices.ts); the kernel applies the feature at the table's resume, without
   * touching data or mappings.
   */
  setNoSpaceMode(mode: NoSpaceMode): Promise<void> {
    return this.exclusive(async () => {
      if (mode !== 'queue' && mode !== 'error') throw new EngineError('INVALID_ARGUMENT', `no-space mode must be queue or error, got ${JSON.stringify(String(mode).slice(0, 16))}`);
      const state = this.core.catalog.state;
      if (noSpaceModeOf(state.pool) !== mode) await this.core.catalog.append({ t: 'pool-settings', noSpaceMode: mode });
      await ensurePoolDevices(this.core.dm, this.core.block, this.core.catalog.state.pool, this.core.devicePaths);
      this.core.logger.info({ noSpaceMode: mode }, 'pool no-space mode set');
    });
  }

  private async reconcileNow(): Promise<ReconcileReport> {
    const summary = await this.readUsage();
    const state = this.core.catalog.state;
    const known = new Set(Object.values(state.volumes).map((v) => v.thinId));
    const unknownToCatalog = [...summary.devices.values()]
      .filter((d) => !known.has(d.thinId))
      .map((d) => ({ thinId: d.thinId, mappedBytes: d.mappedBlocks * state.pool.layout.dataBlockBytes }));
    const missingInKernel = Object.values(state.volumes)
      .filter((v) => !summary.devices.has(v.thinId))
      .map((v) => ({ name: v.name, uuid: v.uuid, thinId: v.thinId }))
      .sort((a, b) => a.thinId - b.thinId);
    return {
      kernelTx: String(summary.transactionId),
      catalogTx: state.committedTx,
      unknownToCatalog,
      missingInKernel,
      consistent: unknownToCatalog.length === 0 && missingInKernel.length === 0 && String(summary.transactionId) === state.committedTx,
    };
  }

  /**
   * Compares the kernel's thin ids (from a metadata snapshot) with the catalog's volumes.
   * Changes nothing.
   */
  async reconcile(): Promise<ReconcileReport> {
    return this.exclusive(() => this.reconcileNow());
  }

  /**
   * Fixes what reconcile reports, as one transaction: deletes kernel thin ids no volume names
   * (their data is lost) and drops volumes whose thin id the kernel lacks. Returns the report
   * it acted on.
   */
  async repair(): Promise<ReconcileReport> {
    return this.exclusive(async () => {
      const report = await this.reconcileNow();
      const ops: PlannedOp[] = [
        ...report.unknownToCatalog.map((u): PlannedOp => ({ kind: 'purge', thinId: u.thinId })),
        ...report.missingInKernel.map((m): PlannedOp => ({ kind: 'forget', uuid: m.uuid })),
      ];
      if (ops.length === 0) return report;
      const active = await this.activeDevices();
      const deactivate = report.missingInKernel.filter((m) => active.has(m.uuid)).map((m) => ({ uuid: m.uuid, item: m.name }));
      await this.requireNotOpen(deactivate);
      await this.execute({ ops, itemVolumes: [], suspend: [], deactivate, activate: [], reload: [] });
      this.core.logger.warn({ purged: report.unknownToCatalog.length, forgotten: report.missingInKernel.length }, 'repaired pool');
      return report;
    });
  }

  /**
   * Deactivates the pool: every volume device, then the pool's own devices. Refuses, changing
   * nothing, when any volume is open. Idempotent on the kernel side; the Pool object is closed.
   */
  async deactivate(): Promise<void> {
    await this.mutex.run(async () => {
      if (this.closed) return;
      const prefix = poolDevicePrefix(this.name);
      const own = new Set(Object.values(this.core.names));
      const infos = [];
      for (const d of await this.core.dm.list()) {
        if (!d.name.startsWith(prefix) || own.has(d.name)) continue;
        const info = await infoOrNull(this.core.dm, d.name);
        if (info) infos.push(info);
      }
      const open = infos.filter((d) => d.openCount > 0);
      if (open.length > 0) {
        throw new EngineError('VOLUME_BUSY', `pool ${this.name}: ${open.length} volume(s) are open: ${open.map((d) => d.name).join(', ')}`);
      }
      await this.core.catalog.flush();
      for (const d of infos) await removeDevice(this.core.dm, d.name, `volume device ${d.name}`);
      await removePoolDevices(this.core.dm, this.name);
      this.closed = true;
      this.core.logger.info('pool deactivated');
    });
  }
}
