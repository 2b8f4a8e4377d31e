/**
 * An active pool's status: its usage and state from the kernel's thin-pool status, with what
 * the catalog knows (volumes, devices, settings). Reads only.
 */
import { poolCapacity } from './capacity.js';
import { noSpaceModeOf, type NoSpaceMode } from './catalog-state.js';
import type { PoolCore } from './pool-core.js';

/** The kernel's metadata block size. */
const METADATA_BLOCK_BYTES = 4096;

/** What Pool.status reports. */
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

/**
 * The pool's status with `activeVolumes` active volume devices. A pool whose status cannot be
 * read reports mode `failed`, needsCheck, and the catalog's transaction id and sizes.
 */
export async function readPoolStatus(core: PoolCore, activeVolumes: number): Promise<PoolStatus> {
  const state = core.catalog.state;
  const block = state.pool.layout.dataBlockBytes;
  const base = {
    name: state.pool.name,
    uuid: state.pool.uuid,
    dataBlockBytes: block,
    volumes: Object.keys(state.volumes).length,
    activeVolumes,
    devices: [...core.devicePaths],
    maxVolumeBytes: state.pool.maxVolumeBytes,
    noSpaceMode: noSpaceModeOf(state.pool),
    provisionedBytes: poolCapacity(state).provisionedBytes,
  };
  try {
    const s = await core.control.status({ noFlush: true });
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
}
