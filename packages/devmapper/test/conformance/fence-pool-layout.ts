/**
 * A pool laid out as the engine lays one out, for the fence tests: linear `_tmeta` and
 * `_tdata` devices over two disks, a `_tpool` thin-pool over them and two thin volumes, all
 * under one name prefix, with the PoolFencePlan that names them.
 */
import { NO_THIN_POOL_FEATURES, ThinPoolControl, thinId, toTargetLines, type PoolFencePlan } from '@thinfleet/devmapper';
import { pattern, type DmTestHost } from './dm-test-host.js';

const MiB = 1024 * 1024;
export const META_SECTORS = (4 * MiB) / 512;
export const DATA_SECTORS = (32 * MiB) / 512;
const VOLUME_BYTES = 8 * MiB;

/** Makes a device named `name` with `table` live. */
async function device(host: DmTestHost, name: string, table: Parameters<typeof toTargetLines>[0]): Promise<void> {
  await host.dm.create(name);
  await host.dm.load(name, toTargetLines(table));
  await host.dm.resume(name);
}

/** A live pool as the engine lays one out, with two thin volumes; the first holds `written`. */
export async function livePool(host: DmTestHost): Promise<{ plan: PoolFencePlan; volumes: string[]; written: Buffer }> {
  const prefix = `${host.name('fp')}-`;
  const plan: PoolFencePlan = { pool: 'fp', devicePrefix: prefix, metaDevice: `${prefix}_tmeta`, dataDevice: `${prefix}_tdata`, poolDevice: `${prefix}_tpool` };
  // In the kernel tier the metadata disk's file is kept for thin_check: the fence must leave
  // the last committed metadata intact.
  const artifacts = process.env.THINFLEET_KERNEL_ARTIFACTS;
  const metaFile = await host.file(META_SECTORS * 512, artifacts ?? host.dir, '.meta');
  const metaDisk = await host.loop(META_SECTORS * 512, { file: metaFile });
  const dataDisk = await host.loop(DATA_SECTORS * 512);
  await device(host, plan.metaDevice, [{ startSector: 0, lengthSectors: META_SECTORS, target: { type: 'linear', device: metaDisk, offsetSectors: 0 } }]);
  await device(host, plan.dataDevice, [{ startSector: 0, lengthSectors: DATA_SECTORS, target: { type: 'linear', device: dataDisk, offsetSectors: 0 } }]);
  await device(host, plan.poolDevice, [
    {
      startSector: 0,
      lengthSectors: DATA_SECTORS,
      target: {
        type: 'thin-pool',
        metadataDevice: host.dm.devicePath(plan.metaDevice),
        dataDevice: host.dm.devicePath(plan.dataDevice),
        dataBlockSectors: 128,
        lowWaterMarkBlocks: 0,
        features: NO_THIN_POOL_FEATURES,
      },
    },
  ]);
  const control = new ThinPoolControl(host.dm, plan.poolDevice);
  const volumes = [`${prefix}vol0`, `${prefix}vol1`];
  for (const [i, name] of volumes.entries()) {
    await control.createThin(thinId(i));
    await device(host, name, [{ startSector: 0, lengthSectors: VOLUME_BYTES / 512, target: { type: 'thin', poolDevice: host.dm.devicePath(plan.poolDevice), thinId: thinId(i) } }]);
  }
  const written = pattern(1, 64 * 1024);
  await host.block.write(host.dm.devicePath(volumes[0]!), 0, written);
  return { plan, volumes, written };
}
