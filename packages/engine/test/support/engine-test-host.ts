/**
 * A host for engine tests: the simulated kernel (THINFLEET_DM=sim, default) or the real one
 * (native, kernel tier), sparse files attached as loop devices for pool devices, engines over
 * it, and teardown of everything a test made. Pool names carry a per-run prefix so nothing
 * collides with other runs on a real kernel.
 */
import { mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { CatalogStore, fileCatalogDevice, readLabel } from '@thinfleet/catalog';
import { randomBytes } from 'node:crypto';
import { NativeBlockClient, NativeDmClient, openSimHost, SimKernel, type BlockClient, type DmClient, type SimHost } from '@thinfleet/devmapper';
import { Engine, reduceCatalog, type CatalogRecord, type CatalogState, type EngineOptions, type Pool } from '@thinfleet/engine';
import { pattern } from '../../../devmapper/test/conformance/dm-test-host.js';

export { pattern, expectSameBytes } from '../../../devmapper/test/conformance/dm-test-host.js';

const MiB = 1024 * 1024;

/** Small catalog regions so test pools stay small. */
export const SMALL_CATALOG = { catalogSlotBytes: 256 * 1024, catalogJournalBytes: 256 * 1024 } as const;

export class EngineTestHost {
  readonly prefix = `t${randomBytes(3).toString('hex')}`;
  private readonly files: string[] = [];
  private loops: string[] = [];
  private sim: SimHost | null;
  private counter = 0;
  dm: DmClient;
  block: BlockClient;

  private constructor(
    readonly dir: string,
    readonly kind: 'sim' | 'native',
    sim: SimHost | null,
    dm: DmClient,
    block: BlockClient,
  ) {
    this.sim = sim;
    this.dm = dm;
    this.block = block;
  }

  static async open(): Promise<EngineTestHost> {
    const dir = await mkdtemp(join(tmpdir(), 'thinfleet-engine-'));
    if ((process.env.THINFLEET_DM ?? 'sim') === 'native') {
      return new EngineTestHost(dir, 'native', null, new NativeDmClient(), new NativeBlockClient());
    }
    const sim = await openSimHost(join(dir, 'kernel'));
    return new EngineTestHost(dir, 'sim', sim, sim.dm, sim.block);
  }

  /** A pool name unique to this run. */
  poolName(label = 'p'): string {
    this.counter += 1;
    return `${this.prefix}${label}${this.counter}`;
  }

  /** Loop devices over new sparse files of `sizeBytes` each. */
  async devices(count: number, sizeBytes = 64 * MiB): Promise<string[]> {
    const paths: string[] = [];
    for (let i = 0; i < count; i++) {
      this.counter += 1;
      const file = join(this.dir, `${this.prefix}-${this.counter}.img`);
      await writeFile(file, '');
      await truncate(file, sizeBytes);
      this.files.push(file);
      const loop = await this.block.attachLoop(file);
      this.loops.push(loop);
      paths.push(loop);
    }
    return paths;
  }

  /** An engine over this host's kernel (or over the given clients, e.g. crash-injecting ones). */
  engine(options: Partial<EngineOptions> = {}): Engine {
    return new Engine({ dm: this.dm, block: this.block, ...options });
  }

  /**
   * Simulator only: a reboot. The kernel forgets every device and loop device; the files keep
   * their bytes. Loop devices are attached again (in the same order) and returned.
   */
  async reboot(): Promise<string[]> {
    if (this.sim === null) throw new Error('reboot needs the simulator');
    this.sim.close();
    SimKernel.reboot(join(this.dir, 'kernel'));
    this.sim = await openSimHost(join(this.dir, 'kernel'));
    this.dm = this.sim.dm;
    this.block = this.sim.block;
    this.loops = [];
    for (const file of this.files) this.loops.push(await this.block.attachLoop(file));
    return [...this.loops];
  }

  /** Writes `pattern(seed)` at the start of an active volume. */
  async writePattern(pool: Pool, volume: string, seed: number, lengthBytes = 64 * 1024): Promise<void> {
    const info = await pool.activateVolume(volume);
    await this.block.write(info.devicePath!, 0, pattern(seed, lengthBytes));
  }

  /** Reads the first `lengthBytes` of a volume, activating it for the read if it was inactive. */
  async readStart(pool: Pool, volume: string, lengthBytes = 64 * 1024): Promise<Buffer> {
    const before = (await pool.list()).find((v) => v.name === volume);
    const info = await pool.activateVolume(volume);
    const bytes = await this.block.read(info.devicePath!, 0, lengthBytes);
    if (before && !before.active) await pool.deactivateVolume(volume);
    return bytes;
  }

  /**
   * Opens a device the way a VM or a mount would, until the returned function is called. The
   * simulator has no files under /dev, so it counts an opener in its kernel instead.
   */
  async holdOpen(devicePath: string): Promise<() => Promise<void>> {
    const name = devicePath.replace('/dev/mapper/', '');
    if (this.sim !== null) {
      const dm = this.sim.dm;
      dm.holdOpen(name);
      return async () => dm.releaseOpen(name);
    }
    const handle = await open(devicePath, 'r');
    return () => handle.close();
  }

  /**
   * Kernel tier: copies the kernel metadata region of every pool whose device 0 is one of this
   * run's files to $THINFLEET_KERNEL_ARTIFACTS/<file>.meta, where the tier runs thin_check on it.
   */
  private async keepKernelMetadata(): Promise<void> {
    const artifacts = process.env.THINFLEET_KERNEL_ARTIFACTS;
    if (this.kind !== 'native' || artifacts === undefined) return;
    for (const file of this.files) {
      const device = fileCatalogDevice(file);
      try {
        const label = await readLabel(device).catch(() => null);
        if (label?.catalog == null) continue;
        const catalog = await CatalogStore.open<CatalogState, CatalogRecord>({ device, layout: label.catalog, reduce: reduceCatalog });
        const { offsetBytes, lengthBytes } = catalog.state.pool.layout.metadata;
        const bytes = await device.read(offsetBytes, lengthBytes);
        await writeFile(join(artifacts, `${basename(file)}.meta`), bytes);
      } finally {
        await device.close();
      }
    }
  }

  /** Removes every device-mapper device of this run's pools, detaches loops, deletes files. */
  async teardown(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      const ours = (await this.dm.list()).filter((d) => d.name.startsWith(`tf-${this.prefix}`));
      if (ours.length === 0) break;
      // Volumes before pools, pools before their linear devices.
      const rank = (n: string): number => (n.endsWith('-_tmeta') || n.endsWith('-_tdata') ? 2 : n.endsWith('-_tpool') ? 1 : 0);
      for (const d of ours.sort((a, b) => rank(a.name) - rank(b.name))) {
        const info = await this.dm.info(d.name).catch(() => null);
        if (info?.suspended) await this.dm.resume(d.name).catch(() => undefined);
        await this.dm.remove(d.name).catch(() => undefined);
      }
    }
    const left = (await this.dm.list()).filter((d) => d.name.startsWith(`tf-${this.prefix}`));
    for (const loop of this.loops.splice(0)) await this.block.detachLoop(loop).catch(() => undefined);
    if (left.length === 0) await this.keepKernelMetadata();
    this.sim?.close();
    await rm(this.dir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`teardown left devices behind: ${left.map((d) => d.name).join(', ')}`);
  }
}
