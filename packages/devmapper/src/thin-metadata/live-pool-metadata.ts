/**
 * Reading an active pool's metadata safely: through a metadata snapshot. The kernel keeps
 * rewriting the live superblock and shadowing btree nodes as it commits, but a held snapshot
 * (`reserve_metadata_snap`) is a copy of the superblock whose trees the kernel will not touch
 * until `release_metadata_snap`, so it can be read from the metadata device while the pool runs.
 */
import type { BlockClient } from '../block-client.js';
import type { DmClient, HeldMetadataSnapshot } from '../dm-client.js';
import { DmError } from '../dm-error.js';
import { ThinPoolControl } from '../thin-pool-messages.js';
import type { ThinMetadataSummary } from './thin-metadata-summary.js';
import { diffMappingRuns, type ThinDiffRange } from './thin-mapping-diff.js';
import type { ThinMappingRun } from './thin-mapping-runs.js';

/**
 * Reserves the live pool's metadata snapshot (reserve_metadata_snap), reads the held root from the pool status, reads
 * the snapshot from `metadataDevicePath` through `block` (O_DIRECT reads), and releases the snapshot in a finally path.
 * The client decodes the snapshot (DmClient.readMetadataSnapshot): the kernel's format, or the simulator's, to the same
 * summary. EBUSY if a metadata snapshot is already held (it does not release someone else's).
 *
 * When both the read and the release fail, the read's error is thrown.
 *
 * @example
 * ```ts
 * const summary = await readLivePoolMetadata(dm, block, 'tf-pool0', '/dev/mapper/tf-pool0-meta');
 * const kernelIds = [...summary.devices.keys()];
 * ```
 * @param poolName device-mapper name of the active thin-pool device.
 * @param metadataDevicePath the block device the pool's table names as its metadata device.
 * @throws DmError EBUSY when a metadata snapshot is already held; EILSEQ for corrupt metadata;
 *   the pool's own errors (EOPNOTSUPP for a read-only or failed pool).
 */
export async function readLivePoolMetadata(dm: DmClient, block: BlockClient, poolName: string, metadataDevicePath: string): Promise<ThinMetadataSummary> {
  return withMetadataSnapshot(dm, poolName, () => readHeldPoolMetadata(dm, block, poolName, metadataDevicePath));
}

/**
 * The mappings of thin id `thinId` over virtual blocks `[fromBlock, fromBlock + blockCount)` of
 * the live pool (DmClient.readThinMappings), read from a metadata snapshot it reserves, reads and
 * releases in a finally path like readLivePoolMetadata. Reserving commits the pool's metadata, so
 * every write completed before the call is in the result.
 * @throws DmError EBUSY when a metadata snapshot is already held; ENODATA when the pool has no
 *   thin id `thinId`; EINVAL for a bad range; EILSEQ for corrupt metadata.
 */
export async function readLiveThinMappings(
  dm: DmClient,
  block: BlockClient,
  poolName: string,
  metadataDevicePath: string,
  thinId: number,
  fromBlock: number,
  blockCount: number,
): Promise<ThinMappingRun[]> {
  return withMetadataSnapshot(dm, poolName, async () => dm.readThinMappings(await heldSnapshotOf(dm, block, poolName, metadataDevicePath), thinId, fromBlock, blockCount));
}

/**
 * Where thin devices `leftId` and `rightId` of the live pool differ over
 * `[fromBlock, fromBlock + blockCount)` (thin-mapping-diff.ts), both read from ONE metadata
 * snapshot (reserved, read, released in a finally path), so the two mappings are of one instant.
 * @throws DmError as readLiveThinMappings (ENODATA for a missing thin id, EBUSY when a metadata
 *   snapshot is already held)
 */
export async function readLiveThinDiff(
  dm: DmClient,
  block: BlockClient,
  poolName: string,
  metadataDevicePath: string,
  leftId: number,
  rightId: number,
  fromBlock: number,
  blockCount: number,
): Promise<ThinDiffRange[]> {
  return withMetadataSnapshot(dm, poolName, async () => {
    const held = await heldSnapshotOf(dm, block, poolName, metadataDevicePath);
    const left = await dm.readThinMappings(held, leftId, fromBlock, blockCount);
    const right = await dm.readThinMappings(held, rightId, fromBlock, blockCount);
    return diffMappingRuns(left, right);
  });
}

/** Reserves the pool's metadata snapshot, runs `read`, releases it in a finally path; the read's error wins. */
async function withMetadataSnapshot<T>(dm: DmClient, poolName: string, read: () => Promise<T>): Promise<T> {
  const control = new ThinPoolControl(dm, poolName);
  await control.reserveMetadataSnap();
  let result: T | undefined;
  let failure: { error: unknown } | undefined;
  try {
    result = await read();
  } catch (error) {
    failure = { error };
  } finally {
    try {
      await control.releaseMetadataSnap();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
  return result!;
}

/**
 * Reads the metadata snapshot the pool already holds (someone called reserve_metadata_snap),
 * without reserving or releasing anything: the state as of that reserve.
 *
 * The kernel's held copy of the superblock has its space map roots wiped, so for the native
 * client `dataBlocks` is the pool's data size now (from its status), which differs from the
 * size at reserve time only if the pool grew in between; the simulator keeps the size at
 * reserve time.
 *
 * @throws DmError ENODATA when the pool holds no metadata snapshot; EAGAIN when the simulator's
 *   snapshot on disk is not the one the status names; EILSEQ for corrupt metadata.
 */
export async function readHeldPoolMetadata(dm: DmClient, block: BlockClient, poolName: string, metadataDevicePath: string): Promise<ThinMetadataSummary> {
  return dm.readMetadataSnapshot(await heldSnapshotOf(dm, block, poolName, metadataDevicePath));
}

/**
 * The HeldMetadataSnapshot of the snapshot the pool holds now (from its status), reading through `block`.
 * @throws DmError ENODATA when the pool holds no metadata snapshot.
 */
export async function heldSnapshotOf(dm: DmClient, block: BlockClient, poolName: string, metadataDevicePath: string): Promise<HeldMetadataSnapshot> {
  const status = await new ThinPoolControl(dm, poolName).status();
  const held = status.heldMetadataRoot;
  if (held === null) throw new DmError('ENODATA', 'thin metadata', poolName, 'the pool holds no metadata snapshot');
  const sizeBytes = await block.sizeBytes(metadataDevicePath);
  return {
    poolName,
    heldRoot: held,
    metadataDevicePath,
    metadataSizeBytes: sizeBytes,
    dataBlocks: status.totalDataBlocks,
    read: (offsetBytes, lengthBytes) => block.read(metadataDevicePath, offsetBytes, lengthBytes),
  };
}
