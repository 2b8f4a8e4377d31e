/**
 * Where a new volume goes when the client names no pool: a pool that a host with a live session
 * can reach (the requesting host's, when it says which it is) and that is not full; pools where
 * the whole volume fits come first, then the most free data space as last reported; ties go to
 * the pool whose name sorts first. Pure.
 */
import type { HostRecord, PoolRecord } from './registry.js';

export interface PlacementRequest {
  /** The node the volume is for (`tf-host`), or null for any. */
  readonly host: string | null;
  /** The volume's size: a pool whose known free space is below it is passed over. */
  readonly sizeBytes: number;
}

export class PlacementError extends Error {
  override readonly name = 'PlacementError';
}

/**
 * The pool to create the volume in.
 * @throws PlacementError when the host is unknown or no pool it reaches has room
 */
export function choosePool(request: PlacementRequest, hosts: readonly HostRecord[], pools: readonly PoolRecord[]): string {
  const reachingHosts = request.host === null ? hosts : hosts.filter((h) => h.nodeId === request.host);
  if (request.host !== null && reachingHosts.length === 0) throw new PlacementError(`host ${request.host} has no live session with the cluster`);
  const reachable = new Set(reachingHosts.flatMap((h) => h.pools.filter((p) => p.uuid !== '').map((p) => p.name)));
  const known = new Map(pools.map((p) => [p.name, p]));
  const candidates = [...reachable]
    .map((name) => {
      const record = known.get(name);
      return { name, freeBytes: record === undefined ? null : Math.max(0, record.dataSizeBytes - record.dataUsedBytes) };
    })
    // Thin volumes may overcommit a pool, but a pool with nothing left gets no new volume.
    .filter((c) => c.freeBytes === null || c.freeBytes > 0)
    // Pools where the whole volume fits first, then the most free space; unknown space last.
    .sort((a, b) => fits(b) - fits(a) || (b.freeBytes ?? -1) - (a.freeBytes ?? -1) || a.name.localeCompare(b.name));
  function fits(c: { freeBytes: number | null }): number {
    return c.freeBytes !== null && c.freeBytes >= request.sizeBytes ? 1 : 0;
  }
  const chosen = candidates[0];
  if (chosen === undefined) {
    const who = request.host === null ? 'any host' : `host ${request.host}`;
    throw new PlacementError(reachable.size === 0 ? `no pool is reachable by ${who}` : `no pool reachable by ${who} has free space`);
  }
  return chosen.name;
}
