/**
 * DmClient over the kernel, through @thinfleet/dm-native's ioctls. Holds no state. Since there
 * is no udev in the VMs thinfleet tests in (and udev may be slow or absent on hosts), it makes
 * and removes the /dev/mapper/NAME node itself; where udev also makes it, both agree.
 */
import * as native from '@thinfleet/dm-native';
import type * as api from '../dm-client.js';
import { THIN_METADATA_BLOCK_BYTES } from '../thin-metadata/metadata-block-reader.js';
import { readThinMetadata } from '../thin-metadata/read-thin-metadata.js';
import { readThinMappingRuns } from '../thin-metadata/read-thin-mappings.js';
import { checkMappingRange, type ThinMappingRun } from '../thin-metadata/thin-mapping-runs.js';
import type { ThinMetadataSummary } from '../thin-metadata/thin-metadata-summary.js';
import { callNative } from './native-error.js';
import { DEFAULT_VOLUME_SUSPEND_WAIT_MS, type PoolFenceOptions, type PoolFencePlan, type PoolFenceReport } from '../fencing/pool-fence-plan.js';

type NativeInfo = Awaited<ReturnType<typeof native.dmInfo>>;

function toInfo(i: NativeInfo): api.DmDeviceInfo {
  return {
    name: i.name,
    uuid: i.uuid,
    dev: { major: i.major, minor: i.minor },
    openCount: i.openCount,
    eventNr: i.eventNr,
    targetCount: i.targetCount,
    suspended: i.suspended,
    readOnly: i.readOnly,
    liveTable: i.liveTable,
    inactiveTable: i.inactiveTable,
    deferredRemove: i.deferredRemove,
  };
}

/** dm-native's fence report as devmapper's (failedVolumes only when there are any). */
export function toPoolFenceReport(r: native.DmFenceReport): PoolFenceReport {
  const report = { suspendedVolumes: r.suspendedVolumes, erroredDevices: r.erroredDevices, slowVolumes: r.slowVolumes };
  return r.failedVolumes.length === 0 ? report : { ...report, failedVolumes: r.failedVolumes };
}

export class NativeDmClient implements api.DmClient {
  readonly kind = 'native' as const;

  async version(): Promise<api.DmVersion> {
    return callNative('DM_VERSION', undefined, () => native.dmVersion());
  }

  async targetVersions(): Promise<api.DmTargetVersion[]> {
    const list = await callNative('DM_LIST_VERSIONS', undefined, () => native.dmListTargetVersions());
    return list.map((t) => ({ name: t.name, version: [t.version[0], t.version[1], t.version[2]] as const }));
  }

