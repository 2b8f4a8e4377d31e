/**
 * The state of the simulated kernel: device-mapper devices with their live and inactive tables,
 * loop devices over files, the thin pools those tables opened, and the block I/O path through
 * them. SimDmClient and SimBlockClient are its two faces.
 *
 * Persistence mirrors a real host:
 * - what the kernel keeps in memory (devices, tables, suspended flags, loop devices) is written
 *   to `<stateDir>/kernel.json` after every change, so a new SimKernel on the same directory is
 *   "this process restarted, the kernel kept running";
 * - what dm-thin keeps on disk (pool metadata, data) lives in the disk files, written through the
 *   tables, so `reboot()` (forget kernel.json) then re-activating finds it again.
 * One SimKernel per state directory at a time; it does not lock against a second process.
 *
 * Beside it: the device records (sim-devices.ts), kernel.json (sim-kernel-file.ts), the files
 * behind loop devices (sim-backing-files.ts), the targets (sim-targets.ts), the pools
 * (sim-thin-pool.ts).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DmError } from '../dm-error.js';
import type { DevNumber, DmTargetLine } from '../dm-client.js';
import { SECTOR_BYTES } from '../units.js';
import { BackingFiles } from './sim-backing-files.js';
import { devKey, SIM_DM_MAJOR, SIM_LOOP_MAJOR, type SimDevice, type SimLoop, type SimTable } from './sim-devices.js';
import { readKernelFile, removeKernelFile, writeKernelFile } from './sim-kernel-file.js';
import { rebuildTables } from './sim-kernel-rebuild.js';
import type { SimThinPool } from './sim-thin-pool.js';
import type { MetadataDeviceIo } from './sim-pool-format.js';
import { constructTarget, type SimTarget } from './sim-targets.js';
import { NamedWaiters } from './sim-waiters.js';
import type { MergeGate } from './sim-snapshot-merge.js';
import { SnapshotOrigins } from './sim-snapshot-origins.js';
import type { SimSnapshot } from './sim-snapshot.js';

/** A pool object: shared by every table of one device that names the same metadata device. */
interface PoolEntry {
  readonly pool: SimThinPool;
  readonly owner: string;
}

/** The simulated kernel whose memory is in one state directory (see the module comment). */
export class SimKernel {
  readonly devices = new Map<string, SimDevice>();
  readonly loops = new Map<number, SimLoop>();
  /** Pool objects by metadata device key. */
  private readonly pools = new Map<string, PoolEntry>();
  private readonly files = new BackingFiles();
  private readonly resumeWaiters = new NamedWaiters();
  private readonly eventWaiters = new NamedWaiters();
  /** The snapshots of each origin device (the snapshot targets' shared state). */
  readonly snapshots = new SnapshotOrigins();
  /**
   * Sim only, for tests: awaited before each step of a snapshot merge (a turn of the event loop by
   * default). A test that holds it back sees a merge part-way, deterministically.
   */
  mergeGate: MergeGate = () => new Promise((resolve) => setImmediate(resolve));

  private constructor(readonly stateDir: string) {}

  /**
   * Opens (or creates) the simulated kernel whose memory is in `stateDir`. Rebuilds every
   * table's targets, reopening thin pools from their metadata devices.
   */
  static async open(stateDir: string): Promise<SimKernel> {
    mkdirSync(stateDir, { recursive: true });
    const kernel = new SimKernel(resolve(stateDir));
    const saved = readKernelFile(kernel.stateDir);
    if (saved === null) return kernel;
    for (const loop of saved.loops) kernel.loops.set(loop.index, { ...loop });
    for (const d of saved.devices) {
      kernel.devices.set(d.name, { ...d, live: null, inactive: null });
    }
    await rebuildTables(kernel, saved);
    return kernel;
  }

  /** Forgets everything a reboot forgets (devices, loop devices); disk files keep their data. */
  static reboot(stateDir: string): void {
    removeKernelFile(stateDir);
  }

  /** Writes the kernel's memory to kernel.json (write-temp, rename). */
  save(): void {
    writeKernelFile(this.stateDir, this.devices.values(), this.loops.values());
  }

  /** Closes cached file descriptors and stops background merges. The kernel state stays on disk. */
  close(): void {
    for (const snap of this.snapshots.all()) snap.onDestroy?.();
    this.files.closeAll();
  }

