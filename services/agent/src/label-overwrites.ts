/**
 * Which thinfleet labels `CreatePool{force}` may overwrite: only those of pools that neither
 * this host (its registry, its active pools) nor, in cluster mode, the cluster's registry
 * knows. Read-only: it reads labels and asks; the caller writes.
 */
import type { Engine } from '@thinfleet/engine';
import { AgentError } from './agent-error.js';
import type { RegistryPool } from './cluster/cluster-pool-lookup.js';
import { quotePath } from './device-claims.js';
import type { CreateHostPoolRequest } from './host-pools.js';
import type { PoolRegistry } from './pool-registry.js';

/** A thinfleet label that `CreatePool{force}` overwrote. */
export interface OverwrittenLabel {
  /** The device as the request named it. */
  readonly device: string;
  /** The pool the label named ('' for a damaged label). */
  readonly poolName: string;
  readonly poolUuid: string;
  /** The device's index in that pool (-1 for a damaged label). */
  readonly deviceIndex: number;
}

/** Who may own a label. */
export interface LabelOwners {
  readonly engine: Engine;
  readonly registry: PoolRegistry;
  /** Cluster mode: the cluster registry's pools (rejects when it cannot be asked). */
  readonly clusterPools?: (() => Promise<RegistryPool[]>) | undefined;
}

/**
 * The labels on `blockPaths` that `request` would overwrite. Without `force` that is none
 * (the engine refuses labelled devices). With it, a label of a pool this host knows, or
 * that the cluster's registry knows, is refused.
 * @throws AgentError DEVICE_IN_USE, CLUSTER_UNAVAILABLE
 */
export async function labelsToOverwrite(deps: LabelOwners, request: Pick<CreateHostPoolRequest, 'devices' | 'force'>, blockPaths: readonly string[]): Promise<OverwrittenLabel[]> {
  if (!request.force) return [];
  const asGiven = new Map(blockPaths.map((p, i) => [p, i]));
  const labels: Array<OverwrittenLabel & { field: string }> = [];
  for (const found of await deps.engine.discover(blockPaths)) {
    found.devices.forEach((d, deviceIndex) => {
      const i = d === null ? undefined : asGiven.get(d);
      if (i === undefined) return;
      const damaged = found.uuid === '';
      labels.push({ field: `devices[${i}]`, device: request.devices[i]!, poolName: found.name, poolUuid: found.uuid, deviceIndex: damaged ? -1 : deviceIndex });
    });
  }
  const named = labels.filter((l) => l.poolUuid !== '');
  if (named.length === 0) return labels.map(({ field: _, ...l }) => l);
  const here = new Map<string, string>();
  for (const k of deps.registry.list()) if (k.uuid !== '') here.set(k.uuid, k.name);
  for (const p of deps.engine.pools()) here.set(p.uuid, p.name);
  for (const l of named) {
    const pool = here.get(l.poolUuid);
    if (pool !== undefined) {
      throw new AgentError(
        'DEVICE_IN_USE',
        `${l.field}: ${quotePath(l.device)} carries the label of pool ${pool}, which this host knows; --force never overwrites a known pool (destroy it, or forget it first)`,
        { field: l.field },
      );
    }
  }
  if (deps.clusterPools !== undefined) {
    const cluster = await deps.clusterPools();
    for (const l of named) {
      const pool = cluster.find((p) => p.uuid === l.poolUuid);
      if (pool !== undefined) {
        throw new AgentError(
          'DEVICE_IN_USE',
          `${l.field}: ${quotePath(l.device)} carries the label of pool ${pool.name}, which the cluster's registry knows; --force never overwrites a known pool`,
          { field: l.field },
        );
      }
    }
  }
  return labels.map(({ field: _, ...l }) => l);
}
