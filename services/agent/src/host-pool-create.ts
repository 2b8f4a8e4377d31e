/**
 * `pool create` on this host: the checks that no device given is another pool's (device-claims.ts,
 * by identity, and no device-mapper table holds it), the labels `force` may overwrite (only
 * those neither this host nor, in cluster mode, the cluster's registry knows:
 * label-overwrites.ts), then the registry entry and the engine's create.
 *
 * Crash story: the registry entry is written first, marked active with no uuid yet; then the
 * engine creates the pool (its own steps are crash-safe); then the entry gets the uuid. A crash
 * before the engine's label makes the pool leaves an entry whose start-up activation fails with
 * its problem, and `create` may be run again over it; a crash after leaves a pool the next start
 * activates (the engine completes it) and records. A create that fails or is refused without a
 * crash leaves the registry as it found it (an earlier unfinished entry stays) and detaches the
 * loop devices it attached.
 */
import { checkPoolName, EngineError, poolDeviceNames, type Engine, type NoSpaceMode, type Pool } from '@thinfleet/engine';
import type { Logger } from 'pino';
import type { RegistryPool } from './cluster/cluster-pool-lookup.js';
import { inUserTerms, type DeviceAttachments } from './device-attachments.js';
import type { DeviceClaims, PoolClaim } from './device-claims.js';
import { givenDevices } from './host-pool-claims.js';
import { labelsToOverwrite, type OverwrittenLabel } from './label-overwrites.js';
import type { PoolRegistry } from './pool-registry.js';

export interface CreateHostPoolRequest {
  readonly name: string;
  readonly devices: readonly string[];
  readonly dataBlockBytes?: number;
  readonly metadataBytes?: number;
  readonly force?: boolean;
  /** What writes do once the data space is full (default queue). */
  readonly noSpaceMode?: NoSpaceMode;
}

/** What a create made, and what it overwrote. */
export interface CreatedHostPool {
  readonly pool: Pool;
  readonly overwritten: readonly OverwrittenLabel[];
}

/** What createOnHost uses of the host's pools. */
export interface CreateOnHostDeps {
  readonly engine: Engine;
  readonly registry: PoolRegistry;
  readonly attachments: DeviceAttachments;
  readonly claims: DeviceClaims;
  readonly logger: Logger;
  /** Cluster mode: the pools the cluster's registry knows (rejects when it cannot be asked). */
  readonly clusterPools?: (() => Promise<RegistryPool[]>) | undefined;
  /** The devices and origin files of every pool this host knows except `except` (HostPools.claimsExcept). */
  readonly claimsExcept: (except: string | null) => Promise<PoolClaim[]>;
  /** The pools' start-up problems: a created pool has none. */
  readonly problems: Map<string, string>;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Creates pool `request.name` on its devices (see the module comment for the checks and the
 * crash story). Precondition: the caller holds the pool's lock and the host's device lock.
 * @throws AgentError DEVICE_IN_USE (nothing changed), CLUSTER_UNAVAILABLE (force while the
 *   registry cannot be asked); EngineError NAME_EXISTS, and as Engine.createPool
 */
export async function createOnHost(deps: CreateOnHostDeps, request: CreateHostPoolRequest): Promise<CreatedHostPool> {
  const { engine, registry, attachments, claims } = deps;
  checkPoolName(request.name);
  const known = registry.get(request.name);
  const unfinished = known !== null && known.uuid === '';
  if ((known !== null && !unfinished) || engine.pools().some((p) => p.name === request.name)) {
    throw new EngineError('NAME_EXISTS', `a pool called ${request.name} is already known on this host`);
  }
  await claims.check(givenDevices('devices', request.devices), await deps.claimsExcept(request.name), null);
  const attached = await attachments.attach('devices', request.devices);
  let done = false;
  try {
    const own = unfinished ? new Set(Object.values(poolDeviceNames(request.name))) : new Set<string>();
    await claims.check(givenDevices('devices', request.devices, attached.paths), [], { ownDmNames: own });
    // Labels an unfinished create of the same pool on the same devices left are reused.
    const reuse = unfinished && sameList(known.devices, request.devices);
    const overwritten = reuse ? [] : await labelsToOverwrite({ engine, registry, clusterPools: deps.clusterPools }, request, attached.paths);
    await registry.put({ name: request.name, uuid: '', devices: [...request.devices], loops: attached.loops, active: true });
    const pool = await engine
      .createPool({
        name: request.name,
        devices: attached.paths,
        ...(request.dataBlockBytes ? { dataBlockBytes: request.dataBlockBytes } : {}),
        ...(request.metadataBytes ? { metadataBytes: request.metadataBytes } : {}),
        ...(request.noSpaceMode ? { noSpaceMode: request.noSpaceMode } : {}),
        force: reuse || overwritten.length > 0,
      })
      .catch((err: unknown) => {
        throw inUserTerms(err, attached.loops);
      });
    done = true; // the pool exists now: whatever happens next, its devices stay
    await registry.put({ name: request.name, uuid: pool.uuid, devices: [...request.devices], loops: attached.loops, active: true });
    deps.problems.delete(request.name);
    if (overwritten.length > 0) deps.logger.warn({ pool: request.name, overwritten }, 'pool create overwrote thinfleet labels (force)');
    return { pool, overwritten };
  } finally {
    if (!done) {
      // A refused or failed create leaves the registry as it found it.
      if (known !== null) await registry.put(known);
      else await registry.remove(request.name);
      await attachments.detach(attached.loops);
    }
  }
}
