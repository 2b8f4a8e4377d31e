/**
 * The pools of this host as the agent sees them: the engine's active pools, plus the pools the
 * registry knows that are not active (deactivated, or failed to activate at start), and their
 * lifecycle: join, activate, deactivate, destroy, forget. Pool lifecycle changes (create,
 * activate, deactivate, destroy) are serialized per pool name; the engine's pool mutex
 * serializes everything inside one active pool. Beside it: the claims of this host's pools on
 * devices (host-pool-claims.ts), pool create with its device and label checks
 * (host-pool-create.ts), and pool extend (capacity/extend-on-host.ts).
 */
import type { BlockClient, DmClient } from '@thinfleet/devmapper';
import { checkPoolName, EngineError, Mutex, type DiscoveredPool, type Engine, type ExtendResult, type Pool, type PoolStatus } from '@thinfleet/engine';
import { KeyedMutex } from './keyed-mutex.js';
import type { Logger } from 'pino';
import { AgentError } from './agent-error.js';
import { extendOnHost } from './capacity/extend-on-host.js';
import type { RegistryPool } from './cluster/cluster-pool-lookup.js';
import { DeviceAttachments, inUserTerms } from './device-attachments.js';
import { DeviceClaims, type PoolClaim } from './device-claims.js';
import { givenDevices, hostPoolClaims, loopsToRelease, prepareOriginOnHost } from './host-pool-claims.js';
import { createOnHost, type CreatedHostPool, type CreateHostPoolRequest } from './host-pool-create.js';
import { OriginAttachments } from './origin-attachments.js';
import type { KnownPool, PoolRegistry } from './pool-registry.js';

/** A pool's report: the engine's status while active, the registry's entry otherwise. */
export interface HostPoolView {
  readonly name: string;
  readonly uuid: string;
  readonly active: boolean;
  readonly devices: readonly string[];
  readonly status: PoolStatus | null;
  readonly recovery: Pool['lastRecovery'];
  readonly problem: string | null;
  /** Cluster mode: this host prefers to serve the pool (`pool join --prefer`). */
  readonly preferred: boolean;
}

export type { OverwrittenLabel } from './label-overwrites.js';
export type { CreatedHostPool, CreateHostPoolRequest } from './host-pool-create.js';

export interface HostPoolsOptions {
  /** The engine's device-mapper client: which dm tables hold a device. */
  readonly dm: DmClient;
  /**
   * Cluster mode: the pools the cluster's registry knows. Asked before `force` overwrites a
   * label; when it rejects (the coordinator cannot be asked) the create is refused.
   */
  readonly clusterPools?: () => Promise<RegistryPool[]>;
}

export class HostPools {
  private readonly locks = new KeyedMutex();
  /** Why a known pool failed to activate at start. */
  private readonly problems = new Map<string, string>();
  private readonly attachments: DeviceAttachments;
  private readonly claims: DeviceClaims;
  /** Serializes every check-then-use of devices (create, activate), across pool names. */
  private readonly deviceLock = new Mutex();
  /** Loop devices over external origin files, per pool. */
  readonly origins: OriginAttachments;

  constructor(
    readonly engine: Engine,
    private readonly registry: PoolRegistry,
    private readonly block: BlockClient,
    private readonly logger: Logger,
    /**
     * Called after a pool becomes active, and awaited before the activation resolves (jobs
     * waiting for it resume; jobs its delete marks name are adopted). Must not reject.
     */
    private readonly onActivated: (name: string) => Promise<void>,
    private readonly options: HostPoolsOptions,
  ) {
    this.attachments = new DeviceAttachments(block);
    this.claims = new DeviceClaims(block, options.dm);
    this.origins = new OriginAttachments(registry, this.attachments, engine, logger);
  }

  /**
   * The devices of every pool this host knows or has active, except pool `except`: the paths
   * the user gave, the loop devices still attached to those files, the engine's paths, and the
   * files of their external origins.
   */
  claimsExcept(except: string | null): Promise<PoolClaim[]> {
    return hostPoolClaims({ engine: this.engine, registry: this.registry, attachments: this.attachments }, except);
  }

