/**
 * `pool extend` on this host: the agent's part around the engine's Pool.extend (pool-extend.ts
 * in the engine). The device is checked against every other pool of this host by identity
 * (device-claims.ts: the file, a symlink to it, a loop device over it, the block device, a file
 * used as an external origin) and against device-mapper tables other than the pool's own, then
 * attached (a file to a loop device) and handed to the engine. The caller runs this under the
 * pool's lock and the host's device lock, as pool create and activate do, so no other call can
 * take the device between the check and its use.
 *
 * Crash story: the engine's (its catalog record is the commit point); the registry records a
 * new device after its label is written and before the catalog commits the extent, so a restart
 * always passes every device the catalog names (and at worst one the catalog does not, which is
 * harmless).
 */
import { EngineError, poolDeviceNames, type Engine, type ExtendResult } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';
import type { DeviceAttachments } from '../device-attachments.js';
import type { DeviceClaims, PoolClaim } from '../device-claims.js';
import type { PoolRegistry } from '../pool-registry.js';

/** What extendOnHost uses of the host's pools. */
export interface ExtendOnHostDeps {
  readonly engine: Engine;
  readonly registry: PoolRegistry;
  readonly attachments: DeviceAttachments;
  readonly claims: DeviceClaims;
  /** The devices and origin files of every pool this host knows except `except` (HostPools.claimsExcept). */
  readonly claimsExcept: (except: string | null) => Promise<PoolClaim[]>;
}

/**
 * Adds `device` (a block device or a file) to active pool `name`'s data region: `sizeBytes` of
 * it, or all (null). A device already in the pool gives the space after its last extent.
 * Precondition: the caller holds the pool's lock and the host's device lock.
 * @throws AgentError DEVICE_IN_USE / BAD_REQUEST naming `field`; EngineError NO_SUCH_POOL when
 *   the pool is not active
 */
export async function extendOnHost(deps: ExtendOnHostDeps, name: string, field: string, device: string, sizeBytes: number | null): Promise<ExtendResult> {
  const { engine, registry, attachments, claims } = deps;
  const pool = engine.pool(name);
  const known = registry.get(name);
  // Every claim but the pool's own devices (more of one of them may be added): its external
  // origins are files other volumes read, never space to label.
  const others = (await deps.claimsExcept(null)).filter((c) => !(c.pool === name && c.kind === 'device'));
  await claims.check([{ field, path: device, blockPath: device }], others, null);
  const ownFile = known?.loops[device];
  const attached = await attachments.attach(field, [device], ownFile === undefined ? {} : { [device]: ownFile }).catch((err: unknown) => {
    // attach names list elements (`device[0]`); this request has one device field.
    if (err instanceof AgentError && err.field === `${field}[0]`) throw new AgentError(err.code, err.message.replace(`${field}[0]`, field), { field, cause: err });
    throw err;
  });
  const path = attached.paths[0]!;
  let recorded = ownFile !== undefined || (known?.devices.includes(device) ?? false);
  try {
    // Under its loop device, and held by no device-mapper table but the pool's own.
    await claims.check([{ field, path: device, blockPath: path }], [], { ownDmNames: new Set(Object.values(poolDeviceNames(name))) });
    return await pool.extend({
      devicePath: path,
      sizeBytes,
      recordDevice: async () => {
        // A retry of an extend that recorded the device and then failed finds it recorded.
        if (known === null || (known.devices.includes(device) && known.loops[device] === attached.loops[device])) return;
        const devices = known.devices.includes(device) ? known.devices : [...known.devices, device];
        await registry.put({ ...known, devices: [...devices], loops: { ...known.loops, ...attached.loops } });
        recorded = true;
      },
    });
  } catch (err) {
    if (!recorded) await attachments.detach(attached.loops);
    if (err instanceof EngineError && err.code === 'DEVICE_UNUSABLE') throw new AgentError('DEVICE_IN_USE', `${field}: ${err.message}`, { cause: err, field });
    if (err instanceof EngineError && err.code === 'INVALID_ARGUMENT') throw new AgentError('BAD_REQUEST', `${field}: ${err.message}`, { cause: err, field });
    throw err;
  }
}