  // ---- device lookup -------------------------------------------------------------------

  device(name: string, operation: string): SimDevice {
    const d = this.devices.get(name);
    if (d === undefined) throw new DmError('ENXIO', operation, name, 'no such device');
    return d;
  }

  deviceByMinor(minor: number): SimDevice | undefined {
    for (const d of this.devices.values()) if (d.minor === minor) return d;
    return undefined;
  }

  /**
   * Resolves a device reference as the kernel accepts it in tables and block calls:
   * `major:minor`, `/dev/mapper/NAME`, `/dev/dm-N`, `/dev/loopN`.
   * @returns the device number, or null when there is no such block device.
   */
  resolve(ref: string): DevNumber | null {
    let m = /^(\d+):(\d+)$/.exec(ref);
    if (m) {
      const dev = { major: Number(m[1]), minor: Number(m[2]) };
      return this.exists(dev) ? dev : null;
    }
    m = /^\/dev\/mapper\/(.+)$/.exec(ref);
    if (m) {
      const d = this.devices.get(m[1]!);
      return d ? { major: SIM_DM_MAJOR, minor: d.minor } : null;
    }
    m = /^\/dev\/dm-(\d+)$/.exec(ref);
    if (m) return this.deviceByMinor(Number(m[1])) ? { major: SIM_DM_MAJOR, minor: Number(m[1]) } : null;
    m = /^\/dev\/loop(\d+)$/.exec(ref);
    if (m) return this.loops.has(Number(m[1])) ? { major: SIM_LOOP_MAJOR, minor: Number(m[1]) } : null;
    return null;
  }

  private exists(dev: DevNumber): boolean {
    if (dev.major === SIM_LOOP_MAJOR) return this.loops.has(dev.minor);
    if (dev.major === SIM_DM_MAJOR) return this.deviceByMinor(dev.minor) !== undefined;
    return false;
  }

  /** Size of a block device in bytes (a dm device: its live table's length). */
  sizeBytes(dev: DevNumber): number {
    if (dev.major === SIM_LOOP_MAJOR) {
      const loop = this.loops.get(dev.minor)!;
      return Math.floor(this.files.sizeBytes(loop.file) / SECTOR_BYTES) * SECTOR_BYTES;
    }
    const d = this.deviceByMinor(dev.minor)!;
    const targets = d.live?.targets ?? [];
    return targets.reduce((sum, t) => sum + t.lengthSectors, 0) * SECTOR_BYTES;
  }

  // ---- open counts ----------------------------------------------------------------------

  /** Devices (by name) whose live or inactive table uses `dev`. */
  private users(dev: DevNumber): SimDevice[] {
    const key = devKey(dev);
    return [...this.devices.values()].filter((d) => [d.live, d.inactive].some((t) => t?.targets.some((target) => target.deps.includes(key))));
  }

  /** How many openers hold `dev`: distinct dm devices whose tables use it, plus holds. */
  openCount(dev: DevNumber): number {
    const holds = dev.major === SIM_DM_MAJOR ? (this.deviceByMinor(dev.minor)?.holds ?? 0) : 0;
    return this.users(dev).length + holds;
  }

  /** Thin targets (in any live or inactive table) that have thin id `id` of `pool` open. */
  thinOpen(pool: SimThinPool, id: number): boolean {
    for (const d of this.devices.values()) {
      for (const t of [d.live, d.inactive]) {
        for (const target of t?.targets ?? []) {
          if (target.type === 'thin' && target.id === id && this.poolOfDevice(target.poolDev) === pool) return true;
        }
      }
    }
    return false;
  }

