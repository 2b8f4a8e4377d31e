/**
 * Device snapshots: a pool protects a block device it does not own (a raw LUN, a base image
 * device, a loop device) with a classic `snapshot` whose exception store (COW) is a thin volume
 * of the pool (thin provisioning makes a store as large as the device cheap, so by default it
 * cannot overflow). The device snapshot's name is its store volume's; the volume's catalog
 * record (`VolumeRecord.deviceSnapshot`) holds the device's identity (path, size, label), the
 * chunk size and the creation time, so it travels with the pool. Devices: snapshot-stack.ts.
 * While a snapshot exists, users write the device THROUGH its origin device (`originDevicePath`);
 * writes to the device's own path bypass the store and would show in the snapshot.
 *
 * Crash story of create (`create`): (1) the store volume is created with its record in one
 * catalog transaction (a crash before: nothing; after: the record exists without devices);
 * (2) the snapshot device, then the origin device are loaded. The pool's next activation (or
 * agent start: `restore`) loads whatever is missing, so a crash after (1) leaves a device
 * snapshot whose point in time is when its devices were first loaded.
 * Crash story of delete (`delete`): (1) the store volume gets a `drop` job mark (the point of no
 * return: from here on the device may be written without the store following it, so the
 * snapshot must never be loaded again); (2) the snapshot device is removed; (3) the origin device
 * gets a plain linear table while it is open, or is removed; (4) the store volume is deleted
 * (engine delete, crash-safe). `restore` finishes a delete it finds marked, at any step.
 * A merge (merge-job.ts) marks the store volume with a `merge` job mark before it touches a
 * device; `restore` leaves such a snapshot to the merge job, which reloads `snapshot-merge`.
 * Every step checks first that the recorded path still names the recorded device (size, label:
 * device-identity.ts) and refuses with DEVICE_MISMATCH otherwise, changing nothing.
 */
import { formatDevNumber, type BlockClient, type DmClient } from '@thinfleet/devmapper';
import {
  checkVolumeName,
  EngineError,
  exceptionStoreBytes,
  isSnapshotChunkSectors,
  MAX_DEVICE_PATH_BYTES,
  quoted,
  type DeviceSnapshotRecord,
  type Pool,
  type VolumeInfo,
} from '@thinfleet/engine';
import type { Logger } from 'pino';
import { AgentError, badRequest } from '../agent-error.js';
import { checkDevicePath } from '../device-attachments.js';
import { newJobId } from '../jobs/job-record.js';
import { requireSameDevice, type IdentityReader } from './device-identity.js';
import { deviceInfo, liveTableType, loadSnapshotStack, releaseOrigin, removeIfPresent, stackNames, type StackNames, type StackSpec } from './snapshot-stack.js';

/** The job mark kind of a device snapshot being deleted (catalog only: no job runs it; `restore` finishes it). */
export const DROP_MARK_KIND = 'drop';
/** The job mark kind of a merging device snapshot (merge-job.ts). */
export const MERGE_JOB_KIND = 'merge';
/** The default exception chunk: 4 KiB (8 sectors), LVM's. */
export const DEFAULT_SNAPSHOT_CHUNK_SECTORS = 8;

/** One device snapshot as `list` reports it. */
export interface DeviceSnapshotView {
  readonly name: string;
  /** The store volume's catalog uuid. */
  readonly cowUuid: string;
  /** The store volume's size in bytes. */
  readonly cowSizeBytes: number;
  readonly record: DeviceSnapshotRecord;
  /** `active`, `merging` (a merge job marks the store), `deleting` (a delete was cut short). */
  readonly state: 'active' | 'merging' | 'deleting';
  /** The merge job's id while merging, else null. */
  readonly jobId: string | null;
  /** The device to write through (`/dev/mapper/...-_dsorigin`) while loaded, else null. */
  readonly originDevicePath: string | null;
  /** The snapshot's content (`/dev/mapper/...-_dssnap`) while loaded, else null. */
  readonly snapshotDevicePath: string | null;
  /** The kernel's status line of the snapshot (or merge) device, '' when none is loaded. */
  readonly status: string;
}

