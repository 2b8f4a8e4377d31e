/**
 * Whether a volume's device is open (mounted, attached to a VM): the check the engine makes
 * before it deactivates a volume it deletes, made here before a background delete starts
 * discarding, so an open volume is refused before any of its data is touched.
 */
import { isDmError } from '@thinfleet/devmapper';
import { EngineError, volumeDeviceName, type Pool, type VolumeInfo } from '@thinfleet/engine';

/**
 * Refuses when `volume`'s device is open, with the engine's error for it. An inactive volume
 * has no device and is never open. Changes nothing.
 * @throws EngineError VOLUME_BUSY
 */
export async function requireVolumeNotOpen(pool: Pool, volume: Pick<VolumeInfo, 'name' | 'active'>): Promise<void> {
  if (!volume.active) return;
  let openCount: number;
  try {
    openCount = (await pool.core.dm.info(volumeDeviceName(pool.name, volume.name))).openCount;
  } catch (err) {
    if (isDmError(err, 'ENXIO')) return;
    throw err;
  }
  if (openCount > 0) {
    throw new EngineError('VOLUME_BUSY', `volume "${volume.name}" is open (${openCount} opener(s)); close it before deleting`);
  }
}
