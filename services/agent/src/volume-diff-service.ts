/**
 * VolumeService's DiffVolumes: where volume `other` (B) differs from volume `name` (A) of one
 * pool, from the kernel's thin metadata (Pool.diffVolumes: both mappings under one metadata
 * snapshot). A bounded unary answer with paging, not a stream: the CLI's and the coordinator's
 * clients keep grpc-js's default 4 MiB limit on what they receive, and a range takes at most
 * about 25 bytes on the wire, so a page of at most MAX_DIFF_RANGES (10,000) ranges stays under
 * 256 KiB; the caller asks again from `next_from_bytes` until it is 0. Each page is read under
 * its own metadata snapshot: pages of a volume written meanwhile are of different instants
 * (diff snapshots, which nobody writes, for one answer of one instant).
 */
import type { DiffKind, DiffVolumesRequest__Output, DiffVolumesResponse } from '@thinfleet/proto';
import type { ThinDiffKind } from '@thinfleet/devmapper';
import { badRequest } from './agent-error.js';
import type { HostPools } from './host-pools.js';
import { requireDiffable } from './jobs/diff-checks.js';
import { countField, poolNameField, volumeNameField } from './request-checks.js';
import { unary, type RpcContext } from './rpc.js';

/** The most ranges one DiffVolumes answer carries (and the default). */
export const MAX_DIFF_RANGES = 10_000;

const KINDS: Readonly<Record<ThinDiffKind, DiffKind>> = {
  different: 'DIFF_KIND_DIFFERENT',
  left_only: 'DIFF_KIND_LEFT_ONLY',
  right_only: 'DIFF_KIND_RIGHT_ONLY',
};

/** The DiffVolumes handler. */
export function volumeDiffHandlers(ctx: RpcContext, deps: { readonly pools: HostPools }) {
  return {
    DiffVolumes: unary(ctx, 'DiffVolumes', async (r: DiffVolumesRequest__Output): Promise<DiffVolumesResponse> => {
      const pool = deps.pools.activePool(poolNameField('pool', r.pool));
      const name = volumeNameField('name', pool.name, r.name);
      const other = volumeNameField('other', pool.name, r.other);
      const fromBytes = Number(r.fromBytes);
      if (!Number.isSafeInteger(fromBytes) || fromBytes < 0) throw badRequest('from_bytes', 'must be a whole number of bytes >= 0');
      const maxRanges = r.maxRanges === 0 ? MAX_DIFF_RANGES : countField('max_ranges', r.maxRanges, 1, MAX_DIFF_RANGES);
      requireDiffable(await pool.list(), name, other, { left: 'name', right: 'other' }, 'other');
      const diff = await pool.diffVolumes(name, other, fromBytes);
      const page = diff.ranges.slice(0, maxRanges);
      const last = page.at(-1);
      const nextFromBytes = diff.ranges.length > maxRanges && last !== undefined ? last.offsetBytes + last.lengthBytes : 0;
      return {
        ranges: page.map((x) => ({ offsetBytes: x.offsetBytes, lengthBytes: x.lengthBytes, kind: KINDS[x.kind] })),
        blockBytes: diff.blockBytes,
        sizeBytes: diff.sizeBytes,
        nextFromBytes,
      };
    }),
  };
}