  /**
   * Called after a table or device went away: finishes deferred removes and autoclear loop
   * detaches whose last opener is gone, and drops pool objects no table uses.
   */
  collect(): void {
    let changed = true;
    while (changed) {
      changed = false;
      for (const d of [...this.devices.values()]) {
        if (d.deferredRemove && this.openCount({ major: SIM_DM_MAJOR, minor: d.minor }) === 0) {
          this.devices.delete(d.name);
          changed = true;
        }
      }
    }
    for (const loop of [...this.loops.values()]) {
      if (loop.autoclear && this.openCount({ major: SIM_LOOP_MAJOR, minor: loop.index }) === 0) {
        this.detachLoopNow(loop.index);
      }
    }
    const tables = [...this.devices.values()].flatMap((d) => [d.live, d.inactive]);
    const inTables = new Set(tables.flatMap((t) => t?.targets ?? []).map((t) => ('snapshot' in t ? t.snapshot : null)));
    this.dropSnapshots(this.snapshots.all().filter((s) => !inTables.has(s)));
    for (const [key, entry] of [...this.pools]) {
      const owner = this.devices.get(entry.owner);
      const used = [owner?.live, owner?.inactive].some((t) => t?.targets.some((x) => x.type === 'thin-pool' && x.metadataDev === key));
      if (!used) this.pools.delete(key);
    }
  }

  /** The kernel's snapshot destructor for targets whose table is gone: unregisters them and stops their merges. */
  private dropSnapshots(snapshots: ReadonlyArray<SimSnapshot | null>): void {
    for (const snap of snapshots) {
      if (snap === null) continue;
      snap.onDestroy?.();
      this.snapshots.unregister(snap);
    }
  }

  detachLoopNow(index: number): void {
    const loop = this.loops.get(index);
    if (loop === undefined) return;
    this.loops.delete(index);
    const stillUsed = [...this.loops.values()].some((l) => l.file === loop.file);
    if (!stillUsed) this.files.close(loop.file);
  }

  // ---- tables and pools -----------------------------------------------------------------

  /** Constructs a table's targets (the kernel's table load), or throws the target's error. */
  async buildTable(owner: string, lines: readonly DmTargetLine[], readOnly: boolean, memory?: readonly unknown[]): Promise<SimTable> {
    const targets: SimTarget[] = [];
    let next = 0;
    for (const line of lines) {
      if (!Number.isSafeInteger(line.lengthSectors) || line.lengthSectors <= 0) {
        throw new DmError('EINVAL', 'DM_TABLE_LOAD', owner, 'zero-length target');
      }
      if (line.startSector !== next) throw new DmError('EINVAL', 'DM_TABLE_LOAD', owner, 'gap in table');
      next = line.startSector + line.lengthSectors;
      try {
        targets.push(await constructTarget(this, owner, line, memory?.[targets.length]));
      } catch (err) {
        this.dropSnapshots(targets.map((t) => ('snapshot' in t ? t.snapshot : null)));
        throw err;
      }
    }
    return { lines: [...lines], targets, readOnly };
  }

  /** Finds or opens the pool object for a thin-pool target of device `owner`. */
  async poolFor(owner: string, metadataDev: string, dataDev: string, open: () => Promise<SimThinPool>): Promise<SimThinPool> {
    const existing = this.pools.get(metadataDev);
    if (existing !== undefined) {
      if (existing.owner !== owner) {
        throw new DmError('EBUSY', 'DM_TABLE_LOAD', owner, 'metadata device already in use by a pool');
      }
      return existing.pool;
    }
    if ([...this.devices.values()].some((d) => d.name !== owner && [d.live, d.inactive].some((t) => t?.targets.some((x) => x.type === 'thin-pool' && x.dataDev === dataDev)))) {
      throw new DmError('EBUSY', 'DM_TABLE_LOAD', owner, 'data device already in use by a pool');
    }
    const pool = await open();
    this.pools.set(metadataDev, { pool, owner });
    return pool;
  }

  /** The pool object behind a pool device's live table (or inactive one, as the kernel's lookup). */
  poolOfDevice(poolDev: string): SimThinPool | undefined {
    const [major, minor] = poolDev.split(':').map(Number);
    if (major !== SIM_DM_MAJOR) return undefined;
    const d = this.deviceByMinor(minor!);
    for (const t of [d?.live, d?.inactive]) {
      const target = t?.targets.find((x) => x.type === 'thin-pool');
      if (target?.type === 'thin-pool') return target.pool;
    }
    return undefined;
  }

  /** Metadata-device I/O for a pool, through the block layer. */
  metadataIo(dev: DevNumber): MetadataDeviceIo {
    return {
      sizeBytes: this.sizeBytes(dev),
      read: (offset, length) => this.read(dev, offset, length),
      write: (offset, data) => this.write(dev, offset, data),
    };
  }

