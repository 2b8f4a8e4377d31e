/**
 * A test host for the conformance suite: a DmClient and BlockClient (native or simulated) plus
 * the disk files, loop devices and dm devices a test makes, all torn down afterwards. Device
 * names carry a per-run prefix so leftovers never collide with anything else on the host.
 *
 * In the kernel tier, pool metadata files are made in $THINFLEET_KERNEL_ARTIFACTS and kept after
 * teardown, so the tier can run thin_check on each.
 */
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  isDmError,
  NativeBlockClient,
  NativeDmClient,
  NO_THIN_POOL_FEATURES,
  openSimHost,
  ThinPoolControl,
  thinId,
  toTargetLines,
  type BlockClient,
  type DmClient,
  type ThinPoolFeatures,
} from '@thinfleet/devmapper';

export interface TestPool {
  readonly name: string;
  readonly path: string;
  readonly control: ThinPoolControl;
  readonly metadataLoop: string;
  readonly dataLoop: string;
  readonly metadataFile: string;
  readonly dataBlockSectors: number;
}

export interface PoolOptions {
  readonly dataBytes?: number;
  /** Pool target length; defaults to the whole data device. */
  readonly poolSectors?: number;
  readonly metadataBytes?: number;
  readonly dataBlockSectors?: number;
  readonly lowWaterMarkBlocks?: number;
  readonly features?: Partial<ThinPoolFeatures>;
  /** Keep the metadata file for thin_check (default true). */
  readonly checkAfter?: boolean;
}

export class DmTestHost {
  private readonly prefix = `tfc${randomBytes(3).toString('hex')}-`;
  private readonly loops: string[] = [];
  private counter = 0;
  private closeHost: () => void = () => {};

  private constructor(
    readonly dm: DmClient,
    readonly block: BlockClient,
    readonly dir: string,
  ) {}

  /** Opens the client chosen by THINFLEET_DM (`sim`, the default, or `native`). */
  static async open(): Promise<DmTestHost> {
    const dir = await mkdtemp(join(tmpdir(), 'thinfleet-dm-'));
    if ((process.env.THINFLEET_DM ?? 'sim') === 'native') {
      return new DmTestHost(new NativeDmClient(), new NativeBlockClient(), dir);
    }
    const sim = await openSimHost(join(dir, 'kernel'));
    const host = new DmTestHost(sim.dm, sim.block, dir);
    host.closeHost = () => sim.close();
    return host;
  }

  /** A fresh device name for this test run. */
  name(label: string): string {
    this.counter += 1;
    return `${this.prefix}${label}${this.counter}`;
  }

  /** A sparse file of `sizeBytes`, optionally in another directory. */
  async file(sizeBytes: number, dir = this.dir, suffix = '.img'): Promise<string> {
    this.counter += 1;
    const path = join(dir, `${this.prefix}${this.counter}${suffix}`);
    await writeFile(path, '');
    await truncate(path, sizeBytes);
    return path;
  }

  /** A loop device over a new sparse file (or `file`). */
  async loop(sizeBytes: number, options: { file?: string; readOnly?: boolean } = {}): Promise<string> {
    const file = options.file ?? (await this.file(sizeBytes));
    const path = await this.block.attachLoop(file, { readOnly: options.readOnly ?? false });
    this.loops.push(path);
    return path;
  }

  /** Creates a device with a linear table over `device` and resumes it. */
  async linear(device: string, lengthSectors: number, offsetSectors = 0, label = 'lin'): Promise<string> {
    const name = this.name(label);
    await this.dm.create(name);
    await this.dm.load(name, toTargetLines([{ startSector: 0, lengthSectors, target: { type: 'linear', device, offsetSectors } }]));
    await this.dm.resume(name);
    return name;
  }

