/**
 * The persistent exception store of the simulated snapshot targets, in the kernel's own on-disk
 * format on the COW device (so status figures, reboots and a COW device written by either side
 * behave the same). Little-endian, in chunks of the store's chunk size:
 * - chunk 0: header `{ magic u32 = 0x70416e53 ("SnAp"), valid u32, version u32 = 1, chunk size
 *   in sectors u32 }`, the rest zero; a header of zeroes is a new store;
 * - then metadata areas, each followed by its data chunks: area `a` at chunk
 *   `1 + a × (E + 1)`, E = chunk bytes / 16 exceptions per area, each `{ origin chunk u64, COW
 *   chunk u64 }`; the first entry whose COW chunk is 0 ends the list.
 * An exception is durable once its area is written (after the data chunk); a full area first
 * zeroes the next one. A merge takes exceptions back from the end and clears them.
 */
import { DmError } from '../dm-error.js';
import type { SnapshotUsage } from '../targets/snapshot-status.js';
import { isValidSnapshotChunkSectors } from '../targets/target.js';
import { SECTOR_BYTES } from '../units.js';
import type { CowIo, MergeRun, SimExceptionStore } from './sim-snapshot-store.js';

const SNAP_MAGIC = 0x70416e53;
const DISK_VERSION = 1;
const EXCEPTION_BYTES = 16;
/** The chunk size of a new store whose table says 0. */
const DEFAULT_CHUNK_SECTORS = 32;

/** The persistent store (see the module comment). Open with `PersistentStore.open`. */
export class PersistentStore implements SimExceptionStore {
  readonly kind = 'P' as const;
  readonly exceptions = new Map<number, number>();
  valid = true;
  private currentArea = 0;
  private currentCommitted = 0;
  /** Header and the first area come first. */
  private nextFree = 2;
  private area: Buffer;

  private constructor(
    private readonly cow: CowIo,
    readonly chunkSectors: number,
  ) {
    this.area = Buffer.alloc(this.chunkBytes);
  }

  private get chunkBytes(): number {
    return this.chunkSectors * SECTOR_BYTES;
  }

  private get perArea(): number {
    return this.chunkBytes / EXCEPTION_BYTES;
  }

  private areaChunk(area: number): number {
    return 1 + (this.perArea + 1) * area;
  }

  /**
   * Opens the store on `cow` as the kernel's snapshot constructor does: formats a COW device whose
   * header is zero (with the table's chunk size, 32 sectors for 0), takes the chunk size the header records over `chunkSectors`, reads every
   * exception of a valid store (an invalid one opens with `valid` false and no exceptions).
   * @throws DmError ENXIO for a header that is not a snapshot's, EINVAL for another version or chunk size; the COW device's I/O errors
   */
  static async open(cow: CowIo, tableChunkSectors: number): Promise<PersistentStore> {
    const chunkSectors = tableChunkSectors === 0 ? DEFAULT_CHUNK_SECTORS : tableChunkSectors;
    const header = await cow.read(0, chunkSectors * SECTOR_BYTES);
    const magic = header.readUInt32LE(0);
    if (magic === 0) {
      const store = new PersistentStore(cow, chunkSectors);
      await store.writeHeader();
      await cow.write(store.areaChunk(0) * store.chunkBytes, Buffer.alloc(store.chunkBytes));
      return store;
    }
    if (magic !== SNAP_MAGIC) throw new DmError('ENXIO', 'DM_TABLE_LOAD', undefined, 'invalid or corrupt snapshot');
    const version = header.readUInt32LE(8);
    if (version !== DISK_VERSION) throw new DmError('EINVAL', 'DM_TABLE_LOAD', undefined, `unable to handle snapshot disk version ${version}`);
    const onDisk = header.readUInt32LE(12);
    if (onDisk === 0 || !isValidSnapshotChunkSectors(onDisk)) throw new DmError('EINVAL', 'DM_TABLE_LOAD', undefined, `invalid on-disk chunk size ${onDisk}`);
    const store = new PersistentStore(cow, onDisk);
    if (header.readUInt32LE(4) === 0) {
      store.valid = false;
      return store;
    }
    await store.readExceptions();
    return store;
  }

  private async writeHeader(): Promise<void> {
    const header = Buffer.alloc(this.chunkBytes);
    header.writeUInt32LE(SNAP_MAGIC, 0);
    header.writeUInt32LE(this.valid ? 1 : 0, 4);
    header.writeUInt32LE(DISK_VERSION, 8);
    header.writeUInt32LE(this.chunkSectors, 12);
    await this.cow.write(0, header);
  }

