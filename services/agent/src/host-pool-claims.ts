/**
 * What the devices of this host's pools are, for the checks that keep one pool's device out of
 * another (device-claims.ts compares them by identity): every device a known or active pool
 * uses, under each of its names, and the files of their external origins. Also the check of a
 * path given as an external origin, and which loop devices of a forgotten pool no device-mapper
 * table holds. Read-only, but for the loop device an origin file gets.
 */
import { stat } from 'node:fs/promises';
import type { BlockClient } from '@thinfleet/devmapper';
import { isEngineError, type Engine, type Pool } from '@thinfleet/engine';
import type { Logger } from 'pino';
import { badRequest } from './agent-error.js';
import { sameBackingFile, type DeviceAttachments } from './device-attachments.js';
import { quotePath, type DeviceClaims, type GivenDevice, type PoolClaim } from './device-claims.js';
import type { OriginAttachments } from './origin-attachments.js';
import type { PoolRegistry } from './pool-registry.js';

/** What the claims of this host's pools are read from (HostPools' parts). */
export interface HostClaimsDeps {
  readonly engine: Engine;
  readonly registry: PoolRegistry;
  readonly attachments: DeviceAttachments;
}

/**
 * The devices of request field `field` (elements named `field[i]`): as given, and as the block
 * devices they are used through (`blockPaths`, the loop devices of files; default the paths).
 */
export const givenDevices = (field: string, paths: readonly string[], blockPaths: readonly string[] = paths): GivenDevice[] =>
  paths.map((path, i) => ({ field: `${field}[${i}]`, path, blockPath: blockPaths[i]! }));

/**
 * The devices of every pool this host knows or has active, except pool `except`: the paths
 * the user gave, the loop devices still attached to those files, the engine's paths, and the
 * files of their external origins. Read-only.
 */
export async function hostPoolClaims(deps: HostClaimsDeps, except: string | null): Promise<PoolClaim[]> {
  const { engine, registry, attachments } = deps;
  const claims: PoolClaim[] = [];
  const active = new Map(engine.pools().map((p) => [p.name, p]));
  for (const known of registry.list()) {
    if (known.name === except) continue;
    const paths = [...known.devices];
    for (const [file, loop] of Object.entries(known.loops)) if (sameBackingFile(await attachments.backingFile(loop), file)) paths.push(loop);
    paths.push(...(active.get(known.name)?.devicePaths ?? []));
    claims.push({ pool: known.name, kind: 'device', state: active.has(known.name) ? 'active on this host' : 'known to this host, inactive', paths });
    const origins = Object.keys(known.origins ?? {});
    if (origins.length > 0) claims.push({ pool: known.name, kind: 'origin', state: 'an external origin of its volumes', paths: origins });
  }
  for (const [name, pool] of active) {
    if (name !== except && registry.get(name) === null) claims.push({ pool: name, kind: 'device', state: 'active on this host', paths: pool.devicePaths });
  }
  return claims;
}

/**
 * Makes `path` usable as an external origin of active pool `pool` (request field `field`):
 * refuses a device of any pool of this host (under any of its names), attaches a regular file
 * read-only to a loop device and records it (origin-attachments.ts), then lets the engine
 * refuse anything of the pool itself or stacked on it. The caller calls
 * `origins.releaseUnused` after the volume call, whatever its outcome.
 * @throws AgentError BAD_REQUEST naming `field`, NO_SUCH_DEVICE
 */
export async function prepareOriginOnHost(
  deps: HostClaimsDeps & { readonly claims: DeviceClaims; readonly origins: OriginAttachments },
  pool: Pool,
  field: string,
  path: string,
): Promise<void> {
  const claim = await deps.claims.ownerOf(
    { field, path, blockPath: path },
    (await hostPoolClaims(deps, null)).filter((c) => c.kind === 'device'),
  );
  if (claim !== null) throw badRequest(field, `${quotePath(path)} is a device of pool ${claim.pool} (${claim.state}); a pool's device cannot be an external origin`);
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    // a block device of the simulated kernel, or nothing: the engine says which
  }
  if (isFile) await deps.origins.attach(pool.name, field, path);
  try {
    await pool.checkExternalOrigin(path);
  } catch (err) {
    if (isEngineError(err, 'INVALID_ARGUMENT')) throw badRequest(field, err.message);
    throw err;
  }
}

/**
 * Of a pool's loop devices (`loops`: file → loop device), those `pool forget` may detach: the
 * ones no device-mapper table holds (a held one is logged and left attached), and of those, the
 * files whose loop device is still attached to them (`released`, what the answer lists).
 * Read-only.
 */
export async function loopsToRelease(
  deps: { readonly block: BlockClient; readonly attachments: DeviceAttachments; readonly claims: DeviceClaims; readonly logger: Logger },
  pool: string,
  loops: Readonly<Record<string, string>>,
): Promise<{ free: Record<string, string>; released: string[] }> {
  const stack = await deps.claims.stack();
  const free: Record<string, string> = {};
  const released: string[] = [];
  for (const [file, loop] of Object.entries(loops)) {
    const dev = await deps.block.deviceNumber(loop).catch(() => null);
    if (dev !== null && stack.holdersOf(dev).length > 0) {
      deps.logger.warn({ pool, loop, file }, 'pool forget: loop device is held by a device-mapper table; left attached');
      continue;
    }
    free[file] = loop;
  }
  for (const [file, loop] of Object.entries(free)) if (sameBackingFile(await deps.attachments.backingFile(loop), file)) released.push(file);
  return { free, released };
}
