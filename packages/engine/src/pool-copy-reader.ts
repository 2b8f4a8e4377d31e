/**
 * What a sparse copy (the agent's `copy` job) reads of a source volume: the mapped runs of its
 * thin id over a range of data blocks (from the pool's live metadata, under a metadata snapshot
 * reserved and released in one call), and a device to read its content through.
 *
 * The device is the volume's own when it is active. An inactive volume is read through a helper
 * device, a second device of its thin id with the volume's own table (its external origin
 * included, so unmapped blocks inside the origin read the origin's bytes), named
 * `tf-<pool>-_copy-<thin id>`; `_copy-` cannot begin a volume name, so no volume's device has
 * it. The helper lives for one window's read only, under the pool's mutex (so no transaction,
 * a delete of the volume included, runs while it holds the thin id), and the copy only reads it.
 * A device's table has no read-only flag in this project's DmClient; nothing writes the helper.
 *
 * Crash story: nothing here writes the catalog or the volume's data. A helper device a crash
 * leaves behind is removed by the pool's next start-up (removeLeftoverFlattenHelpers, which
 * removes every helper device of the pool: names.ts isHelperDeviceName).
 */
import { readLiveThinMappings } from '@thinfleet/devmapper';
import type { VolumeRecord } from './catalog-state.js';
import { ensureDevice, infoOrNull, removeDevice } from './device-tables.js';
import { EngineError } from './engine-error.js';
import { copyHelperDeviceName } from './names.js';
import { volumeTable, volumeUuid, type PoolCore } from './pool-core.js';
import { activeVolumeDevices } from './pool-volume-devices.js';
import { MAX_VOLUME_IO_BYTES } from './volume-data.js';

/** The largest window readCopyWindow takes (its bytes are held in memory). */
export const MAX_COPY_WINDOW_BYTES = 64 * 1024 * 1024;

/** A range of a volume's bytes. */
export interface CopyByteRange {
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

/** What readCopyWindow read of one window of a volume. */
export interface CopyWindowRead {
  /** The window's mapped ranges (whole data blocks clipped to the window), ascending. */
  readonly mapped: readonly CopyByteRange[];
  /**
   * Bytes read, ascending, not overlapping: with `whole`, one run holding the whole window as
   * the volume's device shows it (its external origin under unmapped blocks); otherwise one run
   * per mapped range, its content.
   */
  readonly runs: ReadonlyArray<{ readonly offsetBytes: number; readonly data: Buffer }>;
}

/**
 * Reads window `[offsetBytes, offsetBytes + lengthBytes)` of volume `v` for a copy (see the
 * module comment): its mapped ranges under a metadata snapshot, then their bytes (or, with
 * `whole`, the whole window) through the volume's device or a helper device made for this call
 * and removed before it returns. The caller holds the pool's mutex, so no transaction runs while
 * the helper exists. Reads only.
 * @throws EngineError INVALID_ARGUMENT naming `offsetBytes` or `lengthBytes`; the kernel's and
 *   the block device's errors (the helper is removed first)
 */
export async function readCopyWindow(core: PoolCore, v: VolumeRecord, offsetBytes: number, lengthBytes: number, whole: boolean): Promise<CopyWindowRead> {
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0 || offsetBytes % 512 !== 0 || offsetBytes >= v.sizeBytes) {
    throw new EngineError('INVALID_ARGUMENT', `offset must be a multiple of 512 bytes inside volume "${v.name}"`, { argument: 'offsetBytes' });
  }
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes <= 0 || lengthBytes % 512 !== 0 || lengthBytes > MAX_COPY_WINDOW_BYTES) {
    throw new EngineError('INVALID_ARGUMENT', `length must be a positive multiple of 512 bytes, at most ${MAX_COPY_WINDOW_BYTES}`, { argument: 'lengthBytes' });
  }
  const blockBytes = core.catalog.state.pool.layout.dataBlockBytes;
  const end = Math.min(offsetBytes + lengthBytes, v.sizeBytes);
  const firstBlock = Math.floor(offsetBytes / blockBytes);
  const blockCount = Math.ceil(end / blockBytes) - firstBlock;
  const runs = await readLiveThinMappings(core.dm, core.block, core.names.pool, core.dm.devicePath(core.names.meta), v.thinId, firstBlock, blockCount);
  const mapped: CopyByteRange[] = [];
  for (const r of runs) {
    const from = Math.max(offsetBytes, r.virtualBlock * blockBytes);
    const to = Math.min(end, (r.virtualBlock + r.blocks) * blockBytes);
    if (to <= from) continue;
    const last = mapped.at(-1);
    if (last !== undefined && last.offsetBytes + last.lengthBytes === from) mapped[mapped.length - 1] = { offsetBytes: last.offsetBytes, lengthBytes: to - last.offsetBytes };
    else mapped.push({ offsetBytes: from, lengthBytes: to - from });
  }
  const wanted = whole ? [{ offsetBytes, lengthBytes: end - offsetBytes }] : mapped;
  if (wanted.length === 0) return { mapped, runs: [] };
  const active = (await activeVolumeDevices(core)).get(v.uuid);
  const helper = active === undefined ? await ensureCopyHelper(core, v) : null;
  try {
    const path = core.dm.devicePath(active?.name ?? helper!);
    const out: Array<{ offsetBytes: number; data: Buffer }> = [];
    for (const w of wanted) {
      const data = Buffer.alloc(w.lengthBytes);
      for (let at = 0; at < w.lengthBytes; at += MAX_VOLUME_IO_BYTES) {
        const part = await core.block.read(path, w.offsetBytes + at, Math.min(MAX_VOLUME_IO_BYTES, w.lengthBytes - at));
        part.copy(data, at);
      }
      out.push({ offsetBytes: w.offsetBytes, data });
    }
    return { mapped, runs: out };
  } finally {
    if (helper !== null)
      await removeDevice(core.dm, helper, `copy helper device ${helper}`).catch((err: unknown) =>
        core.logger.warn({ device: helper, err }, 'could not remove a copy helper device; start-up removes it'),
      );
  }
}

/** Makes the copy helper device of volume `v` (its thin id, its table); one of that name left by an earlier volume is replaced. Returns its name. */
async function ensureCopyHelper(core: PoolCore, v: VolumeRecord): Promise<string> {
  const name = copyHelperDeviceName(core.catalog.state.pool.name, v.thinId);
  const uuid = `${volumeUuid(core, v)}-copy`;
  const existing = await infoOrNull(core.dm, name);
  if (existing !== null && existing.uuid !== uuid) await removeDevice(core.dm, name, `copy helper device ${name}`);
  await ensureDevice(core.dm, core.block, name, uuid, volumeTable(core, v), { reloadIfDifferent: true });
  return name;
}
