/**
 * The engine on one host: makes pools on block devices, finds them again from their labels,
 * activates (with recovery) and deactivates them, destroys them.
 *
 * Pool creation, step by step, and what a crash at each step leaves:
 * 1. the first 4 KiB of the kernel metadata region are zeroed (the kernel formats fresh
 *    metadata over a zero superblock): nothing refers to it yet;
 * 2. the catalog is formatted on device 0: unreachable without a label;
 * 3. labels are written on devices n-1 .. 1: discover reports them as members of an incomplete
 *    pool; `createPool` with `force` reuses them;
 * 4. device 0's label is written: from here the pool exists and `activatePool` finds it;
 * 5. the pool's devices are made and the kernel formats its metadata; a crash here leaves a
 *    pool that the next activation completes.
 * Destroy wipes device 0's label first (the pool is gone at once), then the others.
 */
import { randomUUID } from 'node:crypto';
import { CatalogStore, checkCatalogWriter, isCatalogError, readLabel, wipeLabel, writeLabel, type CatalogWriter, type PoolLabel } from '@thinfleet/catalog';
import { type BlockClient, type DmClient } from '@thinfleet/devmapper';
import { formatBytes } from '@thinfleet/units';
import { pino, type Logger } from 'pino';
import { blockCatalogDevice } from './block-catalog-device.js';
import { initialCatalogState, reduceCatalog, type CatalogRecord, type CatalogState, type NoSpaceMode, type PoolRecord } from './catalog-state.js';
import { EngineError } from './engine-error.js';
import { computeLayout, DEFAULT_MAX_VOLUME_BYTES } from './layout.js';
import { checkPoolName } from './names.js';
import { Pool } from './pool.js';
import { makePoolCore, type PoolCatalog } from './pool-core.js';
import { ensurePoolDevices } from './pool-devices.js';
import { discardPoolDevices, fencePoolDevices, poolDeviceState, type PoolDeviceState, type PoolDiscardReport, type PoolFenceReport } from './pool-fence.js';
import { warnClusterMove } from './pool-writer.js';
import { gatedBlock, gatedDm, WriteGate } from './write-gate.js';
import { isList } from './is-list.js';

export interface EngineOptions {
  readonly dm: DmClient;
  readonly block: BlockClient;
  readonly logger?: Logger;
  /** Longest time origins stay suspended for one batch's snapshots (default 30 s). */
  readonly snapshotDeadlineMs?: number;
  /** Clock for creation times (tests). */
  readonly now?: () => number;
  /** Uuid source (tests). */
  readonly newUuid?: () => string;
  /** Checkpoint the catalog after this many journal records (default: the catalog's). */
  readonly catalogCheckpointEveryRecords?: number;
  /**
   * The block device for external origin `path` of pool `pool` (the agent attaches regular
   * files to loop devices; volumes keep naming the file). Must be synchronous and cheap; the
   * default returns `path`.
   */
  readonly resolveExternalOrigin?: (pool: string, path: string) => string;
}

export interface CreatePoolRequest {
  readonly name: string;
  /** Block devices, device 0 first; it holds the label, catalog and kernel metadata. */
  readonly devices: readonly string[];
  /** Data block size (default 64 KiB): a multiple of 64 KiB up to 1 GiB. */
  readonly dataBlockBytes?: number;
  /** Kernel metadata size; computed from the data size when absent. */
  readonly metadataBytes?: number;
  readonly catalogSlotBytes?: number;
  readonly catalogJournalBytes?: number;
  /** The largest volume the pool accepts (default 1 PiB). */
  readonly maxVolumeBytes?: number;
  /** Overwrite devices that carry a thinfleet label. */
  readonly force?: boolean;
  /** What writes do once the data space is full (default queue, the kernel's). */
  readonly noSpaceMode?: NoSpaceMode;
}