  async list(): Promise<api.DmDeviceSummary[]> {
    const list = await callNative('DM_LIST_DEVICES', undefined, () => native.dmListDevices());
    return list.map((d) => ({ name: d.name, dev: { major: d.major, minor: d.minor } })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async create(name: string, options: api.DmCreateOptions = {}): Promise<api.DmDeviceInfo> {
    const info = toInfo(await callNative('DM_DEV_CREATE', name, () => native.dmCreate(name, options.uuid ?? null)));
    try {
      await callNative('mknod', this.devicePath(name), () => native.mknodBlock(this.devicePath(name), info.dev.major, info.dev.minor));
    } catch (err) {
      // Without its node the device is unusable: take it away again rather than leave half a create.
      await callNative('DM_DEV_REMOVE', name, () => native.dmRemove(name, {})).catch(() => undefined);
      throw err;
    }
    return info;
  }

  async remove(name: string, options: api.DmRemoveOptions = {}): Promise<void> {
    await callNative('DM_DEV_REMOVE', name, () => native.dmRemove(name, { deferred: options.deferred ?? false }));
    const stillThere = await callNative('DM_DEV_STATUS', name, () => native.dmInfo(name)).then(
      () => true,
      () => false,
    );
    if (!stillThere) await callNative('unlink', this.devicePath(name), () => native.unlinkNode(this.devicePath(name)));
  }

  async rename(name: string, newName: string): Promise<api.DmDeviceInfo> {
    await callNative('DM_DEV_RENAME', name, () => native.dmRename(name, newName));
    // The kernel's answer to DM_DEV_RENAME still carries the old name: ask again under the new one.
    const info = await this.info(newName);
    await callNative('unlink', this.devicePath(name), () => native.unlinkNode(this.devicePath(name))).catch(() => undefined);
    await callNative('mknod', this.devicePath(newName), () => native.mknodBlock(this.devicePath(newName), info.dev.major, info.dev.minor));
    return info;
  }

  async suspend(name: string, options: api.DmSuspendOptions = {}): Promise<api.DmDeviceInfo> {
    return toInfo(await callNative('DM_DEV_SUSPEND', name, () => native.dmSuspend(name, { noFlush: options.noFlush ?? false, skipLockfs: options.skipLockfs ?? false })));
  }

  async resume(name: string): Promise<api.DmDeviceInfo> {
    return toInfo(await callNative('DM_DEV_SUSPEND', name, () => native.dmResume(name)));
  }

  async load(name: string, targets: readonly api.DmTargetLine[], options: api.DmLoadOptions = {}): Promise<api.DmDeviceInfo> {
    return toInfo(
      await callNative('DM_TABLE_LOAD', name, () =>
        native.dmLoadTable(
          name,
          targets.map((t) => ({ ...t })),
          { readOnly: options.readOnly ?? false },
        ),
      ),
    );
  }

  async clear(name: string): Promise<api.DmDeviceInfo> {
    return toInfo(await callNative('DM_TABLE_CLEAR', name, () => native.dmClearTable(name)));
  }

  async info(name: string): Promise<api.DmDeviceInfo> {
    return toInfo(await callNative('DM_DEV_STATUS', name, () => native.dmInfo(name)));
  }

  async table(name: string, options: api.DmQueryOptions = {}): Promise<api.DmTargetLine[]> {
    const r = await callNative('DM_TABLE_STATUS', name, () => native.dmTable(name, { inactive: options.inactive ?? false }));
    return r.targets.map((t) => ({ ...t }));
  }

  async status(name: string, options: api.DmStatusOptions = {}): Promise<api.DmTargetLine[]> {
    const r = await callNative('DM_TABLE_STATUS', name, () => native.dmStatus(name, { inactive: options.inactive ?? false, noFlush: options.noFlush ?? false }));
    return r.targets.map((t) => ({ ...t }));
  }

  async deps(name: string, options: api.DmQueryOptions = {}): Promise<api.DevNumber[]> {
    const r = await callNative('DM_TABLE_DEPS', name, () => native.dmDeps(name, { inactive: options.inactive ?? false }));
    return r.devices.map((d) => ({ major: d.major, minor: d.minor }));
  }

  async message(name: string, sector: number, text: string): Promise<string> {
    return callNative('DM_TARGET_MSG', name, () => native.dmMessage(name, sector, text));
  }

  async waitEvent(name: string, eventNr: number): Promise<api.DmDeviceInfo> {
    return toInfo(await callNative('DM_DEV_WAIT', name, () => native.dmWaitEvent(name, eventNr)));
  }

  async ensureNode(name: string): Promise<void> {
    const info = await this.info(name);
    await callNative('mknod', this.devicePath(name), () => native.mknodBlock(this.devicePath(name), info.dev.major, info.dev.minor));
  }

  devicePath(name: string): string {
    return `/dev/mapper/${name}`;
  }

  /** dm-native's dmFencePool: the whole fence on the addon's own fence thread (DmClient.fencePool). */
  async fencePool(plan: PoolFencePlan, options: PoolFenceOptions = {}): Promise<PoolFenceReport> {
    const r = await callNative('fencePool', plan.metaDevice, () =>
      native.dmFencePool(
        { pool: plan.pool, devicePrefix: plan.devicePrefix, metaDevice: plan.metaDevice, dataDevice: plan.dataDevice, poolDevice: plan.poolDevice },
        options.volumeSuspendWaitMs ?? DEFAULT_VOLUME_SUSPEND_WAIT_MS,
      ),
    );
    return toPoolFenceReport(r);
  }

  /** The kernel's dm-thin format, read from the held superblock (see DmClient.readMetadataSnapshot). */
  async readMetadataSnapshot(snapshot: api.HeldMetadataSnapshot): Promise<ThinMetadataSummary> {
    return readThinMetadata(
      { read: (offsetBytes, lengthBytes) => snapshot.read(offsetBytes, lengthBytes) },
      {
        superblockBlock: snapshot.heldRoot,
        metadataBlocks: Math.floor(snapshot.metadataSizeBytes / THIN_METADATA_BLOCK_BYTES),
        dataBlocks: snapshot.dataBlocks,
      },
    );
  }

  /** The kernel's btrees under the held superblock, only the range's subtrees (see DmClient.readThinMappings). */
  async readThinMappings(held: api.HeldMetadataSnapshot, thinId: number, fromBlock: number, blockCount: number): Promise<ThinMappingRun[]> {
    checkMappingRange(thinId, fromBlock, blockCount);
    return readThinMappingRuns(
      { read: (offsetBytes, lengthBytes) => held.read(offsetBytes, lengthBytes) },
      {
        superblockBlock: held.heldRoot,
        metadataBlocks: Math.floor(held.metadataSizeBytes / THIN_METADATA_BLOCK_BYTES),
        dataBlocks: held.dataBlocks,
        poolName: held.poolName,
      },
      thinId,
      fromBlock,
      blockCount,
    );
  }
}
