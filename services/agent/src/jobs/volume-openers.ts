/**
 * Whether a volume's device is open (mounted, attached to a VM): the check the engine makes
 * before it deactivates a volume it deletes, made here before a background delete starts
 * discarding, so an open volume is refused before any of its data is touched. The engine
 * answers (Pool.requireVolumeNotOpen); this only skips the question for an inactive volume.
 */
import type { Pool, VolumeInfo } from '@thinfleet/engine';

/**
 * Refuses when `volume`'s device is open, with the engine's error for it. An inactive volume
 * has no device and is never open. Changes nothing.
 * @throws EngineError VOLUME_BUSY
 */
export async function requireVolumeNotOpen(pool: Pool, volume: Pick<VolumeInfo, 'name' | 'active'>): Promise<void> {
  if (!volume.active) return;
  await pool.requireVolumeNotOpen(volume.name);
}