/** A pool found on devices by its labels. */
export interface DiscoveredPool {
  readonly uuid: string;
  readonly name: string;
  /** Device paths by device index; null where no given device has that index. */
  readonly devices: ReadonlyArray<string | null>;
  /** True when every device is present and device 0 carries the catalog. */
  readonly complete: boolean;
  /** Why an incomplete pool cannot be activated. */
  readonly problems: readonly string[];
}

const silent = pino({ level: 'silent' });

export class Engine {
  private readonly active = new Map<string, Pool>();
  /** The write gate of each pool's current activation or creation (write-gate.ts). */
  private readonly gates = new Map<string, WriteGate>();
  /** Counts fences; `fencedAt` has each pool's last one, so an activation that began before it never opens. */
  private fenceSeq = 0;
  private readonly fencedAt = new Map<string, number>();
  /** Each pool's catalog writer (setPoolWriter); absent: standalone, token 0. */
  private readonly writers = new Map<string, CatalogWriter>();
  readonly logger: Logger;

  constructor(private readonly options: EngineOptions) {
    this.logger = options.logger ?? silent;
  }

  private catalogOptions(devicePath: string, label: PoolLabel, gate: WriteGate) {
    if (label.catalog === null) throw new EngineError('POOL_INCOMPLETE', `${devicePath} is not device 0 of its pool`);
    return {
      device: blockCatalogDevice(gatedBlock(this.options.block, gate), devicePath, { keepOpen: true }),
      layout: label.catalog,
      reduce: reduceCatalog,
      ...this.checkpointOption(),
      ...this.writerOption(label.poolName),
    };
  }

  private writerOption(pool: string): { writer?: CatalogWriter } {
    const writer = this.writers.get(pool);
    return writer === undefined ? {} : { writer };
  }

  /**
   * Sets who writes pool `name`'s catalog (pool-writer.ts): the grant token this host holds it
   * under, the node id and the cluster id of the lock space that granted it (each at most 64 UTF-8
   * bytes), or null for standalone (token 0). Used by the pool's next activation or creation, whose
   * load then refuses a newer token of the same cluster id (SPLIT_BRAIN) and warns of a pool last
   * written under another cluster id, and
   * at once by the active pool's later appends. Idempotent.
   * @throws RangeError for a malformed writer; EngineError STALE_OWNER when the active pool's
   *   catalog has seen a newer token (nothing changed)
   */
  setPoolWriter(name: string, writer: CatalogWriter | null): void {
    if (writer !== null) checkCatalogWriter(writer);
    const active = this.active.get(name);
    if (active?.isActive) active.setWriter(writer ?? { token: 0n, nodeId: '' });
    if (writer === null) this.writers.delete(name);
    else this.writers.set(name, writer);
  }

  private checkpointOption(): { checkpointEveryRecords?: number } {
    const n = this.options.catalogCheckpointEveryRecords;
    return n === undefined ? {} : { checkpointEveryRecords: n };
  }

  /**
   * A new write gate for pool `name`, replacing the last one; closed at once when the pool was
   * fenced after `startedAt` (the fence count when the activation or creation began).
   */
  private openGate(name: string, startedAt: number): WriteGate {
    const gate = new WriteGate(name);
    if ((this.fencedAt.get(name) ?? -1) >= startedAt) gate.close('the pool was fenced while it was being brought up');
    this.gates.set(name, gate);
    return gate;
  }

  private makePool(catalog: PoolCatalog, devicePaths: readonly string[], gate: WriteGate): Pool {
    return new Pool(
      makePoolCore({
        dm: gatedDm(this.options.dm, gate),
        block: gatedBlock(this.options.block, gate),
        logger: this.logger.child({ pool: catalog.state.pool.name }),
        catalog,
        // Its own copy: pool extend appends to it.
        devicePaths: [...devicePaths],
        snapshotDeadlineMs: this.options.snapshotDeadlineMs ?? 30_000,
        now: this.options.now ?? Date.now,
        newUuid: this.options.newUuid ?? randomUUID,
        resolveOrigin: (path) => this.options.resolveExternalOrigin?.(catalog.state.pool.name, path) ?? path,
      }),
    );
  }

