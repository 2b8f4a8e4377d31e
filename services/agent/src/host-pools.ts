/**
 * The pools of this host as the agent sees them: the engine's active pools, plus the pools the
 * registry knows that are not active (deactivated, or failed to activate at start). Pool
 * lifecycle changes (create, activate, deactivate, destroy) are serialized per pool name; the
 * engine's pool mutex serializes everything inside one active pool.
 */
import { checkPoolName, EngineError, Mutex, type DiscoveredPool, type Engine, type Pool, type PoolStatus } from '@thinfleet/engine';
import type { Logger } from 'pino';
import { DeviceAttachments } from './device-attachments.js';
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

export interface CreateHostPoolRequest {
  readonly name: string;
  readonly devices: readonly string[];
  readonly dataBlockBytes?: number;
  readonly metadataBytes?: number;
  readonly force?: boolean;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export class HostPools {
  private readonly locks = new Map<string, Mutex>();
  /** Why a known pool failed to activate at start. */
  private readonly problems = new Map<string, string>();
  private readonly attachments: DeviceAttachments;

  constructor(
    readonly engine: Engine,
    private readonly registry: PoolRegistry,
    block: ConstructorParameters<typeof DeviceAttachments>[0],
    private readonly logger: Logger,
    /**
     * Called after a pool becomes active, and awaited before the activation resolves (jobs
     * waiting for it resume; jobs its delete marks name are adopted). Must not reject.
     */
    private readonly onActivated: (name: string) => Promise<void> = async () => {},
  ) {
    this.attachments = new DeviceAttachments(block);
  }

  private lock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    let m = this.locks.get(name);
    if (m === undefined) {
      m = new Mutex();
      this.locks.set(name, m);
    }
    return m.run(fn);
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
        devices: known?.devices ?? active.core.devicePaths,
        status: await active.status(),
        recovery: active.lastRecovery,
        problem: null,
        preferred: known?.preferred ?? false,
      };
    }
    if (known === null) return this.noSuchPool(name);
    return { name, uuid: known.uuid, active: false, devices: known.devices, status: null, recovery: null, problem: this.problems.get(name) ?? null, preferred: known.preferred ?? false };
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
      await this.attachments.detach(Object.values(attached.loops).filter((l) => !keep.has(l)));
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
   * Creates a pool. Crash story: the registry entry is written first, marked active with no
   * uuid yet; then the engine creates the pool (its own steps are crash-safe); then the entry
   * gets the uuid. A crash before the engine's label makes the pool leaves an entry whose start-up
   * activation fails with its problem, and `create` may be run again over it; a crash after
   * leaves a pool the next start activates (the engine completes it) and records. A create that
   * fails without a crash removes the entry and the loop devices it attached.
   */
  async create(request: CreateHostPoolRequest): Promise<Pool> {
    return this.lock(request.name, async () => {
      checkPoolName(request.name);
      const known = this.registry.get(request.name);
      const unfinished = known !== null && known.uuid === '';
      if ((known !== null && !unfinished) || this.engine.pools().some((p) => p.name === request.name)) {
        throw new EngineError('NAME_EXISTS', `a pool called ${request.name} is already known on this host`);
      }
      const attached = await this.attachments.attach('devices', request.devices);
      let done = false;
      try {
        await this.registry.put({ name: request.name, uuid: '', devices: [...request.devices], loops: attached.loops, active: true });
        const pool = await this.engine.createPool({
          name: request.name,
          devices: attached.paths,
          ...(request.dataBlockBytes ? { dataBlockBytes: request.dataBlockBytes } : {}),
          ...(request.metadataBytes ? { metadataBytes: request.metadataBytes } : {}),
          // Labels an unfinished create of the same pool on the same devices left are reused.
          force: (request.force ?? false) || (unfinished && sameList(known.devices, request.devices)),
        });
        done = true; // the pool exists now: whatever happens next, its devices stay
        await this.registry.put({ name: request.name, uuid: pool.uuid, devices: [...request.devices], loops: attached.loops, active: true });
        this.problems.delete(request.name);
        await this.onActivated(request.name);
        return pool;
      } finally {
        if (!done) {
          await this.registry.remove(request.name);
          await this.attachments.detach(Object.values(attached.loops));
        }
      }
    });
  }

  /**
   * Activates a known pool from its recorded devices, or imports one from `devices`.
   * Idempotent. Records the pool as active so the next start activates it again.
   */
  async activate(name: string, devices: readonly string[]): Promise<Pool> {
    return this.lock(name, async () => {
      const already = this.engine.pools().find((p) => p.name === name || p.uuid === name);
      if (already !== undefined) return already;
      const known = this.registry.get(name);
      const given = devices.length > 0 ? devices : (known?.devices ?? []);
      if (given.length === 0) this.noSuchPool(name);
      const attached = await this.attachments.attach('devices', given, known?.loops ?? {});
      let pool: Pool;
      try {
        pool = await this.engine.activatePool(name, attached.paths);
      } catch (err) {
        const reused = new Set(Object.values(known?.loops ?? {}));
        await this.attachments.detach(Object.values(attached.loops).filter((l) => !reused.has(l)));
        throw err;
      }
      await this.registry.put({ name: pool.name, uuid: pool.uuid, devices: [...given], loops: attached.loops, active: true });
      this.problems.delete(pool.name);
      await this.onActivated(pool.name);
      return pool;
    });
  }

  /** Deactivates a pool and detaches its loop devices; it stays known. Idempotent. */
  async deactivate(name: string): Promise<void> {
    return this.lock(name, async () => {
      const known = this.registry.get(name);
      const active = this.engine.pools().find((p) => p.name === name);
      if (active === undefined && known === null) this.noSuchPool(name);
      if (active !== undefined) await active.deactivate();
      if (known !== null) {
        await this.detachLoops(name, known);
        await this.registry.put({ ...known, active: false });
      }
    });
  }

  /** Destroys an active pool (the engine wipes its labels) and forgets it. */
  async destroy(name: string, force: boolean): Promise<void> {
    return this.lock(name, async () => {
      await this.engine.destroyPool(name, { force });
      const known = this.registry.get(name);
      if (known !== null) await this.detachLoops(name, known);
      await this.registry.remove(name);
      this.problems.delete(name);
    });
  }

  /**
   * Writes every pool's staged commit record (agent shutdown). Pools stay active: stopping the
   * agent never takes volumes away from the VMs using them; the next start adopts the devices.
   */
  async flushAll(): Promise<void> {
    for (const pool of this.engine.pools()) {
      try {
        await pool.core.catalog.flush();
      } catch (err) {
        this.logger.error({ pool: pool.name, err }, 'catalog flush failed at shutdown; the next activation recovers');
      }
    }
  }

  private async detachLoops(name: string, known: KnownPool): Promise<void> {
    for (const err of await this.attachments.detach(Object.values(known.loops))) {
      this.logger.warn({ pool: name, err }, 'loop device did not detach');
    }
  }
}
