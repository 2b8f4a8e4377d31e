/**
 * An active pool on this host: its volumes, batches, and their lifecycle.
 *
 * Every change runs under the pool's mutex as one transaction (pool-transaction.ts has the
 * steps; docs/engine.md, "The transaction protocol"; docs/architecture.md follows one snapshot
 * through it). A transaction that failed after its deletes began leaves the pool needing
 * recovery (recovery.ts), which runs before its next change. A crash anywhere is recovered at
 * the next activation by the same rules.
 *
 * The pool's shared parts (PoolCore: clients, catalog, device names) stay inside the engine:
 * callers outside it use the methods and getters here.
 */
import type { BatchItem } from './batch-item.js';
import { poolCapacity, type PoolCapacity } from './capacity.js';
import { jobOwnerToken, noSpaceModeOf, volumeNamesAfter, type DeleteMark, type JobMark, type NoSpaceMode, type VolumeRecord } from './catalog-state.js';
import { writerClusterId, type CatalogWriter } from '@thinfleet/catalog';
import { checkMarkOwner, setCatalogWriter } from './pool-writer.js';
import { ensureDevice, removeDevice } from './device-tables.js';
import { EngineError } from './engine-error.js';
import { Mutex } from './mutex.js';
import { externalOriginProblem } from './origin-check.js';
import { runBatch, type BatchResult } from './pool-batch.js';
import { PoolDataCalls } from './pool-data-calls.js';
import { liveVolumeUuid, volumeByName, volumeDevice, volumeTable, type PoolCore } from './pool-core.js';
import { ensurePoolDevices, removePoolDevices } from './pool-devices.js';
import { extendPoolData, type ExtendRequest, type ExtendResult } from './pool-extend.js';
import { readPoolUsage, reconcileReport, releaseStaleMetadataSnapshot, repairPool, type ReconcileReport } from './pool-reconcile.js';
import { readPoolStatus, type PoolStatus } from './pool-status.js';
import { activeVolumeDevices, adoptActiveVolumes, describeVolume, resumeSuspendedDevices, volumeBusy, volumeDeviceInfos, volumeOpenCount } from './pool-volume-devices.js';
import { quoted } from '@thinfleet/units';
import { recoverPending, type RecoveryReport } from './recovery.js';
import { removeLeftoverHelperDevices } from './pool-flatten.js';
import type { VolumeInfo } from './volume-info.js';

export type { BatchResult } from './pool-batch.js';
export type { PoolStatus } from './pool-status.js';
export type { ReconcileReport } from './pool-reconcile.js';
export type { FlattenChunkResult } from './pool-flatten.js';
export type { CopyByteRange, CopyWindowRead } from './pool-copy-reader.js';

/** Set once by Pool's static block: reads a Pool's core (see poolCore). */
let coreOf: (pool: Pool) => PoolCore;

export class Pool extends PoolDataCalls {
  private readonly mutex = new Mutex();
  /** Set when a transaction failed after its deletes began: recover before the next change. */
  private needsRecovery = false;
  private closed = false;
  /** What the last recovery did (at activation, or after a failed transaction). */
  lastRecovery: RecoveryReport | null = null;

  static {
    coreOf = (pool) => pool.core;
  }