  /** Active pools on this host, by name. */
  pools(): Pool[] {
    return [...this.active.values()].filter((p) => p.isActive);
  }

  /** The active pool called `name`. @throws EngineError NO_SUCH_POOL */
  pool(name: string): Pool {
    const p = this.active.get(name);
    if (!p?.isActive) throw new EngineError('NO_SUCH_POOL', `pool ${name} is not active on this host`);
    return p;
  }

  /**
   * Makes a pool on `devices` and activates it. See the module comment for the crash story.
   * @throws EngineError INVALID_NAME, INVALID_ARGUMENT, NAME_EXISTS, DEVICE_UNUSABLE (a
   *   labelled device without `force`, a device too small); nothing is written then.
   */
  async createPool(request: CreatePoolRequest): Promise<Pool> {
    const startedAt = this.fenceSeq;
    const name = checkPoolName(request.name);
    if (this.active.get(name)?.isActive) throw new EngineError('NAME_EXISTS', `pool ${name} is already active on this host`);
    const gate = this.openGate(name, startedAt);
    const block = gatedBlock(this.options.block, gate);
    if (!isList(request.devices) || request.devices.length === 0) throw new EngineError('INVALID_ARGUMENT', 'a pool needs at least one device', { argument: 'devices' });
    if (new Set(request.devices).size !== request.devices.length) throw new EngineError('INVALID_ARGUMENT', 'a device is named twice', { argument: 'devices' });
    const sizes: number[] = [];
    for (const path of request.devices) {
      try {
        await block.deviceNumber(path);
        sizes.push(await block.sizeBytes(path));
      } catch (err) {
        throw new EngineError('DEVICE_UNUSABLE', `${path} is not a block device`, { cause: err });
      }
      const existing = await readLabel(blockCatalogDevice(block, path)).catch((err: unknown) => ({ unreadable: err }));
      if (existing !== null && !request.force) {
        const what = 'unreadable' in existing ? 'a damaged thinfleet label' : `the label of pool ${existing.poolName} (device ${existing.deviceIndex})`;
        throw new EngineError('DEVICE_UNUSABLE', `${path} carries ${what}; use --force (the request's force) to overwrite it`);
      }
    }
    const maxVolumeBytes = request.maxVolumeBytes ?? DEFAULT_MAX_VOLUME_BYTES;
    if (!Number.isSafeInteger(maxVolumeBytes) || maxVolumeBytes <= 0)
      throw new EngineError('INVALID_SIZE', `maxVolumeBytes ${maxVolumeBytes} must be a positive whole number`, { argument: 'maxVolumeBytes' });
    const layout = computeLayout({
      deviceSizesBytes: sizes,
      dataBlockBytes: request.dataBlockBytes,
      metadataBytes: request.metadataBytes,
      catalogSlotBytes: request.catalogSlotBytes,
      catalogJournalBytes: request.catalogJournalBytes,
    });
    const uuid = (this.options.newUuid ?? randomUUID)();
    const createdAtMs = (this.options.now ?? Date.now)();
    const pool: PoolRecord = {
      uuid,
      name,
      createdAtMs,
      layout,
      deviceSizesBytes: sizes,
      maxVolumeBytes,
      lowWaterMarkBlocks: Math.floor(layout.dataBlocks / 20),
      ...(request.noSpaceMode === 'error' ? { noSpaceMode: 'error' as const } : {}),
    };
    const device0 = request.devices[0]!;
    await block.write(device0, layout.metadata.offsetBytes, Buffer.alloc(4096));
    const catalog: PoolCatalog = await CatalogStore.create<CatalogState, CatalogRecord>(
      { device: blockCatalogDevice(block, device0, { keepOpen: true }), layout: layout.catalog, reduce: reduceCatalog, ...this.checkpointOption(), ...this.writerOption(name) },
      initialCatalogState(pool),
    );
    const label = (deviceIndex: number): PoolLabel => ({
      formatVersion: 1,
      poolUuid: uuid,
      poolName: name,
      deviceIndex,
      deviceCount: request.devices.length,
      deviceSizeBytes: sizes[deviceIndex]!,
      createdAtMs,
      catalog: deviceIndex === 0 ? layout.catalog : null,
    });
    // Labels go on last device first, so device 0's (which names the catalog) is written last.
    try {
      for (const [i, path] of [...request.devices.entries()].reverse()) await writeLabel(blockCatalogDevice(block, path), label(i));
    } catch (err) {
      await catalog.close().catch(() => undefined);
      throw err;
    }
    this.logger.info({ pool: name, uuid, devices: request.devices, dataBlocks: layout.dataBlocks }, 'pool created');
    return this.activateWith(catalog, request.devices, gate);
  }

