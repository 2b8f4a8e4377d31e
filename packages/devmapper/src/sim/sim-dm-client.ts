/**
 * DmClient over the simulated kernel: the DM ioctls with the kernel's semantics and errnos.
 * Every mutation is saved before the call returns (see SimKernel for what persists where).
 */
import type * as api from '../dm-client.js';
import { DmError } from '../dm-error.js';
import { fencePoolByCalls } from '../fencing/fence-by-calls.js';
import type { PoolFenceOptions, PoolFencePlan, PoolFenceReport } from '../fencing/pool-fence-plan.js';
import { summariseSimSnapshot } from '../thin-metadata/sim-metadata-summary.js';
import type { ThinMetadataSummary } from '../thin-metadata/thin-metadata-summary.js';
import { checkMappingRange, noSuchThin, runsOfMapping, type ThinMappingRun } from '../thin-metadata/thin-mapping-runs.js';
import { SIM_DM_MAJOR, type SimDevice, type SimTable } from './sim-devices.js';
import type { SimKernel } from './sim-kernel.js';
import { readSimMetadataSnapshot, type SimMetadataSnapshot } from './sim-pool-state.js';
import type { SimTarget } from './sim-targets.js';

const DM_NAME_MAX_BYTES = 127;

/** The kernel's presuspend of a device's live targets (a merge stops after its current step). */
async function presuspend(d: SimDevice): Promise<void> {
  for (const t of d.live?.targets ?? []) await t.presuspend?.();
}

/**
 * The kernel's dm_table_resume_targets for the snapshot targets: every preresume first (one
 * refusal fails the resume, EINVAL, and the device stays suspended), then every resume hook.
 */
function resumeTargets(name: string, targets: readonly SimTarget[]): void {
  try {
    for (const t of targets) t.preresume?.();
  } catch (err) {
    throw err instanceof DmError ? new DmError(err.code, 'DM_DEV_SUSPEND', name, err.message, { cause: err }) : err;
  }
  for (const t of targets) t.resume?.();
}
const DM_UUID_MAX_BYTES = 128;

export class SimDmClient implements api.DmClient {
  readonly kind = 'sim' as const;

  constructor(readonly kernel: SimKernel) {}

  async version(): Promise<api.DmVersion> {
    return { major: 4, minor: 47, patch: 0 };
  }

  async targetVersions(): Promise<api.DmTargetVersion[]> {
    return [
      { name: 'thin', version: [1, 22, 0] },
      { name: 'thin-pool', version: [1, 22, 0] },
      { name: 'zero', version: [1, 2, 0] },
      { name: 'error', version: [1, 6, 0] },
      { name: 'linear', version: [1, 4, 0] },
      { name: 'snapshot-merge', version: [1, 5, 0] },
      { name: 'snapshot-origin', version: [1, 9, 0] },
      { name: 'snapshot', version: [1, 16, 0] },
      { name: 'mirror', version: [1, 14, 0] },
    ];
  }

