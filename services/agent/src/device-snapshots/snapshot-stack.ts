/**
 * The device-mapper devices of one device snapshot (the classic snapshot targets over a block
 * device outside the pool, with the exception store on a thin volume of the pool):
 * - `<volume device>-_dsorigin`: the device users write through while the snapshot exists. Its
 *   table is `snapshot-origin <device>` (each first write to a chunk copies the chunk's old
 *   content into the store first), `snapshot-merge <device> <store> P <chunk>` while a merge
 *   runs, and a plain `linear <device> 0` once the snapshot is gone while it is still open.
 *   Writes to the device's own path bypass the store: the snapshot would then show them.
 * - `<volume device>-_dssnap`: `snapshot <device> <store> P <chunk>`, the snapshot's content.
 * Both carry the pool's device prefix (`tf-<pool>-`), so the pool's deactivation refuses while
 * they hold its volume open, and its fencing covers them. Every function is idempotent: it
 * looks at what the kernel has and does only what is missing, so a retry after a crash at any
 * step finishes the step.
 */
import { isDmError, parseTable, toTargetLines, type DmClient, type DmDeviceInfo, type DmTarget } from '@thinfleet/devmapper';
import { volumeDeviceName } from '@thinfleet/engine';

/** The names of a device snapshot's two devices. */
export interface StackNames {
  readonly origin: string;
  readonly snap: string;
}

/** What the tables of a device snapshot are made of. */
export interface StackSpec {
  /** The protected block device (the recorded path). */
  readonly device: string;
  /** Its size, in 512-byte sectors (the length of both tables). */
  readonly sectors: number;
  /** The exception store volume's device path. */
  readonly cowDevice: string;
  readonly chunkSectors: number;
}

/** The devices of device snapshot `name` (its exception store volume's name) of pool `pool`. Pure. */
export function stackNames(pool: string, name: string): StackNames {
  const base = volumeDeviceName(pool, name);
  return { origin: `${base}-_dsorigin`, snap: `${base}-_dssnap` };
}

/** A device's state, or null when it does not exist. */
export async function deviceInfo(dm: DmClient, name: string): Promise<DmDeviceInfo | null> {
  try {
    return await dm.info(name);
  } catch (err) {
    if (isDmError(err, 'ENXIO')) return null;
    throw err;
  }
}

/** The target type of a device's live table, or null when it has no device or no table. */
export async function liveTableType(dm: DmClient, name: string): Promise<DmTarget['type'] | null> {
  if ((await deviceInfo(dm, name)) === null) return null;
  const first = parseTable(await dm.table(name))[0];
  return first?.target.type ?? null;
}

/** Creates device `name` with `target` over `sectors`, or replaces the table of the existing one, and resumes it. */
async function put(dm: DmClient, name: string, sectors: number, target: DmTarget): Promise<void> {
  if ((await deviceInfo(dm, name)) === null) await dm.create(name);
  // A crash between DM_DEV_CREATE and the node's creation leaves a device without /dev/mapper/NAME.
  else await dm.ensureNode(name);
  await dm.load(name, toTargetLines([{ startSector: 0, lengthSectors: sectors, target }]));
  await dm.resume(name);
}

/** Removes device `name`; a missing one is fine. */
export async function removeIfPresent(dm: DmClient, name: string): Promise<void> {
  try {
    await dm.remove(name);
  } catch (err) {
    if (!isDmError(err, 'ENXIO')) throw err;
  }
}

/**
 * Loads the snapshot's devices: the `snapshot` device first (a fresh store, whose first chunk
 * reads zero, is initialised by the kernel; an existing one is read back), then the origin
 * device with `snapshot-origin`, suspended and resumed when it existed already, so that it
 * splits writes at the snapshot's chunk size (the kernel reads that at resume).
 */
export async function loadSnapshotStack(dm: DmClient, names: StackNames, spec: StackSpec): Promise<void> {
  if ((await liveTableType(dm, names.snap)) !== 'snapshot') {
    await put(dm, names.snap, spec.sectors, { type: 'snapshot', originDevice: spec.device, cowDevice: spec.cowDevice, store: 'P', chunkSectors: spec.chunkSectors });
  }
  const originType = await liveTableType(dm, names.origin);
  if (originType === 'snapshot-origin') {
    await dm.suspend(names.origin);
    await dm.resume(names.origin);
    return;
  }
  await put(dm, names.origin, spec.sectors, { type: 'snapshot-origin', device: spec.device });
}

/**
 * Starts (or goes on with) the merge: the snapshot device is suspended (the kernel hands its
 * store to a merging table only then), the origin device gets `snapshot-merge` and is resumed
 * (reads show the snapshot's content at once; the kernel copies the exceptions back in the
 * background, from what the store holds), and the snapshot device is removed.
 */
export async function loadMergeStack(dm: DmClient, names: StackNames, spec: StackSpec): Promise<void> {
  const originType = await liveTableType(dm, names.origin);
  if (originType !== 'snapshot-merge') {
    const snap = await deviceInfo(dm, names.snap);
    if (snap !== null && !snap.suspended) await dm.suspend(names.snap);
    await put(dm, names.origin, spec.sectors, { type: 'snapshot-merge', originDevice: spec.device, cowDevice: spec.cowDevice, store: 'P', chunkSectors: spec.chunkSectors });
  } else if ((await deviceInfo(dm, names.origin))?.suspended === true) {
    await dm.resume(names.origin);
  }
  await removeIfPresent(dm, names.snap);
}

/**
 * The snapshot is gone (deleted, or merged): the origin device stops using the store. While it
 * is open it keeps its path with a plain `linear` mapping of the device ('kept'); otherwise it
 * is removed ('removed'). Idempotent ('absent' when there is none).
 */
export async function releaseOrigin(dm: DmClient, names: StackNames, spec: Pick<StackSpec, 'device' | 'sectors'>): Promise<'kept' | 'removed' | 'absent'> {
  const info = await deviceInfo(dm, names.origin);
  if (info === null) return 'absent';
  if (info.openCount > 0) {
    if ((await liveTableType(dm, names.origin)) !== 'linear' || info.suspended) await put(dm, names.origin, spec.sectors, { type: 'linear', device: spec.device, offsetSectors: 0 });
    return 'kept';
  }
  await removeIfPresent(dm, names.origin);
  return 'removed';
}