  /**
   * Reads the labels of `devicePaths` and groups them into pools. Devices without a label are
   * skipped; a damaged label is reported as a problem of an unnamed pool.
   */
  async discover(devicePaths: readonly string[]): Promise<DiscoveredPool[]> {
    const byPool = new Map<string, { name: string; count: number; devices: Array<string | null>; problems: string[]; hasCatalog: boolean }>();
    for (const path of devicePaths) {
      let label: PoolLabel | null;
      try {
        label = await readLabel(blockCatalogDevice(this.options.block, path));
      } catch (err) {
        byPool.set(`damaged:${path}`, { name: '', count: 1, devices: [path], problems: [`${path}: ${(err as Error).message}`], hasCatalog: false });
        continue;
      }
      if (label === null) continue;
      let entry = byPool.get(label.poolUuid);
      if (!entry) {
        entry = { name: label.poolName, count: label.deviceCount, devices: new Array<string | null>(label.deviceCount).fill(null), problems: [], hasCatalog: false };
        byPool.set(label.poolUuid, entry);
      }
      // A pool extend labels its new device with the larger count before it rewrites the
      // others' labels (pool-extend.ts): the largest count seen is the pool's.
      while (entry.devices.length < label.deviceCount) entry.devices.push(null);
      entry.count = Math.max(entry.count, label.deviceCount);
      if (entry.devices[label.deviceIndex] != null) entry.problems.push(`device ${label.deviceIndex} appears twice: ${entry.devices[label.deviceIndex]} and ${path}`);
      entry.devices[label.deviceIndex] = path;
      if (label.deviceIndex === 0) entry.hasCatalog = label.catalog !== null;
      const size = await this.options.block.sizeBytes(path);
      if (size < label.deviceSizeBytes) entry.problems.push(`${path} has ${formatBytes(size)}, the pool was made with ${formatBytes(label.deviceSizeBytes)}`);
    }
    return [...byPool].map(([uuid, e]) => {
      const problems = [...e.problems];
      e.devices.forEach((d, i) => {
        if (d === null) problems.push(`device ${i} of ${e.count} is missing${i === 0 ? ' (it holds the catalog; if pool creation was interrupted, create again with force)' : ''}`);
      });
      if (e.devices[0] != null && !e.hasCatalog) problems.push('device 0 has no catalog');
      return { uuid: uuid.startsWith('damaged:') ? '' : uuid, name: e.name, devices: e.devices, complete: problems.length === 0, problems };
    });
  }