  async list(): Promise<api.DmDeviceSummary[]> {
    return [...this.kernel.devices.values()].map((d) => ({ name: d.name, dev: { major: SIM_DM_MAJOR, minor: d.minor } })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async create(name: string, options: api.DmCreateOptions = {}): Promise<api.DmDeviceInfo> {
    const k = this.kernel;
    if (name === '' || name === '.' || name === '..' || name.includes('/') || Buffer.byteLength(name) > DM_NAME_MAX_BYTES) {
      throw new DmError('EINVAL', 'DM_DEV_CREATE', name, 'invalid device name');
    }
    const uuid = options.uuid ?? '';
    if (Buffer.byteLength(uuid) > DM_UUID_MAX_BYTES) throw new DmError('EINVAL', 'DM_DEV_CREATE', name, 'uuid too long');
    if (k.devices.has(name)) throw new DmError('EBUSY', 'DM_DEV_CREATE', name, 'device already exists');
    if (uuid !== '' && [...k.devices.values()].some((d) => d.uuid === uuid)) {
      throw new DmError('EBUSY', 'DM_DEV_CREATE', name, 'uuid already in use');
    }
    let minor = 0;
    while (k.deviceByMinor(minor) !== undefined) minor++;
    const device: SimDevice = {
      name,
      uuid,
      minor,
      live: null,
      inactive: null,
      suspended: false,
      eventNr: 0,
      deferredRemove: false,
      holds: 0,
    };
    k.devices.set(name, device);
    k.save();
    return this.infoOf(device);
  }

  async remove(name: string, options: api.DmRemoveOptions = {}): Promise<void> {
    const k = this.kernel;
    const d = k.device(name, 'DM_DEV_REMOVE');
    if (k.openCount(this.dev(d)) > 0) {
      if (!options.deferred) throw new DmError('EBUSY', 'DM_DEV_REMOVE', name, 'device is open');
      d.deferredRemove = true;
      k.save();
      return;
    }
    k.devices.delete(name);
    k.collect();
    k.save();
    k.wakeResumed(name);
  }

  async rename(name: string, newName: string): Promise<api.DmDeviceInfo> {
    const k = this.kernel;
    const d = k.device(name, 'DM_DEV_RENAME');
    if (newName === '' || newName === '.' || newName === '..' || newName.includes('/') || Buffer.byteLength(newName) > DM_NAME_MAX_BYTES) {
      throw new DmError('EINVAL', 'DM_DEV_RENAME', name, 'invalid device name');
    }
    if (k.devices.has(newName)) throw new DmError('EBUSY', 'DM_DEV_RENAME', name, 'a device of the new name exists');
    k.devices.delete(name);
    (d as { name: string }).name = newName;
    k.devices.set(newName, d);
    k.save();
    return this.infoOf(d);
  }

  async suspend(name: string, _options: api.DmSuspendOptions = {}): Promise<api.DmDeviceInfo> {
    const d = this.kernel.device(name, 'DM_DEV_SUSPEND');
    if (!d.suspended) await presuspend(d);
    d.suspended = true;
    this.kernel.save();
    return this.infoOf(d);
  }

  async resume(name: string): Promise<api.DmDeviceInfo> {
    const k = this.kernel;
    const d = k.device(name, 'DM_DEV_SUSPEND');
    if (d.inactive !== null) {
      // As do_resume: suspend, swap the tables, then resume, which runs each target's preresume;
      // the old table goes only after that (a snapshot table hands its store over first).
      if (!d.suspended) await presuspend(d);
      d.suspended = true;
      d.live = d.inactive;
      d.inactive = null;
      try {
        resumeTargets(name, d.live.targets);
      } finally {
        k.collect();
        k.save();
      }
      for (const t of d.live.targets) {
        if (t.type === 'thin-pool') {
          try {
            t.pool.bind(t.features, t.lowWaterMarkBlocks);
            await t.pool.resizeData(t.lengthSectors);
          } catch (err) {
            throw err instanceof DmError ? new DmError(err.code, 'DM_DEV_SUSPEND', name, err.message, { cause: err }) : err;
          }
        }
      }
    } else if (d.suspended && d.live !== null) resumeTargets(name, d.live.targets);
    d.suspended = false;
    k.save();
    k.wakeResumed(name);
    return this.infoOf(d);
  }

  async load(name: string, targets: readonly api.DmTargetLine[], options: api.DmLoadOptions = {}): Promise<api.DmDeviceInfo> {
    const k = this.kernel;
    const d = k.device(name, 'DM_TABLE_LOAD');
    if (targets.length === 0) throw new DmError('EINVAL', 'DM_TABLE_LOAD', name, 'empty table');
    d.inactive = await k.buildTable(name, targets, options.readOnly ?? false);
    k.collect();
    k.save();
    return this.infoOf(d);
  }

  async clear(name: string): Promise<api.DmDeviceInfo> {
    const k = this.kernel;
    const d = k.device(name, 'DM_TABLE_CLEAR');
    d.inactive = null;
    k.collect();
    k.save();
    return this.infoOf(d);
  }

  async info(name: string): Promise<api.DmDeviceInfo> {
    return this.infoOf(this.kernel.device(name, 'DM_DEV_STATUS'));
  }

  async table(name: string, options: api.DmQueryOptions = {}): Promise<api.DmTargetLine[]> {
    const t = this.pick(this.kernel.device(name, 'DM_TABLE_STATUS'), options);
    return (t?.targets ?? []).map((x) => ({ startSector: x.startSector, lengthSectors: x.lengthSectors, type: x.type, params: x.tableText() }));
  }

  async status(name: string, options: api.DmStatusOptions = {}): Promise<api.DmTargetLine[]> {
    const t = this.pick(this.kernel.device(name, 'DM_TABLE_STATUS'), options);
    return (t?.targets ?? []).map((x) => ({
      startSector: x.startSector,
      lengthSectors: x.lengthSectors,
      type: x.type,
      params: x.statusText(this.kernel),
    }));
  }

  async deps(name: string, options: api.DmQueryOptions = {}): Promise<api.DevNumber[]> {
    const t = this.pick(this.kernel.device(name, 'DM_TABLE_DEPS'), options);
    const keys = [...new Set((t?.targets ?? []).flatMap((x) => x.deps))];
    return keys.map((key) => {
      const [major, minor] = key.split(':').map(Number);
      return { major: major!, minor: minor! };
    });
  }

  async message(name: string, sector: number, text: string): Promise<string> {
    const k = this.kernel;
    const d = k.device(name, 'DM_TARGET_MSG');
    const target = d.live?.targets.find((t) => sector >= t.startSector && sector < t.startSector + t.lengthSectors);
    if (d.live === null) throw new DmError('EINVAL', 'DM_TARGET_MSG', name, 'device has no live table');
    if (target === undefined) throw new DmError('EINVAL', 'DM_TARGET_MSG', name, 'message sector outside device');
    if (target.type !== 'thin-pool') throw new DmError('EINVAL', 'DM_TARGET_MSG', name, 'target type does not support messages');
    const words = text
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '');
    try {
      return await target.pool.message(words, (id) => k.thinOpen(target.pool, id));
    } catch (err) {
      throw err instanceof DmError ? new DmError(err.code, 'DM_TARGET_MSG', name, err.message, { cause: err }) : err;
    }
  }

  async waitEvent(name: string, eventNr: number): Promise<api.DmDeviceInfo> {
    const d = this.kernel.device(name, 'DM_DEV_WAIT');
    while (d.eventNr === eventNr && this.kernel.devices.get(name) === d) await this.kernel.waitForEvent(name);
    return this.infoOf(d);
  }

  /** The simulator resolves /dev/mapper paths by name, so a known device always has its node. */
  async ensureNode(name: string): Promise<void> {
    await this.info(name);
  }

  devicePath(name: string): string {
    return `/dev/mapper/${name}`;
  }

  /**
   * The simulator's own metadata format (see DmClient.readMetadataSnapshot): the held snapshot
   * stored on the metadata device, refused with EAGAIN unless it is the one `heldRoot` names.
   */
  async readMetadataSnapshot(snapshot: api.HeldMetadataSnapshot): Promise<ThinMetadataSummary> {
    return summariseSimSnapshot(await this.readHeld(snapshot));
  }

  /** The held snapshot's mappings of one thin id, from the simulator's format (see DmClient.readThinMappings). */
  async readThinMappings(held: api.HeldMetadataSnapshot, thinId: number, fromBlock: number, blockCount: number): Promise<ThinMappingRun[]> {
    checkMappingRange(thinId, fromBlock, blockCount);
    const mapping = (await this.readHeld(held)).devices.get(thinId);
    if (mapping === undefined) throw noSuchThin(held.poolName, thinId);
    return runsOfMapping(mapping, fromBlock, blockCount);
  }

  /** The simulator's snapshot stored on the metadata device, if it is the one `heldRoot` names. */
  private async readHeld(snapshot: api.HeldMetadataSnapshot): Promise<SimMetadataSnapshot> {
    const stored = await readSimMetadataSnapshot({
      sizeBytes: snapshot.metadataSizeBytes,
      read: (offsetBytes, lengthBytes) => snapshot.read(offsetBytes, lengthBytes),
      write: async () => {
        throw new DmError('EROFS', 'write', snapshot.metadataDevicePath, 'metadata snapshots are read-only');
      },
    });
    if (stored === null || stored.root !== snapshot.heldRoot) {
      throw new DmError('EAGAIN', 'thin metadata', snapshot.poolName, `held root ${snapshot.heldRoot} is not on ${snapshot.metadataDevicePath}`);
    }
    return stored;
  }

  /** The steps of pool-fence-plan.ts on this client's own calls (fence-by-calls.ts). */
  async fencePool(plan: PoolFencePlan, options: PoolFenceOptions = {}): Promise<PoolFenceReport> {
    return fencePoolByCalls(this, plan, options);
  }

  /**
   * Sim only: holds the device open as a VM or a mount would, so remove fails EBUSY until
   * `releaseOpen`. Not part of DmClient.
   */
  holdOpen(name: string): void {
    this.kernel.device(name, 'open').holds += 1;
    this.kernel.save();
  }

  /** Sim only: drops a hold taken by holdOpen; a pending deferred remove then completes. */
  releaseOpen(name: string): void {
    const d = this.kernel.device(name, 'close');
    d.holds = Math.max(0, d.holds - 1);
    this.kernel.collect();
    this.kernel.save();
  }

  private dev(d: SimDevice): api.DevNumber {
    return { major: SIM_DM_MAJOR, minor: d.minor };
  }

  private pick(d: SimDevice, options: api.DmQueryOptions): SimTable | null {
    return options.inactive ? d.inactive : d.live;
  }

  private infoOf(d: SimDevice): api.DmDeviceInfo {
    const live = d.live;
    return {
      name: d.name,
      uuid: d.uuid,
      dev: this.dev(d),
      openCount: this.kernel.openCount(this.dev(d)),
      eventNr: d.eventNr,
      targetCount: live?.targets.length ?? 0,
      suspended: d.suspended,
      readOnly: live?.readOnly ?? false,
      liveTable: live !== null,
      inactiveTable: d.inactive !== null,
      deferredRemove: d.deferredRemove,
    };
  }
}