  private lock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(name, fn);
  }

  /**
   * Activates every pool the registry marks active, one after another, recovering each. A pool
   * that fails stays known, inactive, with its problem; start-up goes on with the others.
   */
  async activateKnown(): Promise<{ activated: string[]; failed: Array<{ name: string; error: Error }> }> {
    const activated: string[] = [];
    const failed: Array<{ name: string; error: Error }> = [];
    for (const known of this.registry.list()) {
      if (!known.active) continue;
      try {
        await this.activate(known.name, []);
        activated.push(known.name);
      } catch (err) {
        this.problems.set(known.name, (err as Error).message);
        this.logger.error({ pool: known.name, err }, 'pool did not activate at start');
        failed.push({ name: known.name, error: err as Error });
      }
    }
    return { activated, failed };
  }

  /** Every known or active pool, by name. */
  async list(): Promise<HostPoolView[]> {
    const names = new Set([...this.registry.list().map((p) => p.name), ...this.engine.pools().map((p) => p.name)]);
    const views: HostPoolView[] = [];
    for (const name of [...names].sort()) views.push(await this.view(name));
    return views;
  }

  /** One pool. @throws EngineError NO_SUCH_POOL when neither active nor known */
  async view(name: string): Promise<HostPoolView> {
    const known = this.registry.get(name);
    const active = this.engine.pools().find((p) => p.name === name) ?? null;
    if (active !== null) {
      return {
        name,
        uuid: active.uuid,
        active: true,
        devices: known?.devices ?? active.devicePaths,
        status: await active.status(),
        recovery: active.lastRecovery,
        problem: null,
        preferred: known?.preferred ?? false,
      };
    }
    if (known === null) return this.noSuchPool(name);
    return { name, uuid: known.uuid, active: false, devices: known.devices, status: null, recovery: null, problem: this.problems.get(name) ?? null, preferred: known.preferred ?? false };
  }

  /**
   * The active engine Pool named `name`.
   * @throws EngineError NO_SUCH_POOL when this host does not know the pool, POOL_INACTIVE when
   *   it knows it but has it inactive (the message says how to activate it).
   */
  activePool(name: string): Pool {
    const active = this.engine.pools().find((p) => p.name === name);
    if (active !== undefined) return active;
    if (this.registry.get(name) === null) this.noSuchPool(name);
    throw new EngineError('POOL_INACTIVE', `pool ${name} is not active on this host (thinfleet pool activate ${name})`);
  }

  /** The names of the pools this host knows but has not active, sorted. */
  inactiveNames(): string[] {
    const active = new Set(this.engine.pools().map((p) => p.name));
    return this.registry
      .list()
      .map((p) => p.name)
      .filter((name) => !active.has(name))
      .sort();
  }

  private noSuchPool(name: string): never {
    throw new EngineError('NO_SUCH_POOL', `pool ${name} is neither active nor known on this host (pool activate NAME --device PATH imports one)`);
  }

  /**
   * The pools whose labels are on `devices` (files attached to loop devices for the look, and
   * detached again unless a known pool uses them), with paths as the caller named them.
   * Changes nothing on the devices.
   */
  async discover(devices: readonly string[]): Promise<DiscoveredPool[]> {
    const inUse: Record<string, string> = {};
    for (const known of this.registry.list()) Object.assign(inUse, known.loops);
    const attached = await this.attachments.attach('devices', devices, inUse);
    try {
      const asGiven = new Map(attached.paths.map((path, i) => [path, devices[i]!]));
      const found = await this.engine.discover(attached.paths);
      return found.map((p) => ({ ...p, devices: p.devices.map((d) => (d === null ? null : (asGiven.get(d) ?? d))) }));
    } finally {
      const keep = new Set(Object.values(inUse));
      await this.attachments.detach(Object.fromEntries(Object.entries(attached.loops).filter(([, l]) => !keep.has(l))));
    }
  }

  /**
   * Records pool `name`, found on `devices` by its labels, as known here without activating it
   * (a host joining a pool on shared storage). Reads the labels only; writes only pools.json
   * (replaced whole: a crash leaves the pool known or not). Idempotent: a repeat sets `prefer`;
   * a pool already active here keeps its devices.
   * @throws EngineError NO_SUCH_POOL (no such pool on the devices), POOL_INCOMPLETE (a device of
   *   it is missing), NAME_EXISTS (another pool of that name is known here)
   */
  async join(name: string, devices: readonly string[], prefer: boolean): Promise<void> {
    checkPoolName(name);
    const found = (await this.discover(devices)).find((p) => p.name === name);
    if (found === undefined) throw new EngineError('NO_SUCH_POOL', `none of the ${devices.length} device(s) given carries a label of pool ${name}`);
    if (!found.complete || found.devices.some((d) => d === null)) {
      throw new EngineError('POOL_INCOMPLETE', `pool ${name}: name every device of the pool (${found.problems.join('; ') || 'a device is missing'})`);
    }
    return this.lock(name, async () => {
      const known = this.registry.get(name);
      if (known !== null && known.uuid !== '' && known.uuid !== found.uuid) {
        throw new EngineError('NAME_EXISTS', `another pool called ${name} (uuid ${known.uuid}) is already known on this host`);
      }
      const active = this.engine.pools().some((p) => p.name === name);
      const entry = active && known !== null ? known : { name, uuid: found.uuid, devices: found.devices as string[], loops: known?.loops ?? {}, active: known?.active ?? false };
      await this.registry.put({ ...entry, preferred: prefer });
    });
  }

  /**
   * Creates a pool: host-pool-create.ts says how its devices and the labels `force` overwrites
   * are checked (by this host and, in cluster mode, the cluster's registry) and its crash story.
   * Runs under the pool's lock and the device lock; the pool's jobs are adopted after.
   * @throws AgentError DEVICE_IN_USE (nothing changed), CLUSTER_UNAVAILABLE (force while the
   *   registry cannot be asked); EngineError as Engine.createPool
   */
  async create(request: CreateHostPoolRequest): Promise<CreatedHostPool> {
    return this.lock(request.name, async () => {
      const deps = { ...this.claimDeps(), logger: this.logger, clusterPools: this.options.clusterPools, problems: this.problems };
      const created = await this.deviceLock.run(() => createOnHost(deps, request));
      // Outside the device lock: what runs on activation may take its time.
      await this.onActivated(request.name);
      return created;
    });
  }

  /**
   * Activates a known pool from its recorded devices, or imports one from `devices`.
   * Idempotent. Records the pool as active so the next start activates it again. A failure is
   * kept as the pool's problem (shown by list/view) until it activates.
   * @throws AgentError DEVICE_IN_USE when a device belongs to another pool of this host (nothing
   *   changed); EngineError as Engine.activatePool
   */
  async activate(name: string, devices: readonly string[]): Promise<Pool> {
    return this.lock(name, async () => {
      const { pool, activated } = await this.deviceLock.run(async () => {
        const already = this.engine.pools().find((p) => p.name === name || p.uuid === name);
        if (already !== undefined) return { pool: already, activated: false };
        // A known pool may be named by its uuid too (an import by uuid of a pool this host knows).
        const known = this.registry.get(name) ?? this.registry.list().find((k) => k.uuid !== '' && k.uuid === name) ?? null;
        const given_ = devices.length > 0 ? devices : (known?.devices ?? []);
        if (given_.length === 0) this.noSuchPool(name);
        try {
          return { pool: await this.activateOn(name, known, given_, devices.length > 0 ? 'devices' : 'recorded devices'), activated: true };
        } catch (err) {
          if (known !== null) this.problems.set(known.name, (err as Error).message);
          throw err;
        }
      });
      // Outside the device lock: what runs on activation may take its time.
      if (activated) await this.onActivated(pool.name);
      return pool;
    });
  }

  private async activateOn(name: string, known: KnownPool | null, devices: readonly string[], field: string): Promise<Pool> {
    await this.claims.check(givenDevices(field, devices), await this.claimsExcept(known?.name ?? name), null);
    const attached = await this.attachments.attach(field, devices, known?.loops ?? {});
    const reused = new Set(Object.values(known?.loops ?? {}));
    const attachedNow = Object.fromEntries(Object.entries(attached.loops).filter(([, l]) => !reused.has(l)));
    let pool: Pool;
    try {
      if (known !== null) await this.origins.attachRecorded(known);
      pool = await this.engine.activatePool(name, attached.paths);
    } catch (err) {
      await this.attachments.detach(attachedNow);
      if (known !== null) await this.origins.detachAll(known.name);
      throw inUserTerms(err, attached.loops);
    }
    await this.registry.put({ ...(this.registry.get(pool.name) ?? {}), name: pool.name, uuid: pool.uuid, devices: [...devices], loops: attached.loops, active: true });
    this.problems.delete(pool.name);
    await this.origins.adoptFromCatalog(pool.name);
    await this.origins.releaseUnused(pool.name);
    return pool;
  }

  /**
   * Deactivates a pool and detaches the loop devices it attached (those still attached to its
   * files; a loop device since reused for another file is left alone); it stays known, with
   * no loop devices recorded. Idempotent: deactivating an inactive pool changes nothing.
   */
  async deactivate(name: string): Promise<void> {
    return this.lock(name, async () => {
      const known = this.registry.get(name);
      const active = this.engine.pools().find((p) => p.name === name);
      if (active === undefined && known === null) this.noSuchPool(name);
      if (active !== undefined) await active.deactivate();
      if (known !== null) {
        await this.detachLoops(name, known.loops);
        await this.origins.detachAll(name);
        await this.registry.update(name, (k) => ({ ...k, loops: {}, active: false }));
      }
    });
  }

  /**
   * Destroys an active pool (the engine wipes its labels) and forgets it. A known pool that is
   * not active is refused (POOL_INACTIVE: activate it first, or forget it), changing nothing.
   */
  async destroy(name: string, force: boolean): Promise<void> {
    return this.lock(name, async () => {
      const known = this.registry.get(name);
      if (known !== null && !this.engine.pools().some((p) => p.name === name)) {
        const problem = this.problems.get(name);
        throw new EngineError(
          'POOL_INACTIVE',
          `pool ${name} is not active on this host${problem === undefined ? '' : ` (${problem})`}: activate it to destroy it, or \`pool forget ${name}\` to drop its record without touching its devices`,
        );
      }
      await this.engine.destroyPool(name, { force }).catch((err: unknown) => {
        throw inUserTerms(err, known?.loops ?? {});
      });
      if (known !== null) await this.detachLoops(name, known.loops);
      await this.origins.detachAll(name);
      await this.registry.remove(name);
      this.problems.delete(name);
    });
  }

  /**
   * Drops the record of a pool that is not active (its devices lost their label, or are gone):
   * detaches the loop devices this host attached for it (only those still attached to its
   * files and held by no device-mapper table), and writes nothing to any device.
   * Idempotent in effect: a second call answers NO_SUCH_POOL.
   * @throws EngineError NO_SUCH_POOL (not known), AgentError POOL_ACTIVE (active, or its devices
   *   are still in the kernel, e.g. fenced: deactivate it first)
   */
  async forget(name: string): Promise<{ released: string[] }> {
    return this.lock(name, async () => {
      const known = this.registry.get(name);
      if (this.engine.pools().some((p) => p.name === name)) {
        throw new AgentError('POOL_ACTIVE', `pool ${name} is active on this host: deactivate it first (or destroy it)`);
      }
      if (known === null) this.noSuchPool(name);
      const devices = await this.engine.poolDeviceState(name);
      if (devices !== 'absent') {
        throw new AgentError('POOL_ACTIVE', `pool ${name} still has device-mapper devices on this host (${devices}): deactivate it first`);
      }
      const { free, released } = await loopsToRelease({ block: this.block, attachments: this.attachments, claims: this.claims, logger: this.logger }, name, known.loops);
      await this.detachLoops(name, free);
      await this.origins.detachAll(name);
      await this.registry.remove(name);
      this.problems.delete(name);
      this.logger.info({ pool: name, released }, 'pool record forgotten; its devices were not written');
      return { released };
    });
  }

  /**
   * `pool extend`: adds `device` to active pool `name`'s data region (capacity/extend-on-host.ts
   * says how it is checked and its crash story), under the pool's lock and the device lock.
   */
  async extend(name: string, field: string, device: string, sizeBytes: number | null): Promise<ExtendResult> {
    return this.lock(name, () => this.deviceLock.run(() => extendOnHost(this.claimDeps(), name, field, device, sizeBytes)));
  }

  /**
   * Makes `path` usable as an external origin of active pool `pool` (request field `field`):
   * refuses a device of any pool of this host (under any of its names), attaches a regular file
   * read-only to a loop device and records it (origin-attachments.ts), then lets the engine
   * refuse anything of the pool itself or stacked on it. Call `origins.releaseUnused` after the
   * volume call, whatever its outcome.
   * @throws AgentError BAD_REQUEST naming `field`, NO_SUCH_DEVICE
   */
  async prepareOrigin(pool: Pool, field: string, path: string): Promise<void> {
    await prepareOriginOnHost({ ...this.claimDeps(), origins: this.origins }, pool, field, path);
  }

  /**
   * Refuses `path` (request field `field`) when it is a device of a pool of this host (under
   * any of its names) or an external origin file's loop device. Reads only.
   * @throws AgentError DEVICE_IN_USE naming `field`
   */
  async requireUnclaimed(field: string, path: string): Promise<void> {
    await this.claims.check([{ field, path, blockPath: path }], await this.claimsExcept(null), null);
  }

  /**
   * Writes every pool's staged commit record (agent shutdown). Pools stay active: stopping the
   * agent never takes volumes away from the VMs using them; the next start adopts the devices.
   */
  async flushAll(): Promise<void> {
    for (const pool of this.engine.pools()) {
      try {
        await pool.flushCatalog();
      } catch (err) {
        this.logger.error({ pool: pool.name, err }, 'catalog flush failed at shutdown; the next activation recovers');
      }
    }
  }

  /** What the claim checks (create, extend, origins) use of this host's pools. */
  private claimDeps() {
    return { engine: this.engine, registry: this.registry, attachments: this.attachments, claims: this.claims, claimsExcept: (except: string | null) => this.claimsExcept(except) };
  }

  private async detachLoops(name: string, loops: Readonly<Record<string, string>>): Promise<void> {
    for (const err of await this.attachments.detach(loops)) {
      this.logger.warn({ pool: name, err }, 'loop device did not detach');
    }
  }
}
