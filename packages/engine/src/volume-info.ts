/** What list and show report about a volume. */
import type { ThinDeviceUsage } from '@thinfleet/devmapper';
import type { CatalogState, DeleteMark, DeviceSnapshotRecord, JobMark, VolumeRecord } from './catalog-state.js';

export interface VolumeInfo {
  readonly name: string;
  readonly uuid: string;
  readonly thinId: number;
  readonly sizeBytes: number;
  /** The name of the volume this one was snapshotted from, while it exists. */
  readonly origin: string | null;
  /** The read-only block device under this volume, if any. */
  readonly externalOrigin: string | null;
  /** ISO 8601 creation time. */
  readonly created: string;
  /** For a revision: the name of its volume. */
  readonly revisionOf: string | null;
  readonly revision: number | null;
  readonly pinned: boolean;
  readonly active: boolean;
  /** `/dev/mapper/...` while active, else null. */
  readonly devicePath: string | null;
  /** Bytes the volume maps in the pool (null when usage was not read). */
  readonly mappedBytes: number | null;
  /** Mapped bytes no other volume shares. */
  readonly exclusiveBytes: number | null;
  /** Mapped bytes shared with at least one other volume (snapshots). */
  readonly sharedBytes: number | null;
  /** The delete job working on the volume and its checkpoint, or null. */
  readonly deleting: DeleteMark | null;
  /** The job of another kind (flatten, merge) working on the volume, its phase and checkpoint, or null. */
  readonly job: JobMark | null;
  /** On a device snapshot's exception store volume: the device it protects and how, else null. */
  readonly deviceSnapshot: DeviceSnapshotRecord | null;
  /** The uuid of the volume whose content an import of an incremental stream restored this one as, else null. */
  readonly contentOf?: string | null;
}

/** Builds the report of `v`; `usage` from a metadata read, when one was made. */
export function volumeInfo(state: CatalogState, v: VolumeRecord, device: { active: boolean; path: string | null }, usage: ThinDeviceUsage | undefined | null): VolumeInfo {
  const nameOf = (uuid: string | null): string | null => (uuid === null ? null : (state.volumes[uuid]?.name ?? null));
  const blockBytes = state.pool.layout.dataBlockBytes;
  const bytes = (blocks: number | undefined): number | null => (usage === null ? null : (blocks ?? 0) * blockBytes);
  return {
    name: v.name,
    uuid: v.uuid,
    thinId: v.thinId,
    sizeBytes: v.sizeBytes,
    origin: nameOf(v.originUuid),
    externalOrigin: v.externalOrigin,
    created: new Date(v.createdAtMs).toISOString(),
    revisionOf: nameOf(v.revisionOf),
    revision: v.revision,
    pinned: v.pinned,
    active: device.active,
    devicePath: device.path,
    mappedBytes: bytes(usage?.mappedBlocks),
    exclusiveBytes: bytes(usage?.exclusiveBlocks),
    sharedBytes: bytes(usage?.sharedBlocks),
    deleting: v.deleting ?? null,
    job: v.job ?? null,
    deviceSnapshot: v.deviceSnapshot ?? null,
    contentOf: v.contentOf ?? null,
  };
}
