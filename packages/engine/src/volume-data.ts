/**
 * Reading and writing a volume's content through the engine: what tools use where no device
 * node can be opened (the simulated device-mapper's volumes exist only inside the agent's
 * process) and what tests use to prove data survives. The I/O goes through the pool's block
 * client, so a fenced pool refuses it like any other write.
 *
 * Not a transaction: the bytes land in the volume's thin device as a VM's writes do, durably
 * once the call returns (the block client writes with O_DIRECT|O_SYNC on the real kernel).
 * A crash during a write leaves each 512-byte sector old or new, as a VM's write would.
 */
import { SECTOR_BYTES } from '@thinfleet/devmapper';
import { formatBytes } from '@thinfleet/units';
import { EngineError } from './engine-error.js';
import type { VolumeRecord } from './catalog-state.js';

/** The most bytes one read or write moves (callers loop for more). */
export const MAX_VOLUME_IO_BYTES = 1024 * 1024;

/**
 * Checks one I/O range against a volume: both ends sector-aligned, 1 B to MAX_VOLUME_IO_BYTES
 * long, within the volume's size. Pure.
 * @throws EngineError INVALID_ARGUMENT saying which bound is broken (`argument` offsetBytes or lengthBytes)
 */
export function checkVolumeRange(volume: VolumeRecord, offsetBytes: number, lengthBytes: number): void {
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0 || offsetBytes % SECTOR_BYTES !== 0) {
    throw new EngineError('INVALID_ARGUMENT', `offset must be a multiple of ${SECTOR_BYTES} bytes`, { argument: 'offsetBytes' });
  }
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes <= 0 || lengthBytes % SECTOR_BYTES !== 0 || lengthBytes > MAX_VOLUME_IO_BYTES) {
    throw new EngineError('INVALID_ARGUMENT', `length must be a positive multiple of ${SECTOR_BYTES} bytes, at most ${formatBytes(MAX_VOLUME_IO_BYTES)}`, { argument: 'lengthBytes' });
  }
  if (offsetBytes + lengthBytes > volume.sizeBytes) {
    throw new EngineError('INVALID_ARGUMENT', `the range ends beyond volume "${volume.name}" (${formatBytes(volume.sizeBytes)})`, { argument: 'lengthBytes' });
  }
}

/** The refusal for I/O on a volume without a device. */
export function volumeInactive(volume: VolumeRecord, poolName: string): EngineError {
  return new EngineError('VOLUME_INACTIVE', `volume "${volume.name}" is not active (thinfleet volume activate ${poolName}/${volume.name})`);
}
