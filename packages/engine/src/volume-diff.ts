/**
 * Where two volumes of one pool differ, from the kernel's thin metadata (no data is read): the
 * byte ranges of the right volume (B, the newer) that an incremental backup taken against the
 * left one (A, the older) must carry, classed as thin_delta classes them (`different`: both map
 * the range, to other data blocks; `left_only`: only A maps it, so B reads zeros there or its
 * external origin; `right_only`: only B maps it).
 *
 * Both volumes' mappings are read under ONE metadata snapshot of the live pool
 * (readLiveThinDiff), so they are of one instant; reserving the snapshot commits the pool's
 * metadata, so every write completed before the call is in the answer. Either volume may be
 * active or inactive (the metadata holds every thin id). Nothing is written: a crash during a
 * diff leaves at most the pool's metadata snapshot held, which the pool's next activation
 * releases (Pool.recover).
 *
 * Lineage: the diff only means "what changed" for volumes that share data blocks, i.e. of one
 * lineage: one a snapshot of the other, directly or through a chain, or both snapshots of one
 * volume. The engine records a snapshot's origin (`VolumeInfo.origin`) while that origin
 * exists; `lineageRoot` follows the chain. A volume whose recorded chain was cut by a delete
 * starts a lineage of its own.
 */
import { readLiveThinDiff, readLiveThinMappings, type ThinDiffKind, type ThinDiffRange } from '@thinfleet/devmapper';
import type { VolumeRecord } from './catalog-state.js';
import type { PoolCore } from './pool-core.js';
import type { VolumeInfo } from './volume-info.js';

/** One range where the right volume differs from the left, in bytes of the volumes. */
export interface VolumeDiffRange {
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly kind: ThinDiffKind;
}

/** What Pool.diffVolumes answers. */
export interface VolumeDiff {
  /** The pool's data block size, bytes: the granularity of the ranges (the last may be shorter, at the end). */
  readonly blockBytes: number;
  /** The larger of the two volumes' sizes, bytes: the extent the diff covers. */
  readonly sizeBytes: number;
  /** Ascending, non-overlapping, adjacent ranges of one kind merged; each ends by `sizeBytes`. */
  readonly ranges: readonly VolumeDiffRange[];
}

/**
 * The name of the volume at the root of `name`'s recorded snapshot chain (itself when it has no
 * recorded origin), or null when `volumes` has no volume `name`. Pure; stops on a cycle.
 */
export function lineageRoot(volumes: readonly Pick<VolumeInfo, 'name' | 'origin'>[], name: string): string | null {
  const byName = new Map(volumes.map((v) => [v.name, v]));
  let at = byName.get(name);
  if (at === undefined) return null;
  const seen = new Set<string>();
  while (at.origin !== null && !seen.has(at.name)) {
    seen.add(at.name);
    const next = byName.get(at.origin);
    if (next === undefined) break;
    at = next;
  }
  return at.name;
}

/** True when volumes `a` and `b` are both in `volumes` and of one lineage (see the module comment). Pure. */
export function sameLineage(volumes: readonly Pick<VolumeInfo, 'name' | 'origin'>[], a: string, b: string): boolean {
  const root = lineageRoot(volumes, a);
  return root !== null && root === lineageRoot(volumes, b);
}

/**
 * The ranges where `right` differs from `left` over bytes `[fromBytes, sizeBytes)` (fromBytes
 * rounded down to a data block; at most `lengthBytes` from there, rounded up to blocks), both read under one metadata snapshot; with `left` null, the
 * ranges `right` maps (all `right_only`: a diff against an empty volume). The caller holds the
 * pool's mutex (one metadata snapshot per pool at a time). Writes nothing.
 * @throws DmError EBUSY when someone else holds the pool's metadata snapshot; the kernel's errors
 */
export async function diffVolumeRecords(core: PoolCore, left: VolumeRecord | null, right: VolumeRecord, fromBytes: number, lengthBytes = Infinity): Promise<VolumeDiff> {
  const blockBytes = core.catalog.state.pool.layout.dataBlockBytes;
  const sizeBytes = Math.max(left?.sizeBytes ?? 0, right.sizeBytes);
  const fromBlock = Math.floor(fromBytes / blockBytes);
  const blockCount = Math.max(0, Math.min(Math.ceil(sizeBytes / blockBytes) - fromBlock, Math.ceil(lengthBytes / blockBytes)));
  const meta = core.dm.devicePath(core.names.meta);
  const raw: readonly ThinDiffRange[] =
    left === null
      ? (await readLiveThinMappings(core.dm, core.block, core.names.pool, meta, right.thinId, fromBlock, blockCount)).map((r) => ({
          virtualBlock: r.virtualBlock,
          blocks: r.blocks,
          kind: 'right_only' as const,
        }))
      : await readLiveThinDiff(core.dm, core.block, core.names.pool, meta, left.thinId, right.thinId, fromBlock, blockCount);
  const ranges: Array<{ offsetBytes: number; lengthBytes: number; kind: ThinDiffKind }> = [];
  for (const r of raw) {
    const offsetBytes = r.virtualBlock * blockBytes;
    const endBytes = Math.min((r.virtualBlock + r.blocks) * blockBytes, sizeBytes);
    if (endBytes <= offsetBytes) continue;
    const last = ranges.at(-1);
    // Runs of one device's mappings are cut where the data blocks are not consecutive.
    if (last !== undefined && last.kind === r.kind && last.offsetBytes + last.lengthBytes === offsetBytes) last.lengthBytes = endBytes - last.offsetBytes;
    else ranges.push({ offsetBytes, lengthBytes: endBytes - offsetBytes, kind: r.kind });
  }
  return { blockBytes, sizeBytes, ranges };
}