  /**
   * Finds pool `nameOrUuid` on `devicePaths` and activates it: creates or adopts its devices,
   * resumes devices a crash left suspended, resolves an interrupted transaction (recovery.ts).
   * Idempotent: an active pool is returned as it is. The catalog's writer tokens are checked
   * first (catalog-format.md, "Writers"): evidence that two holders wrote the pool refuses it
   * before any device changes.
   * @throws EngineError NO_SUCH_POOL, POOL_INCOMPLETE, DEVICE_MISMATCH, RECOVERY_REFUSED, SPLIT_BRAIN
   */
  async activatePool(nameOrUuid: string, devicePaths: readonly string[]): Promise<Pool> {
    const startedAt = this.fenceSeq;
    const already = this.active.get(nameOrUuid) ?? [...this.active.values()].find((p) => p.uuid === nameOrUuid);
    if (already?.isActive) return already;
    const found = (await this.discover(devicePaths)).filter((p) => p.name === nameOrUuid || p.uuid === nameOrUuid);
    if (found.length === 0) throw new EngineError('NO_SUCH_POOL', `no pool ${nameOrUuid} on ${devicePaths.join(', ') || 'no devices'}`);
    if (found.length > 1) throw new EngineError('NAME_EXISTS', `${found.length} pools are called ${nameOrUuid} on these devices; name one by uuid`);
    const pool = found[0]!;
    if (!pool.complete) throw new EngineError('POOL_INCOMPLETE', `pool ${nameOrUuid}: ${pool.problems.join('; ')}`);
    const paths = pool.devices as string[];
    const label = await readLabel(blockCatalogDevice(this.options.block, paths[0]!));
    const gate = this.openGate(pool.name, startedAt);
    const catalog: PoolCatalog = await CatalogStore.open<CatalogState, CatalogRecord>(this.catalogOptions(paths[0]!, label!, gate)).catch((err: unknown) => {
      if (isCatalogError(err, 'SPLIT_BRAIN')) throw new EngineError('SPLIT_BRAIN', `pool ${pool.name} is not served: ${err.message}`, { cause: err });
      throw err;
    });
    if (catalog.loadReport.lostNewerRecords) {
      // A folded transaction leaves the kernel's transaction id alone, so the id cannot show a
      // catalog that lost committed records: refuse here, before anything is written.
      await catalog.close().catch(() => undefined);
      throw new EngineError(
        'RECOVERY_REFUSED',
        `pool ${pool.name}: the catalog's newest checkpoint is lost and the records committed after it with it (the state found is older); run reconcile on a copy and repair by hand`,
      );
    }
    warnClusterMove(this.logger, pool.name, catalog, this.writers.get(pool.name));
    return this.activateWith(catalog, paths, gate);
  }

  private async activateWith(catalog: PoolCatalog, devicePaths: readonly string[], gate: WriteGate): Promise<Pool> {
    try {
      return await this.activateCatalog(catalog, devicePaths, gate);
    } catch (err) {
      // The catalog's kept write descriptor goes with the Pool that will not serve.
      await catalog.close().catch(() => undefined);
      throw err;
    }
  }

  private async activateCatalog(catalog: PoolCatalog, devicePaths: readonly string[], gate: WriteGate): Promise<Pool> {
    const name = catalog.state.pool.name;
    if (this.active.get(name)?.isActive) throw new EngineError('NAME_EXISTS', `another pool called ${name} is active on this host`);
    // The catalog is the truth about which devices carry data: a device an extend added whose
    // label rewrite a crash cut short is not in every label's count, but the layout names it.
    const missing = catalog.state.pool.layout.data.find((e) => devicePaths[e.deviceIndex] === undefined);
    if (missing !== undefined) {
      throw new EngineError('POOL_INCOMPLETE', `pool ${name}: device ${missing.deviceIndex} holds part of its data (added by pool extend) and is missing; name every device with --device`);
    }
    await ensurePoolDevices(gatedDm(this.options.dm, gate), this.options.block, catalog.state.pool, devicePaths);
    const pool = this.makePool(catalog, devicePaths, gate);
    const report = await pool.recover();
    // A fence that came while this activation ran closed its gate: the Pool never serves.
    gate.check('activation');
    this.active.set(name, pool);
    this.logger.info({ pool: name, recovery: report.outcome, tx: report.kernelTx }, 'pool active');
    return pool;
  }

