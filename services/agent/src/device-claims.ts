/**
 * Which pool a device belongs to on this host, whatever name it is given by: a file, a
 * symlink to it, a loop device over it (any loop device over the same file), or the block
 * device itself. Pool create and activate use it so that no path (`--force` included) reaches
 * a device another pool uses. Read-only: it stats paths and asks the block and dm clients.
 */
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { formatDevNumber, readDmStack, type BlockClient, type DmClient, type DmStack } from '@thinfleet/devmapper';
import { AgentError } from './agent-error.js';

/** The devices a pool on this host uses. */
export interface PoolClaim {
  readonly pool: string;
  /** `device`: a device of the pool; `origin`: a file its volumes use as external origin. */
  readonly kind: 'device' | 'origin';
  /** Why it counts: `active on this host`, `known to this host (inactive)`. */
  readonly state: string;
  /** Paths naming its devices: as the user gave them, their loop devices, the engine's paths. */
  readonly paths: readonly string[];
}

/** A path of a request, with the block device the agent uses for it (a loop device for a file). */
export interface GivenDevice {
  readonly field: string;
  readonly path: string;
  readonly blockPath: string;
}

/** At most `max` characters of a user-given path, for messages. */
export function quotePath(path: string, max = 120): string {
  return path.length <= max ? path : `${path.slice(0, max)}…`;
}

async function fileKey(path: string): Promise<string> {
  try {
    return `file:${await realpath(path)}`;
  } catch {
    return `file:${resolve(path)}`;
  }
}

export class DeviceClaims {
  constructor(
    private readonly block: BlockClient,
    private readonly dm: DmClient,
  ) {}

  /**
   * Identity keys of `path`: `file:<real path>` for a regular file, `dev:<major:minor>` for a
   * block device, plus `file:` of a loop device's backing file. Empty for a path that names
   * nothing (yet).
   */
  async keysOf(path: string): Promise<string[]> {
    const keys: string[] = [];
    try {
      if ((await stat(path)).isFile()) return [await fileKey(path)];
    } catch {
      // not in the file system: maybe a device of the simulated kernel
    }
    try {
      keys.push(`dev:${formatDevNumber(await this.block.deviceNumber(path))}`);
    } catch {
      return keys;
    }
    try {
      const backing = await this.block.loopBackingFile(path);
      if (backing !== null) keys.push(await fileKey(backing));
    } catch {
      // not a loop device
    }
    return keys;
  }

  /** Reads the dm dependency graph now. */
  stack(): Promise<DmStack> {
    return readDmStack(this.dm);
  }

  /**
   * Refuses any of `given` that a pool of `claims` uses, and (with `holders`) any that a
   * device-mapper table other than `ownDmNames` holds.
   * @throws AgentError DEVICE_IN_USE naming the field
   */
  /** The claim among `claims` on device `g` (by any of its names), or null. */
  async ownerOf(g: GivenDevice, claims: readonly PoolClaim[]): Promise<PoolClaim | null> {
    const owner = new Map<string, PoolClaim>();
    for (const claim of claims) for (const path of claim.paths) for (const key of await this.keysOf(path)) owner.set(key, claim);
    for (const key of new Set([...(await this.keysOf(g.path)), ...(await this.keysOf(g.blockPath))])) {
      const claim = owner.get(key);
      if (claim !== undefined) return claim;
    }
    return null;
  }

  async check(given: readonly GivenDevice[], claims: readonly PoolClaim[], holders: { ownDmNames: ReadonlySet<string> } | null): Promise<void> {
    const stack = holders === null ? null : await this.stack();
    for (const g of given) {
      const claim = await this.ownerOf(g, claims);
      if (claim !== null) {
        const what = claim.kind === 'device' ? `a device of pool ${claim.pool} (${claim.state})` : `an external origin of volumes of pool ${claim.pool}`;
        throw new AgentError('DEVICE_IN_USE', `${g.field}: ${quotePath(g.path)} is ${what}; a device in use is never overwritten, --force included`, { field: g.field });
      }
      if (stack !== null && holders !== null) {
        const dev = await this.block.deviceNumber(g.blockPath).catch(() => null);
        const users = dev === null ? [] : stack.holdersOf(dev).filter((n) => !holders.ownDmNames.has(n));
        if (users.length > 0) {
          throw new AgentError('DEVICE_IN_USE', `${g.field}: ${quotePath(g.path)} is in use by device-mapper device ${users[0]}; a device in use is never overwritten, --force included`, {
            field: g.field,
          });
        }
      }
    }
  }
}