  /** Creates an active thin pool directly over two loop devices. */
  async pool(options: PoolOptions = {}): Promise<TestPool> {
    const dataBytes = options.dataBytes ?? 64 * 1024 * 1024;
    const metadataBytes = options.metadataBytes ?? 4 * 1024 * 1024;
    const dataBlockSectors = options.dataBlockSectors ?? 128;
    const artifacts = process.env.THINFLEET_KERNEL_ARTIFACTS;
    const metadataFile = await this.file(metadataBytes, artifacts !== undefined && options.checkAfter !== false ? artifacts : this.dir, '.meta');
    const metadataLoop = await this.loop(metadataBytes, { file: metadataFile });
    const dataLoop = await this.loop(dataBytes);
    const name = this.name('pool');
    await this.dm.create(name);
    await this.dm.load(
      name,
      toTargetLines([
        {
          startSector: 0,
          lengthSectors: options.poolSectors ?? dataBytes / 512,
          target: {
            type: 'thin-pool',
            metadataDevice: metadataLoop,
            dataDevice: dataLoop,
            dataBlockSectors,
            lowWaterMarkBlocks: options.lowWaterMarkBlocks ?? 0,
            features: { ...NO_THIN_POOL_FEATURES, ...options.features },
          },
        },
      ]),
    );
    await this.dm.resume(name);
    return {
      name,
      path: this.dm.devicePath(name),
      control: new ThinPoolControl(this.dm, name),
      metadataLoop,
      dataLoop,
      metadataFile,
      dataBlockSectors,
    };
  }

  /** Creates and resumes a thin device for thin id `id` of `pool` (the id must exist). */
  async thin(pool: TestPool, id: number, sizeBytes: number, externalOrigin?: string): Promise<string> {
    const name = this.name('thin');
    await this.dm.create(name);
    try {
      await this.dm.load(
        name,
        toTargetLines([
          {
            startSector: 0,
            lengthSectors: sizeBytes / 512,
            target: { type: 'thin', poolDevice: pool.path, thinId: thinId(id), ...(externalOrigin ? { externalOrigin } : {}) },
          },
        ]),
      );
      await this.dm.resume(name);
    } catch (err) {
      await this.dm.remove(name);
      throw err;
    }
    return name;
  }

  /**
   * Removes every device this run made (users before what they use), detaches its loop
   * devices and deletes its files. Kernel-tier metadata files stay for thin_check.
   */
  async teardown(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      const ours = (await this.dm.list()).filter((d) => d.name.startsWith(this.prefix));
      if (ours.length === 0) break;
      for (const d of ours) {
        const info = await this.dm.info(d.name).catch(() => null);
        if (info?.suspended) await this.dm.resume(d.name).catch(() => undefined);
        await this.dm.remove(d.name).catch(() => undefined);
      }
    }
    const left = (await this.dm.list()).filter((d) => d.name.startsWith(this.prefix));
    for (const loop of this.loops.splice(0)) await this.block.detachLoop(loop).catch(() => undefined);
    this.closeHost();
    await rm(this.dir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`teardown left devices behind: ${left.map((d) => d.name).join(', ')}`);
  }
}

/** Asserts that `promise` rejects with a DmError with errno name `code`. */
export async function expectErrno(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => new Error(`expected ${code}, but the call succeeded`),
    (e: unknown) => e,
  );
  if (!isDmError(err) || err.code !== code) {
    throw new Error(`expected a DmError ${code}, got ${String(err)}`, { cause: err });
  }
}

export { pattern } from '../../../../test/support/seeded.mjs';

/**
 * Asserts two byte ranges are equal; on a mismatch, says where they first differ (vitest's deep
 * equality is far too slow for megabytes).
 */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (Buffer.compare(actual, expected) === 0) return;
  let at = 0;
  while (at < Math.min(actual.length, expected.length) && actual[at] === expected[at]) at++;
  throw new Error(`bytes differ: lengths ${actual.length} and ${expected.length}, first difference at offset ${at} ` + `(actual ${actual[at]}, expected ${expected[at]})`);
}