  /**
   * Destroys an active pool: deactivates it, then wipes device 0's label (the pool is gone)
   * and the other labels. Refuses while it has volumes, unless `force`, and while any volume
   * is open.
   */
  async destroyPool(name: string, options: { force?: boolean } = {}): Promise<void> {
    const pool = this.pool(name);
    const count = pool.volumeCount;
    if (count > 0 && !options.force) throw new EngineError('VOLUME_BUSY', `pool ${name} has ${count} volume(s); use --force (the request's force) to destroy them with it`);
    const gate = this.gates.get(name);
    const block = gate === undefined ? this.options.block : gatedBlock(this.options.block, gate);
    // Every device must still carry this pool's label before anything changes: a refused
    // destroy leaves the pool as it was (active).
    for (const [i, path] of pool.devicePaths.entries()) {
      const label = await readLabel(blockCatalogDevice(block, path)).catch((err: unknown) => {
        throw new EngineError('DEVICE_MISMATCH', `pool ${name}: device ${i} (${path}) cannot be read: ${(err as Error).message}; nothing was changed`, { cause: err });
      });
      if (label?.poolUuid !== pool.uuid || label.deviceIndex !== i) {
        throw new EngineError('DEVICE_MISMATCH', `pool ${name}: device ${i} (${path}) no longer carries this pool's label; nothing was changed`);
      }
    }
    await pool.deactivate();
    for (const path of pool.devicePaths) await wipeLabel(blockCatalogDevice(block, path));
    this.active.delete(name);
    this.logger.info({ pool: name }, 'pool destroyed');
  }

  /**
   * Fences pool `name` on this host at once (pool-fence.ts): closes its write gate, so the
   * active Pool object (or an activation or creation in progress) can no longer change the
   * kernel or the devices; forgets that Pool (calls on it fail POOL_INACTIVE) without writing
   * its catalog; then suspends its volume devices and swaps its metadata and data devices to
   * error tables. Does not wait for the pool's mutex or anything in flight. Works without a
   * Pool object (after a restart: the devices are found by name). Idempotent.
   * Crash story: the kernel keeps the fence across a crash of this process; a crash before the
   * swaps leaves devices `poolDeviceState` reports as live, which the restarted agent fences.
   * @throws the error of the metadata or data device swap: the pool may still be writable
   */
  async fencePool(name: string, options: { volumeSuspendWaitMs?: number } = {}): Promise<PoolFenceReport> {
    this.fencedAt.set(name, this.fenceSeq++);
    this.gates.get(name)?.close('the cluster lock was lost');
    const pool = this.active.get(name);
    if (pool !== undefined) {
      pool.markFenced();
      this.active.delete(name);
    }
    const report = await fencePoolDevices(this.options.dm, name, { logger: this.logger.child({ pool: name }), ...options });
    this.logger.warn({ pool: name, ...report }, 'pool fenced');
    return report;
  }

  /**
   * Removes the devices a fence left of pool `name` (pool-fence.ts) so that the pool can be
   * activated afresh, reading everything from its devices. Nothing reaches the shared devices:
   * queued volume I/O fails. A pool still live on this host is fenced first.
   * Precondition: the pool is not active in this engine (fence it first). Idempotent.
   * @throws EngineError VOLUME_ACTIVE when the pool is active in this engine
   */
  async discardFencedPool(name: string): Promise<PoolDiscardReport> {
    if (this.active.get(name)?.isActive) {
      throw new EngineError('VOLUME_ACTIVE', `pool ${name} is active on this host: fence it before discarding its devices`);
    }
    this.gates.get(name)?.close('its devices are being discarded');
    const report = await discardPoolDevices(this.options.dm, name, { logger: this.logger.child({ pool: name }) });
    this.logger.warn({ pool: name, ...report }, 'fenced pool devices discarded');
    return report;
  }

  /** Where pool `name`'s devices stand in this host's kernel (pool-fence.ts). Changes nothing. */
  poolDeviceState(name: string): Promise<PoolDeviceState> {
    return poolDeviceState(this.options.dm, name);
  }

  /** Deactivates every active pool (stopping the agent). */
  async deactivateAll(): Promise<void> {
    for (const p of this.pools()) await p.deactivate();
  }
}
