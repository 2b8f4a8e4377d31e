/**
 * `thinfleet volume diff POOL/A POOL/B`: where B differs from A, an older volume of its lineage,
 * from the kernel's thin metadata (DiffVolumes). The agent answers in pages of at most 10,000
 * ranges; the command asks for every page and prints them as one table, or as one JSON document
 * with --json: {"blockBytes", "sizeBytes", "ranges": [{"offsetBytes", "lengthBytes", "kind"}]},
 * kind one of different, left_only, right_only (thin_delta's classes).
 */
import type { DiffKind__Output } from '@thinfleet/proto';
import { parseVolumeRef } from './argument-values.js';
import type { CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { formatBytes } from './sizes.js';
import { formatTable } from './table.js';
import { fieldError } from './usage-error.js';

const KINDS: Readonly<Record<DiffKind__Output, string>> = {
  DIFF_KIND_UNSPECIFIED: 'unspecified',
  DIFF_KIND_DIFFERENT: 'different',
  DIFF_KIND_LEFT_ONLY: 'left_only',
  DIFF_KIND_RIGHT_ONLY: 'right_only',
};

/** Pages asked for at most (10,000 ranges each): a bound against an agent that never says the last page. */
const MAX_PAGES = 100_000;

/** The command. */
export const VOLUME_DIFF_COMMAND: CommandSpec = {
  words: ['volume', 'diff'],
  arguments: ['POOL/A', 'POOL/B'],
  options: {},
  summary: 'list the ranges where volume B differs from A, an older volume of its lineage (from the thin metadata)',
  details:
    'A and B are of one pool and one lineage (one a snapshot of the other, directly or through a chain, or snapshots of one volume); either may be active. Each range is classed as thin_delta does: different (both map it, to other data), left_only (only A maps it: B reads zeros there), right_only (only B maps it). With --json the document is {"blockBytes", "sizeBytes", "ranges": [{"offsetBytes", "lengthBytes", "kind"}]}.',
  examples: ['volume diff tank/vm1-mon tank/vm1-tue', '--json volume diff tank/vm1-snap tank/vm1'],
  async run(context, args) {
    const a = parseVolumeRef(args.positionals[0] ?? '', 'POOL/A');
    const b = parseVolumeRef(args.positionals[1] ?? '', 'POOL/B');
    if (a.pool !== b.pool) throw fieldError('POOL/B', `must be in pool ${a.pool}, the pool of A: a diff is between volumes of one pool`);
    const agent = await context.agent();
    const ranges: Array<{ offsetBytes: number; lengthBytes: number; kind: string }> = [];
    let blockBytes = 0;
    let sizeBytes = 0;
    let fromBytes = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const response = await agent.diffVolumes({ pool: a.pool, name: a.name, other: b.name, fromBytes });
      blockBytes = Number(response.blockBytes);
      sizeBytes = Number(response.sizeBytes);
      for (const r of response.ranges) ranges.push({ offsetBytes: Number(r.offsetBytes), lengthBytes: Number(r.lengthBytes), kind: KINDS[r.kind] });
      fromBytes = Number(response.nextFromBytes);
      if (fromBytes === 0) break;
    }
    const differing = ranges.reduce((n, r) => n + r.lengthBytes, 0);
    context.out.result({ blockBytes, sizeBytes, ranges }, () => {
      const table = formatTable(
        [{ header: 'OFFSET', align: 'right' }, { header: 'LENGTH', align: 'right' }, { header: 'KIND' }],
        ranges.map((r) => [String(r.offsetBytes), formatBytes(r.lengthBytes), r.kind]),
      );
      return `${table}${ranges.length} range(s), ${formatBytes(differing)} of ${formatBytes(sizeBytes)} differ (block ${formatBytes(blockBytes)})`;
    });
    return EXIT.OK;
  },
};
