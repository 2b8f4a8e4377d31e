/**
 * Target constructors of the simulated kernel: they check a table line as the kernel's target
 * constructors do (same errno), open what it names, and give the target's I/O, table text and
 * status text in the kernel's format.
 */
import { DmError } from '../dm-error.js';
import type { DmTargetLine } from '../dm-client.js';
import { SECTOR_BYTES } from '../units.js';
import { isValidDataBlockSectors, parseTarget, TableParseError, type ThinPoolFeatures } from '../targets/target.js';
import { devKey, devNumberOf } from './sim-devices.js';
import type { SimKernel } from './sim-kernel.js';
import { SimThinPool, type ExternalOriginIo } from './sim-thin-pool.js';
import { constructSnapshotTarget } from './sim-snapshot-targets.js';
import { constructMirrorTarget } from './sim-mirror.js';
import type { SimSnapshot } from './sim-snapshot.js';

interface TargetBase {
  readonly startSector: number;
  readonly lengthSectors: number;
  /** Devices this target holds open, as `major:minor`. */
  readonly deps: readonly string[];
  read(k: SimKernel, offsetBytes: number, lengthBytes: number): Promise<Buffer>;
  write(k: SimKernel, offsetBytes: number, data: Buffer): Promise<void>;
  discard(k: SimKernel, offsetBytes: number, lengthBytes: number): Promise<void>;
  tableText(): string;
  statusText(k: SimKernel): string;
  /** The kernel's preresume: may refuse the resume (a snapshot handover whose source is live: EINVAL). */
  preresume?(): void;
  /** The kernel's resume hook (a snapshot takes its store over, a merge starts). */
  resume?(): void;
  /** The kernel's presuspend: stops background work (a merge) and waits for it. */
  presuspend?(): Promise<void>;
  /** Kernel memory beyond the table line, kept in kernel.json (snapshot flags, transient exceptions). */
  memory?(): unknown;
}

export type SimTarget =
  | (TargetBase & { readonly type: 'linear' | 'zero' | 'error' })
  | (TargetBase & {
      readonly type: 'thin-pool';
      readonly metadataDev: string;
      readonly dataDev: string;
      readonly pool: SimThinPool;
      readonly features: ThinPoolFeatures;
      readonly lowWaterMarkBlocks: number;
    })
  | (TargetBase & { readonly type: 'thin'; readonly poolDev: string; readonly id: number; readonly originDev?: string })
  | (TargetBase & { readonly type: 'snapshot-origin' | 'snapshot' | 'snapshot-merge'; readonly snapshot: SimSnapshot | null })
  | (TargetBase & { readonly type: 'mirror' });

const toDev = devNumberOf;

function ioError(owner: string): never {
  throw new DmError('EIO', 'io', owner, 'I/O error');
}

