/**
 * The pools this agent knows, kept in `<stateDir>/pools.json`: for each, the devices as the
 * user named them (block devices or files), the loop devices the files were last attached to,
 * and whether the pool should be active. At start the agent activates every pool marked active.
 *
 * Crash story: the file is replaced whole (write a temp file, fsync, rename, fsync the
 * directory), so a crash leaves the old or the new registry, never a torn one. The devices
 * themselves are the truth about a pool (labels and catalog): an entry whose devices hold no
 * pool (a create that crashed before its label) fails activation and is shown with its problem;
 * a pool that exists but is missing here (a crash between create and this write) is imported
 * with `pool activate NAME --device ...`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Mutex } from '@thinfleet/engine';
import { readStateFileSync, writeFileDurably } from './durable-file.js';

export interface KnownPool {
  readonly name: string;
  /** Empty until the pool exists on its devices. */
  readonly uuid: string;
  /** As the user gave them, device 0 first. */
  readonly devices: readonly string[];
  /** The loop device each file among `devices` was last attached to. */
  readonly loops: Readonly<Record<string, string>>;
  /** Activate at agent start. */
  readonly active: boolean;
  /**
   * Regular files used as external origins by the pool's volumes, each with the read-only loop
   * device it is attached to ('' while the pool is inactive). Absent in older registries.
   */
  readonly origins?: Readonly<Record<string, string>>;
  /** Cluster mode: this host prefers to serve the pool (joined with `prefer`). Absent: no. */
  readonly preferred?: boolean;
}

interface RegistryFile {
  readonly version: 1;
  readonly pools: Record<string, KnownPool>;
}

export class PoolRegistry {
  private pools = new Map<string, KnownPool>();
  private readonly path: string;
  /**
   * One change at a time, each made from the registry as the last one left it: two pools'
   * changes that overlapped (HostPools locks per pool) each wrote the file from the same old
   * map, and the later write dropped the other's entry.
   */
  private readonly writes = new Mutex();

  private constructor(readonly stateDir: string) {
    this.path = join(stateDir, 'pools.json');
  }

  /** Opens (creating the state directory if needed) and reads the registry. */
  static open(stateDir: string): PoolRegistry {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const registry = new PoolRegistry(stateDir);
    const parsed = readStateFileSync<RegistryFile>(registry.path, 'registry version');
    if (parsed !== null) for (const pool of Object.values(parsed.pools)) registry.pools.set(pool.name, pool);
    return registry;
  }

  /** Known pools, sorted by name. */
  list(): KnownPool[] {
    return [...this.pools.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): KnownPool | null {
    return this.pools.get(name) ?? null;
  }

  /** Adds or replaces the entry of `pool.name`, durably. */
  async put(pool: KnownPool): Promise<void> {
    await this.writes.run(async () => {
      const next = new Map(this.pools);
      next.set(pool.name, pool);
      await this.save(next);
    });
  }

  /**
   * Replaces the entry of `name` with `change(entry)`, read and written under the registry's
   * write lock, durably. Does nothing when `name` is not known.
   */
  async update(name: string, change: (pool: KnownPool) => KnownPool): Promise<void> {
    await this.writes.run(async () => {
      const current = this.pools.get(name);
      if (current === undefined) return;
      const next = new Map(this.pools);
      next.set(name, change(current));
      await this.save(next);
    });
  }

  /** Forgets `name`, durably. Idempotent. */
  async remove(name: string): Promise<void> {
    await this.writes.run(async () => {
      if (!this.pools.has(name)) return;
      const next = new Map(this.pools);
      next.delete(name);
      await this.save(next);
    });
  }

  private async save(next: Map<string, KnownPool>): Promise<void> {
    const file: RegistryFile = { version: 1, pools: Object.fromEntries([...next].sort(([a], [b]) => a.localeCompare(b))) };
    await writeFileDurably(this.path, `${JSON.stringify(file, null, 2)}\n`);
    this.pools = next;
  }
}
