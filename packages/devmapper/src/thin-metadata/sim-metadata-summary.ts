/**
 * The simulator's held metadata snapshot, summarised the way readThinMetadata summarises the
 * kernel's, so reconcile sees the same thing from either.
 */
import type { SimMetadataSnapshot } from '../sim/sim-pool-state.js';
import { DataBlockSharing } from './data-block-sharing.js';
import type { ThinDeviceUsage, ThinMetadataSummary } from './thin-metadata-summary.js';

/**
 * Counts, per thin id of `snapshot`, mapped blocks and how many of them no other device maps.
 * @throws DmError EILSEQ when a mapping points past the snapshot's data blocks.
 */
export function summariseSimSnapshot(snapshot: SimMetadataSnapshot): ThinMetadataSummary {
  const sharing = new DataBlockSharing(snapshot.dataBlocks);
  for (const mapping of snapshot.devices.values()) {
    for (const block of mapping.values()) sharing.add(block);
  }
  const devices = new Map<number, ThinDeviceUsage>();
  for (const thinId of [...snapshot.devices.keys()].sort((a, b) => a - b)) {
    const mapping = snapshot.devices.get(thinId)!;
    let exclusiveBlocks = 0;
    for (const block of mapping.values()) if (sharing.isExclusive(block)) exclusiveBlocks++;
    devices.set(thinId, {
      thinId,
      mappedBlocks: mapping.size,
      exclusiveBlocks,
      sharedBlocks: mapping.size - exclusiveBlocks,
    });
  }
  return {
    transactionId: snapshot.transactionId,
    dataBlockSectors: snapshot.dataBlockSectors,
    dataBlocks: snapshot.dataBlocks,
    devices,
  };
}