  /** Use Engine.activatePool or Engine.createPool. */
  constructor(protected override readonly core: PoolCore) {
    super();
  }

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
   * The pool's block devices, by device index (as given at creation or activation, plus those
   * extend added). The same array the pool uses: it grows when the pool is extended.
   */
  get devicePaths(): readonly string[] {
    return this.core.devicePaths;
  }

  /** Who the pool's catalog appends are written by: the grant token and node id (token 0 on a standalone pool). */
  get writer(): CatalogWriter {
    return this.core.catalog.writer;
  }

  /** The newest grant token of this pool's lock space that wrote job `jobId`'s delete mark (0 when none). Committed state. */
  jobOwnerToken(jobId: string): bigint {
    return jobOwnerToken(this.core.catalog.state, jobId, writerClusterId(this.core.catalog.writer));
  }

  /** Engine.setPoolWriter's work on an active pool. @throws EngineError STALE_OWNER */
  setWriter(writer: CatalogWriter): void {
    setCatalogWriter(this.core, writer);
  }

  protected markOwner(name: string, mark: DeleteMark | JobMark | null): Promise<{ readonly token: string; readonly clusterId: string } | null> {
    return checkMarkOwner(this.core, name, mark);
  }

  /** How many volumes the catalog holds (committed state). Reads nothing else. */
  get volumeCount(): number {
    return Object.keys(this.core.catalog.state.volumes).length;
  }

  /**
   * The external origins the pool's volumes name (as the catalog records them: a regular file
   * or a block device path), each once. Committed state; reads nothing else.
   */
  externalOriginsInUse(): ReadonlySet<string> {
    const used = new Set<string>();
    for (const v of Object.values(this.core.catalog.state.volumes)) if (v.externalOrigin !== null) used.add(v.externalOrigin);
    return used;
  }

  /**
   * Writes the catalog's staged commit records now (they are otherwise written with the next
   * change, or at deactivation). Does not wait for the pool's mutex; changes no volume.
   * Idempotent. Crash: a staged commit not yet written is rolled forward by recovery at the
   * next activation, so flushing only saves that work.
   */
  flushCatalog(): Promise<void> {
    return this.core.catalog.flush();
  }

  /**
   * How many openers (mounts, VMs, other devices' tables) hold the device of volume `name`; 0
   * when the volume has no device (inactive). Reads the kernel only, not under the pool's mutex,
   * and does not check that the catalog has the volume.
   */
  volumeOpenCount(name: string): Promise<number> {
    return volumeOpenCount(this.core, name);
  }

  /**
   * Refuses when the device of volume `name` is open, with the error a delete of an open
   * volume gets. Changes nothing; an inactive volume is never open. The answer holds only until
   * someone opens the device: callers that act on it must expect a later VOLUME_BUSY too.
   * @throws EngineError VOLUME_BUSY
   */
  async requireVolumeNotOpen(name: string): Promise<void> {
    const openCount = await this.volumeOpenCount(name);
    if (openCount > 0) throw volumeBusy(name, openCount);
  }

  /**
   * Closes this Pool object without touching the kernel or the catalog: the host was fenced off
   * the pool (Engine.fencePool), another host may own its devices, so nothing may be flushed or
   * removed in its name. Calls that start later fail POOL_INACTIVE; a call running now finishes
   * against the closed write gate (its kernel and device writes fail POOL_FENCED).
   */
  markFenced(): void {
    this.closed = true;
    // Its catalog writes nothing more (the gate is closed): release the kept descriptor once
    // what is queued has settled. Not awaited: a fence waits for nothing in flight.
    void this.core.catalog.close().catch(() => undefined);
  }

  protected override requireOpen(): void {
    if (this.closed) throw new EngineError('POOL_INACTIVE', `pool ${this.name} is not active`);
  }

  /** Runs `fn` under the pool mutex, on an open pool (reads: no recovery first). */
  protected override underMutex<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.requireOpen();
      return fn();
    });
  }

  /** Runs `fn` under the pool mutex, after any pending recovery. */
  protected override exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.requireOpen();
      if (this.needsRecovery || this.core.catalog.state.pending !== null) {
        this.lastRecovery = await recoverPending(this.core);
        this.needsRecovery = false;
      }
      return fn();
    });
  }

  /** Runs start-up recovery: resumes suspended devices, resolves a pending intent, removes helper devices (flatten, live move) a crash left, adopts active volumes. */
  async recover(): Promise<RecoveryReport> {
    return this.mutex.run(async () => {
      this.requireOpen();
      await resumeSuspendedDevices(this.core);
      await releaseStaleMetadataSnapshot(this.core);
      this.lastRecovery = await recoverPending(this.core);
      this.needsRecovery = false;
      await removeLeftoverHelperDevices(this.core);
      await adoptActiveVolumes(this.core);
      return this.lastRecovery;
    });
  }

  private readonly markNeedsRecovery = (): void => {
    this.needsRecovery = true;
  };

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
   * Applies `items` all-or-nothing as one transaction (pool-batch.ts). A bad item rejects the
   * whole batch before anything is touched (EngineError with `item`).
   */
  override async batch(items: readonly BatchItem[]): Promise<BatchResult> {
    return this.exclusive(() => runBatch(this.core, items, this.markNeedsRecovery));
  }

  /** Provisioned bytes (sum of volume sizes) and data bytes, from the catalog. Reads nothing else. */
  capacity(): PoolCapacity {
    return poolCapacity(this.core.catalog.state);
  }

  protected override find(name: string): VolumeRecord {
    const v = typeof name === 'string' ? volumeByName(this.core, name) : undefined;
    if (!v) throw new EngineError('NO_SUCH_VOLUME', `no volume ${quoted(name)} in pool ${this.name}`);
    return v;
  }

  /**
   * The volumes in name order (code-unit order), every one by default. With `afterName` and
   * `limit`, one keyset page: at most `limit` volumes, the first named after `afterName`; it
   * costs the page (a binary search in the catalog index's sorted names), not the pool, so a
   * caller that pages with the last name it got sees every volume unchanged meanwhile exactly
   * once. With `usage`, mapped/exclusive/shared bytes from one metadata read (of the whole pool).
   * Reads only; runs under the pool's mutex.
   */
  async list(options: { usage?: boolean; afterName?: string | null; limit?: number } = {}): Promise<VolumeInfo[]> {
    return this.mutex.run(async () => {
      this.requireOpen();
      const active = await activeVolumeDevices(this.core);
      const usage = options.usage ? await readPoolUsage(this.core) : null;
      const state = this.core.catalog.state;
      const names = volumeNamesAfter(state, options.afterName ?? null, options.limit ?? Number.MAX_SAFE_INTEGER);
      return names.map((name) => describeVolume(this.core, volumeByName(this.core, name)!, active, usage));
    });
  }

  /**
   * One volume, with its usage (a metadata read) unless `usage` is false; costs the volume and a
   * device list, not the pool. Reads only; runs under the pool's mutex.
   * @throws EngineError NO_SUCH_VOLUME
   */
  async show(name: string, options: { usage?: boolean } = {}): Promise<VolumeInfo> {
    return this.mutex.run(async () => {
      this.requireOpen();
      const v = this.find(name);
      return describeVolume(this.core, v, await activeVolumeDevices(this.core), options.usage === false ? null : await readPoolUsage(this.core));
    });
  }

  /**
   * Activates one volume: `/dev/mapper/tf-<pool>-<volume>`. Idempotent; an active device with a
   * stale size is reloaded. Not a catalog change.
   */
  async activateVolume(name: string): Promise<VolumeInfo> {
    return this.exclusive(async () => {
      const v = this.find(name);
      const device = volumeDevice(this.core, v);
      await ensureDevice(this.core.dm, this.core.block, device, await liveVolumeUuid(this.core, v, device), volumeTable(this.core, v), { reloadIfDifferent: true });
      return describeVolume(this.core, v, await activeVolumeDevices(this.core), null);
    });
  }

  /** Deactivates one volume. Idempotent. @throws EngineError VOLUME_BUSY when it is open. */
  async deactivateVolume(name: string): Promise<VolumeInfo> {
    return this.exclusive(async () => {
      const v = this.find(name);
      await removeDevice(this.core.dm, volumeDevice(this.core, v), `volume ${v.name}`);
      return describeVolume(this.core, v, await activeVolumeDevices(this.core), null);
    });
  }

  /**
   * Engine-internal (volume-move.ts): runs `fn` under the pool's mutex, after any pending
   * recovery, with the pool's core and a `batch` that applies items as one transaction inside
   * that mutex (Pool.batch would wait for it).
   */
  withCore<T>(fn: (core: PoolCore, batch: (items: readonly BatchItem[]) => Promise<BatchResult>) => Promise<T>): Promise<T> {
    return this.exclusive(() => fn(this.core, (items) => runBatch(this.core, items, this.markNeedsRecovery)));
  }

  /** The pool's usage and state from the kernel. */
  async status(): Promise<PoolStatus> {
    return this.mutex.run(async () => {
      this.requireOpen();
      return readPoolStatus(this.core, (await activeVolumeDevices(this.core)).size);
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

  /**
   * Compares the kernel's thin ids (from a metadata snapshot) with the catalog's volumes.
   * Changes nothing.
   */
  async reconcile(): Promise<ReconcileReport> {
    return this.exclusive(() => reconcileReport(this.core));
  }

  /**
   * Fixes what reconcile reports, as one transaction: deletes kernel thin ids no volume names
   * (their data is lost) and drops volumes whose thin id the kernel lacks. Returns the report
   * it acted on.
   */
  async repair(): Promise<ReconcileReport> {
    return this.exclusive(() => repairPool(this.core, this.markNeedsRecovery));
  }

  /**
   * Deactivates the pool: every volume device, then the pool's own devices. Refuses, changing
   * nothing, when any volume is open. Idempotent on the kernel side; the Pool object is closed.
   */
  async deactivate(): Promise<void> {
    await this.mutex.run(async () => {
      if (this.closed) return;
      const infos = await volumeDeviceInfos(this.core);
      const open = infos.filter((d) => d.openCount > 0);
      if (open.length > 0) {
        throw new EngineError('VOLUME_BUSY', `pool ${this.name}: ${open.length} volume(s) are open: ${open.map((d) => d.name).join(', ')}`);
      }
      await this.core.catalog.flush();
      for (const d of infos) await removeDevice(this.core.dm, d.name, `volume device ${d.name}`);
      await removePoolDevices(this.core.dm, this.name);
      this.closed = true;
      await this.core.catalog.close();
      this.core.logger.info('pool deactivated');
    });
  }
}

/**
 * Engine-internal: the shared parts of `pool` (clients, catalog, device names). Not exported by
 * @thinfleet/engine; engine modules and the engine's own tests use it. Code outside the engine
 * asks the Pool instead.
 */
export function poolCore(pool: Pool): PoolCore {
  return coreOf(pool);
}