/** What `create` asks. */
export interface CreateDeviceSnapshotRequest {
  readonly pool: string;
  readonly name: string;
  /** The protected block device: an absolute path. */
  readonly device: string;
  /** The exception store's size in bytes (default: `exceptionStoreBytes` of the device: it cannot overflow). */
  readonly sizeBytes?: number;
  /** Exception chunk in 512-byte sectors (default 8). */
  readonly chunkSectors?: number;
}

export interface DeviceSnapshotsOptions {
  readonly engine: { pool(name: string): Pool };
  readonly dm: DmClient;
  readonly block: BlockClient;
  readonly readIdentity: IdentityReader;
  readonly logger: Logger;
  /** Refuses a path that is a device of a pool of this host (HostPools.requireUnclaimed); none by default. */
  readonly requireUnclaimed?: (field: string, path: string) => Promise<void>;
  /** The clock for records (ms since the epoch). */
  readonly now?: () => number;
}

/** The tables' spec of the snapshot recorded on `v`, whose store device is `cowDevice`. Pure. */
export function stackSpec(record: DeviceSnapshotRecord, cowDevice: string): StackSpec {
  return { device: record.device.path, sectors: Math.floor(record.device.sizeBytes / 512), cowDevice, chunkSectors: record.chunkSectors };
}

/** The device snapshot `name` of `pool` (its store volume). @throws EngineError NO_SUCH_VOLUME */
export async function findDeviceSnapshot(pool: Pool, name: string): Promise<VolumeInfo & { deviceSnapshot: DeviceSnapshotRecord }> {
  const v = (await pool.list()).find((x) => x.name === name);
  if (v === undefined || v.deviceSnapshot === null) throw new EngineError('NO_SUCH_VOLUME', `no device snapshot ${quoted(name)} in pool ${pool.name}`);
  return v as VolumeInfo & { deviceSnapshot: DeviceSnapshotRecord };
}

/** Activates the store volume and returns its device path. */
export async function activeStore(pool: Pool, name: string): Promise<string> {
  const path = (await pool.activateVolume(name)).devicePath;
  if (path === null) throw new EngineError('KERNEL_FAILED', `device snapshot ${quoted(name)}: its exception store has no device after activation`);
  return path;
}

/**
 * Checks a device path from a request: device-attachments.ts's checks, and at most the
 * catalog's MAX_DEVICE_PATH_BYTES. Pure.
 * @throws AgentError BAD_REQUEST naming `field`
 */
export function checkSnapshotDevicePath(field: string, path: unknown): string {
  const checked = checkDevicePath(field, path);
  if (Buffer.byteLength(checked) > MAX_DEVICE_PATH_BYTES) throw badRequest(field, `must be at most ${MAX_DEVICE_PATH_BYTES} bytes`);
  return checked;
}

export class DeviceSnapshots {
  private readonly now: () => number;

  constructor(private readonly options: DeviceSnapshotsOptions) {
    this.now = options.now ?? Date.now;
  }

  private pool(name: string): Pool {
    const pool = this.options.engine.pool(name);
    if (!pool.isActive) throw new EngineError('POOL_INACTIVE', `pool ${name} is not active`);
    return pool;
  }

