/**
 * `wasActive` on volumes: a volume active on a pool's holder when that holder died is recorded
 * in `was-active/<pool>` (session-service.ts, at the grant that follows the death), and every
 * volume the coordinator answers with carries `wasActive: true` while it is not active, until it
 * is activated again, deactivated on purpose, or deleted. An orchestrator reads it to restart
 * the volume's users on the pool's new holder.
 */
import type { ClusterRegistry, IndexedVolume } from './registry.js';

/**
 * Sets `wasActive` on every volume of `answer` (`volume`, `volumes`, or batch `results[].volume`)
 * that `records` (uuids by pool) names and that is not active now. Changes `answer`; returns it.
 */
export function markWasActive<T>(answer: T, records: ReadonlyMap<string, ReadonlySet<string>>): T {
  if (records.size === 0) return answer;
  const mark = (v: unknown): void => {
    const volume = v as { pool?: string; uuid?: string; active?: boolean; wasActive?: boolean } | null | undefined;
    if (volume?.pool === undefined || volume.uuid === undefined) return;
    volume.wasActive = volume.active !== true && (records.get(volume.pool)?.has(volume.uuid) ?? false);
  };
  const a = answer as { volume?: unknown; volumes?: unknown[]; results?: Array<{ volume?: unknown }> };
  mark(a.volume);
  for (const v of a.volumes ?? []) mark(v);
  for (const r of a.results ?? []) mark(r.volume);
  return answer;
}

/**
 * Drops from `pool`'s record the volumes that are active now, gone from `listed` (the holder's
 * list), or named in `acknowledged` (deactivated on purpose). Idempotent.
 */
export async function pruneWasActive(registry: ClusterRegistry, pool: string, listed: readonly IndexedVolume[], acknowledged: readonly string[]): Promise<void> {
  const keep = new Set(listed.filter((v) => v['active'] !== true && !acknowledged.includes(v.name)).map((v) => v.uuid));
  await registry.updateWasActive(pool, (current) => current && { ...current, volumes: current.volumes.filter((uuid) => keep.has(uuid)) });
}