  private async readExceptions(): Promise<void> {
    for (let area = 0; ; area++) {
      const buf = await this.cow.read(this.areaChunk(area) * this.chunkBytes, this.chunkBytes);
      let i = 0;
      for (; i < this.perArea; i++) {
        const newChunk = Number(buf.readBigUInt64LE(i * EXCEPTION_BYTES + 8));
        if (newChunk === 0) break;
        const oldChunk = Number(buf.readBigUInt64LE(i * EXCEPTION_BYTES));
        this.nextFree = Math.max(this.nextFree, newChunk + 1);
        this.exceptions.set(oldChunk, newChunk);
      }
      if (i < this.perArea) {
        this.currentArea = area;
        this.currentCommitted = i;
        this.area = buf;
        break;
      }
    }
    this.skipMetadata();
  }

  /** Steps over the next area's metadata chunk. */
  private skipMetadata(): void {
    if (this.nextFree % (this.perArea + 1) === 1) this.nextFree += 1;
  }

  prepare(): number | null {
    const sizeSectors = Math.floor(this.cow.sizeBytes() / SECTOR_BYTES);
    if (sizeSectors < (this.nextFree + 1) * this.chunkSectors) return null;
    const chunk = this.nextFree;
    this.nextFree += 1;
    this.skipMetadata();
    return chunk;
  }

  async commit(oldChunk: number, newChunk: number): Promise<boolean> {
    const at = this.currentCommitted * EXCEPTION_BYTES;
    this.area.writeBigUInt64LE(BigInt(oldChunk), at);
    this.area.writeBigUInt64LE(BigInt(newChunk), at + 8);
    this.currentCommitted += 1;
    const full = this.currentCommitted === this.perArea;
    try {
      if (full) await this.cow.write(this.areaChunk(this.currentArea + 1) * this.chunkBytes, Buffer.alloc(this.chunkBytes));
      await this.cow.write(this.areaChunk(this.currentArea) * this.chunkBytes, this.area);
    } catch {
      // As the kernel: a failed metadata write leaves the store invalid, and the snapshot with it.
      this.valid = false;
    }
    if (full) {
      this.currentCommitted = 0;
      this.currentArea += 1;
      this.area = Buffer.alloc(this.chunkBytes);
    }
    if (this.valid) this.exceptions.set(oldChunk, newChunk);
    return this.valid;
  }

  usage(): SnapshotUsage {
    return {
      state: 'active',
      allocatedSectors: this.nextFree * this.chunkSectors,
      totalSectors: Math.floor(this.cow.sizeBytes() / SECTOR_BYTES),
      metadataSectors: (this.currentArea + 2) * this.chunkSectors,
    };
  }

  async drop(): Promise<void> {
    this.valid = false;
    await this.writeHeader().catch(() => undefined);
  }

  async prepareMerge(): Promise<MergeRun | null> {
    if (this.currentCommitted === 0) {
      if (this.currentArea === 0) return null;
      this.currentArea -= 1;
      this.area = await this.cow.read(this.areaChunk(this.currentArea) * this.chunkBytes, this.chunkBytes);
      this.currentCommitted = this.perArea;
    }
    const entry = (i: number): [number, number] => [Number(this.area.readBigUInt64LE(i * EXCEPTION_BYTES)), Number(this.area.readBigUInt64LE(i * EXCEPTION_BYTES + 8))];
    const [lastOld, lastNew] = entry(this.currentCommitted - 1);
    let count = 1;
    for (; count < this.currentCommitted; count++) {
      const [o, n] = entry(this.currentCommitted - 1 - count);
      if (o !== lastOld - count || n !== lastNew - count) break;
    }
    return { oldChunk: lastOld + 1 - count, newChunk: lastNew + 1 - count, count };
  }

  async commitMerge(count: number): Promise<void> {
    this.area.fill(0, (this.currentCommitted - count) * EXCEPTION_BYTES, this.currentCommitted * EXCEPTION_BYTES);
    await this.cow.write(this.areaChunk(this.currentArea) * this.chunkBytes, this.area);
    this.currentCommitted -= count;
    this.nextFree = this.areaChunk(this.currentArea) + this.currentCommitted + 1;
  }

  memory(): null {
    return null;
  }
}