  // ---- events and suspension --------------------------------------------------------------

  /** Raises a dm event on a device: its event counter goes up and waiters wake. */
  raiseEvent(name: string): void {
    const d = this.devices.get(name);
    if (d === undefined) return;
    d.eventNr += 1;
    this.save();
    this.eventWaiters.wakeAll(name);
  }

  waitForEvent(name: string): Promise<void> {
    return this.eventWaiters.wait(name);
  }

  wakeResumed(name: string): void {
    this.resumeWaiters.wakeAll(name);
  }

  /**
   * Sim only, for tests: how many waits (I/O to the device, or through it to a pool device) are
   * queued until the dm device `name` is resumed. A test shows "this I/O waits" by this count,
   * not by sleeping and seeing that it has not finished. Reads state only.
   */
  waitingForResume(name: string): number {
    return this.resumeWaiters.count(name);
  }

  /** Waits while the dm device `dev` is suspended, as I/O to it would. */
  async untilDeviceResumed(dev: DevNumber): Promise<void> {
    const d = dev.major === SIM_DM_MAJOR ? this.deviceByMinor(dev.minor) : undefined;
    if (d !== undefined) await this.untilResumed(d);
  }

  private async untilResumed(d: SimDevice): Promise<void> {
    while (d.suspended && this.devices.get(d.name) === d) await this.resumeWaiters.wait(d.name);
  }

  // ---- block I/O ----------------------------------------------------------------------------

  async read(dev: DevNumber, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    const out = Buffer.alloc(lengthBytes);
    await this.route(
      dev,
      offsetBytes,
      lengthBytes,
      async (t, rel, len, at) => {
        (await t.read(this, rel, len)).copy(out, at);
      },
      (file, off, len, at) => {
        this.files.read(file, out, at, len, off);
      },
    );
    return out;
  }

  async write(dev: DevNumber, offsetBytes: number, data: Buffer): Promise<void> {
    await this.route(
      dev,
      offsetBytes,
      data.length,
      async (t, rel, len, at) => {
        await t.write(this, rel, data.subarray(at, at + len));
      },
      (file, off, len, at) => {
        this.files.write(file, data, at, len, off);
      },
    );
  }

  async discard(dev: DevNumber, offsetBytes: number, lengthBytes: number): Promise<void> {
    await this.route(
      dev,
      offsetBytes,
      lengthBytes,
      async (t, rel, len) => {
        await t.discard(this, rel, len);
      },
      (file, off, len) => {
        // A loop device over a file punches a hole: the range reads back as zeroes.
        this.files.write(file, Buffer.alloc(len), 0, len, off);
      },
    );
  }

  /**
   * Splits a byte range of `dev` over the targets of its live table (waiting while it is
   * suspended), or hands it to the file behind a loop device.
   */
  private async route(
    dev: DevNumber,
    offsetBytes: number,
    lengthBytes: number,
    onTarget: (t: SimTarget, relOffset: number, length: number, bufferAt: number) => Promise<void>,
    onFile: (file: string, offset: number, length: number, bufferAt: number) => void,
  ): Promise<void> {
    if (dev.major === SIM_LOOP_MAJOR) {
      const loop = this.loops.get(dev.minor);
      if (loop === undefined) throw new DmError('ENXIO', 'io', `/dev/loop${dev.minor}`, 'loop device not attached');
      onFile(loop.file, offsetBytes, lengthBytes, 0);
      return;
    }
    const d = this.deviceByMinor(dev.minor);
    if (d === undefined) throw new DmError('ENXIO', 'io', devKey(dev), 'no such device');
    await this.untilResumed(d);
    const end = offsetBytes + lengthBytes;
    if (end > this.sizeBytes(dev)) throw new DmError('EINVAL', 'io', `/dev/mapper/${d.name}`, 'I/O beyond the end of the device');
    for (const t of d.live?.targets ?? []) {
      const tStart = t.startSector * SECTOR_BYTES;
      const tEnd = tStart + t.lengthSectors * SECTOR_BYTES;
      const from = Math.max(offsetBytes, tStart);
      const to = Math.min(end, tEnd);
      if (from < to) await onTarget(t, from - tStart, to - from, from - offsetBytes);
    }
  }
}