/** Builds the target for one table line of device `owner`; `memory` is its kernel memory when the kernel is rebuilt. */
export async function constructTarget(k: SimKernel, owner: string, line: DmTargetLine, memory?: unknown): Promise<SimTarget> {
  const invalid = (why: string): never => {
    throw new DmError('EINVAL', 'DM_TABLE_LOAD', owner, why);
  };
  let parsed;
  try {
    parsed = parseTarget(line.type, line.params);
  } catch (err) {
    if (err instanceof TableParseError) return invalid(err.message);
    throw err;
  }
  const open = (ref: string, what: string): string => {
    const dev = k.resolve(ref);
    if (dev === null) throw new DmError('ENXIO', 'DM_TABLE_LOAD', owner, `${what} ${ref} does not exist`);
    return devKey(dev);
  };
  const range = { startSector: line.startSector, lengthSectors: line.lengthSectors };
  const lengthBytes = line.lengthSectors * SECTOR_BYTES;

  switch (parsed.type) {
    case 'error':
      return {
        type: 'error',
        ...range,
        deps: [],
        read: async () => ioError(owner),
        write: async () => ioError(owner),
        discard: async () => ioError(owner),
        tableText: () => '',
        statusText: () => '',
      };
    case 'zero':
      return {
        type: 'zero',
        ...range,
        deps: [],
        read: async (_k, _o, len) => Buffer.alloc(len),
        write: async () => {},
        discard: async () => {},
        tableText: () => '',
        statusText: () => '',
      };
    case 'linear': {
      const dev = open(parsed.device, 'device');
      const base = parsed.offsetSectors * SECTOR_BYTES;
      if (base + lengthBytes > k.sizeBytes(toDev(dev))) invalid(`device ${parsed.device} too small for target`);
      return {
        type: 'linear',
        ...range,
        deps: [dev],
        read: (kk, o, len) => kk.read(toDev(dev), base + o, len),
        write: (kk, o, data) => kk.write(toDev(dev), base + o, data),
        discard: (kk, o, len) => kk.discard(toDev(dev), base + o, len),
        tableText: () => `${dev} ${parsed.offsetSectors}`,
        statusText: () => '',
      };
    }
    case 'thin-pool': {
      if (!isValidDataBlockSectors(parsed.dataBlockSectors)) invalid(`invalid block size ${parsed.dataBlockSectors}`);
      const metadataDev = open(parsed.metadataDevice, 'metadata device');
      const dataDev = open(parsed.dataDevice, 'data device');
      if (metadataDev === dataDev) invalid('metadata and data devices are the same');
      if (lengthBytes > k.sizeBytes(toDev(dataDev))) invalid('data device too small for target');
      const features = parsed.features;
      const pool = await k.poolFor(owner, metadataDev, dataDev, () =>
        SimThinPool.open({
          metadata: k.metadataIo(toDev(metadataDev)),
          data: {
            read: (o, len) => k.read(toDev(dataDev), o, len),
            write: (o, data) => k.write(toDev(dataDev), o, data),
          },
          dataBlockSectors: parsed.dataBlockSectors,
          features,
          lowWaterMarkBlocks: parsed.lowWaterMarkBlocks,
          raiseEvent: () => k.raiseEvent(owner),
        }),
      );
      if (pool.dataBlockSectors !== parsed.dataBlockSectors) invalid('data block size differs from the open pool');
      return {
        type: 'thin-pool',
        ...range,
        deps: [metadataDev, dataDev],
        metadataDev,
        dataDev,
        pool,
        features,
        lowWaterMarkBlocks: parsed.lowWaterMarkBlocks,
        read: (kk, o, len) => kk.read(toDev(dataDev), o, len),
        write: (kk, o, data) => kk.write(toDev(dataDev), o, data),
        discard: (kk, o, len) => kk.discard(toDev(dataDev), o, len),
        tableText: () => poolTableText(metadataDev, dataDev, parsed.dataBlockSectors, parsed.lowWaterMarkBlocks, features),
        statusText: (kk) => pool.statusText(kk.sizeBytes(toDev(metadataDev))),
      };
    }
    case 'thin': {
      const poolDevNumber = k.resolve(parsed.poolDevice);
      const poolDev = poolDevNumber === null ? null : devKey(poolDevNumber);
      const pool = poolDev === null ? undefined : k.poolOfDevice(poolDev);
      if (poolDev === null || pool === undefined) return invalid("couldn't find pool object");
      const poolDevice = k.deviceByMinor(poolDevNumber!.minor)!;
      if (poolDevice.suspended) invalid('unable to activate thin device while pool is suspended');
      const id = parsed.thinId;
      if (!pool.hasDevice(id)) {
        throw new DmError('ENODATA', 'DM_TABLE_LOAD', owner, `couldn't open thin internal device ${id}`);
      }
      const originDev = parsed.externalOrigin === undefined ? undefined : open(parsed.externalOrigin, 'external origin');
      const origin: ExternalOriginIo | undefined =
        originDev === undefined
          ? undefined
          : {
              readPadded: async (o, len) => {
                const size = k.sizeBytes(toDev(originDev));
                const out = Buffer.alloc(len);
                if (o < size) (await k.read(toDev(originDev), o, Math.min(len, size - o))).copy(out);
                return out;
              },
            };
      const deps = originDev === undefined ? [poolDev] : [poolDev, originDev];
      return {
        type: 'thin',
        ...range,
        deps,
        poolDev,
        id,
        ...(originDev === undefined ? {} : { originDev }),
        read: async (kk, o, len) => {
          await kk.untilDeviceResumed(toDev(poolDev));
          return pool.readThin(id, o, len, origin);
        },
        write: async (kk, o, data) => {
          await kk.untilDeviceResumed(toDev(poolDev));
          await pool.writeThin(id, o, data, origin);
        },
        discard: async (kk, o, len) => {
          await kk.untilDeviceResumed(toDev(poolDev));
          await pool.discardThin(id, o, len);
        },
        tableText: () => (originDev === undefined ? `${poolDev} ${id}` : `${poolDev} ${id} ${originDev}`),
        statusText: () => pool.thinStatusText(id),
      };
    }
    case 'snapshot-origin':
    case 'snapshot':
    case 'snapshot-merge':
      return constructSnapshotTarget({ k, owner, ...range, open, ...(memory === undefined || memory === null ? {} : { memory }) }, parsed);
    case 'mirror':
      return constructMirrorTarget({ k, owner, ...range, open, ...(memory === undefined || memory === null ? {} : { memory }) }, parsed);
  }
}

/** The thin-pool table as the kernel prints it: devices as numbers, feature words each followed by a space. */
function poolTableText(meta: string, data: string, blockSectors: number, lowWater: number, f: ThinPoolFeatures): string {
  const words = [
    f.skipBlockZeroing && 'skip_block_zeroing',
    f.ignoreDiscard && 'ignore_discard',
    f.noDiscardPassdown && 'no_discard_passdown',
    f.readOnly && 'read_only',
    f.errorIfNoSpace && 'error_if_no_space',
  ].filter((w): w is string => typeof w === 'string');
  return `${meta} ${data} ${blockSectors} ${lowWater} ${words.length} ${words.map((w) => `${w} `).join('')}`;
}