  /**
   * Makes device snapshot `request.name` of `request.device` in pool `request.pool` (see the
   * module comment for the steps and their crash story) and returns it. Checks first, changing
   * nothing when one fails: the name, the path (absolute, bounded, a block device, not a
   * thinfleet device nor a pool's, not protected by another device snapshot of this host), the chunk and
   * store sizes.
   * @throws AgentError BAD_REQUEST (field name, device, size_bytes, chunk_sectors), NO_SUCH_DEVICE,
   *   DEVICE_IN_USE; EngineError as Pool.createVolume (NAME_EXISTS, INVALID_SIZE, ...)
   */
  async create(request: CreateDeviceSnapshotRequest): Promise<DeviceSnapshotView> {
    const pool = this.pool(request.pool);
    const name = checkVolumeName(pool.name, request.name, undefined, 'name');
    const names = stackNames(pool.name, name);
    if (Buffer.byteLength(names.origin) > 127) throw badRequest('name', `${quoted(name)} makes a device-mapper name over 127 bytes`);
    const path = checkSnapshotDevicePath('device', request.device);
    const chunkSectors = request.chunkSectors ?? DEFAULT_SNAPSHOT_CHUNK_SECTORS;
    if (!isSnapshotChunkSectors(chunkSectors)) throw badRequest('chunk_sectors', 'must be a power of two from 8 (4 KiB) to 4194304 (2 GiB) sectors');
    const identity = await this.options.readIdentity(path);
    await this.requireUnclaimed(path);
    const sizeBytes = request.sizeBytes ?? exceptionStoreBytes(identity.sizeBytes, chunkSectors);
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 3 * chunkSectors * 512) throw badRequest('size_bytes', `must be at least three chunks (${3 * chunkSectors * 512} bytes)`);
    const record: DeviceSnapshotRecord = { device: identity, chunkSectors, store: 'P', createdAtMs: this.now() };
    const v = await pool.createVolume(name, sizeBytes, { activate: true, deviceSnapshot: record });
    await loadSnapshotStack(this.options.dm, names, stackSpec(record, v.devicePath!));
    this.options.logger.info({ pool: pool.name, name, device: path, label: identity.label }, 'device snapshot created');
    return this.view(pool, await findDeviceSnapshot(pool, name));
  }

  /** The device snapshots of active pool `poolName`, by name. Reads only. */
  async list(poolName: string): Promise<DeviceSnapshotView[]> {
    const pool = this.pool(poolName);
    const views: DeviceSnapshotView[] = [];
    for (const v of await pool.list()) {
      if (v.deviceSnapshot !== null) views.push(await this.view(pool, v as VolumeInfo & { deviceSnapshot: DeviceSnapshotRecord }));
    }
    return views;
  }

  /**
   * Drops device snapshot `name` (the device keeps its current content): see the module
   * comment for the steps and their crash story. Refused while a merge runs on it, and while
   * its snapshot device is open, changing nothing. Idempotent up to NO_SUCH_VOLUME.
   * @throws EngineError NO_SUCH_VOLUME, VOLUME_BUSY, DEVICE_MISMATCH; AgentError JOB_RUNNING
   */
  async delete(poolName: string, name: string): Promise<{ originKept: boolean }> {
    const pool = this.pool(poolName);
    const v = await findDeviceSnapshot(pool, name);
    if (v.job !== null && v.job.kind !== DROP_MARK_KIND) {
      throw new AgentError('JOB_RUNNING', `device snapshot ${quoted(name)} is being merged by job ${v.job.jobId}: a started merge cannot be undone`);
    }
    const names = stackNames(pool.name, name);
    const snap = await deviceInfo(this.options.dm, names.snap);
    if (snap !== null && snap.openCount > 0)
      throw new EngineError('VOLUME_BUSY', `device snapshot ${quoted(name)}: its snapshot device is open (${snap.openCount} opener(s)); close it first`);
    if (v.job === null) await requireSameDevice(this.options.readIdentity, v.deviceSnapshot.device, `device snapshot ${quoted(name)}`);
    if (v.job === null)
      await pool.markJob(name, { kind: DROP_MARK_KIND, jobId: newJobId(), doneBytes: 0, chunkBytes: v.deviceSnapshot.chunkSectors * 512, createdMs: this.now(), phase: DROP_MARK_KIND });
    return this.finishDrop(pool, v, names);
  }

  /** Steps (2) to (4) of a delete, each idempotent. */
  private async finishDrop(pool: Pool, v: VolumeInfo & { deviceSnapshot: DeviceSnapshotRecord }, names: StackNames): Promise<{ originKept: boolean }> {
    await removeIfPresent(this.options.dm, names.snap);
    const origin = await releaseOrigin(this.options.dm, names, stackSpec(v.deviceSnapshot, ''));
    await pool.deleteVolume(v.name);
    this.options.logger.info({ pool: pool.name, name: v.name, origin }, 'device snapshot deleted');
    return { originKept: origin === 'kept' };
  }

  /**
   * After pool `poolName` became active on this host (or at start): brings back every device
   * snapshot of the pool whose devices are missing, after checking its device's identity (a
   * mismatch is logged and the snapshot left unloaded), finishes deletes a crash cut short, and
   * leaves merging ones to their job. Never rejects: each problem is logged.
   */
  async restore(poolName: string): Promise<void> {
    let pool: Pool;
    let volumes: VolumeInfo[];
    try {
      pool = this.pool(poolName);
      volumes = await pool.list();
    } catch (err) {
      this.options.logger.error({ pool: poolName, err }, 'device snapshots not restored: the pool cannot be read');
      return;
    }
    for (const v of volumes) {
      if (v.deviceSnapshot === null || v.job?.kind === MERGE_JOB_KIND) continue;
      const ds = v as VolumeInfo & { deviceSnapshot: DeviceSnapshotRecord };
      const names = stackNames(pool.name, v.name);
      try {
        if (v.job?.kind === DROP_MARK_KIND) {
          await this.finishDrop(pool, ds, names);
          continue;
        }
        if ((await liveTableType(this.options.dm, names.snap)) === 'snapshot' && (await liveTableType(this.options.dm, names.origin)) === 'snapshot-origin') continue;
        await requireSameDevice(this.options.readIdentity, ds.deviceSnapshot.device, `device snapshot ${quoted(v.name)}`);
        await loadSnapshotStack(this.options.dm, names, stackSpec(ds.deviceSnapshot, await activeStore(pool, v.name)));
        this.options.logger.info({ pool: pool.name, name: v.name }, 'device snapshot loaded');
      } catch (err) {
        this.options.logger.error({ pool: pool.name, name: v.name, err }, 'device snapshot not loaded');
      }
    }
  }

  /** Refuses a thinfleet device, a device of a pool of this host, and a device another device snapshot of this host protects. */
  private async requireUnclaimed(path: string): Promise<void> {
    const dm = this.options.dm;
    const inUse = (why: string): never => {
      throw new AgentError('DEVICE_IN_USE', `device: ${quoted(path)} ${why}`, { field: 'device' });
    };
    if (path.startsWith('/dev/mapper/tf-')) inUse('is a device of a thinfleet pool');
    await this.options.requireUnclaimed?.('device', path);
    const dev = formatDevNumber(await this.options.block.deviceNumber(path));
    for (const d of await dm.list()) {
      if (!d.name.startsWith('tf-')) continue;
      if (formatDevNumber(d.dev) === dev) inUse(`is thinfleet device ${d.name}`);
      if (!d.name.endsWith('-_dsorigin')) continue;
      const deps = await dm.deps(d.name).catch(() => []);
      if (deps.some((x) => formatDevNumber(x) === dev)) inUse(`is already protected by device snapshot device ${d.name}`);
    }
  }

  private async view(pool: Pool, v: VolumeInfo & { deviceSnapshot: DeviceSnapshotRecord }): Promise<DeviceSnapshotView> {
    const dm = this.options.dm;
    const names = stackNames(pool.name, v.name);
    const origin = await deviceInfo(dm, names.origin);
    const snap = await deviceInfo(dm, names.snap);
    const merging = v.job?.kind === MERGE_JOB_KIND;
    const statusOf = snap ?? (merging ? origin : null);
    const status = statusOf === null ? '' : ((await dm.status(statusOf.name))[0]?.params ?? '');
    return {
      name: v.name,
      cowUuid: v.uuid,
      cowSizeBytes: v.sizeBytes,
      record: v.deviceSnapshot,
      state: merging ? 'merging' : v.job?.kind === DROP_MARK_KIND ? 'deleting' : 'active',
      jobId: merging ? v.job.jobId : null,
      originDevicePath: origin === null ? null : dm.devicePath(names.origin),
      snapshotDevicePath: snap === null ? null : dm.devicePath(names.snap),
      status,
    };
  }
}
