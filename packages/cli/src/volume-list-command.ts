/**
 * `thinfleet volume list`: asks the agent (or coordinator) for the volumes a page at a time and
 * prints each page's rows as it arrives, so the first rows of a large pool show before the last
 * page is asked for. The table's column widths are fixed by the header and the first page (a
 * wider cell later pushes only its own row); --json writes the same document as one unpaged
 * answer would, `{"volumes": [...], "inactivePools": [...]}`, its array streamed a page at a time.
 */
import type { ListVolumesResponse__Output, Volume__Output } from '@thinfleet/proto';
import type { CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { toJson } from './output.js';
import { volumeTableColumns, volumeTableRow } from './views.js';
import { StreamedTable } from './table.js';

/**
 * Volumes per page the CLI asks for, page after page: a small first page so the first rows show
 * at once, then ten times more each page up to the agent's cap (fewer round trips: each page
 * pays a call's fixed cost). 100, 1000, 10,000, 10,000, ...
 */
export const LIST_PAGE_SIZES: readonly number[] = [100, 1000, 10_000];
/**
 * Volumes per page with --usage, every page: the agent reads the pool's whole metadata once per
 * page, so pages as large as the agent allows make the fewest reads.
 */
export const LIST_USAGE_PAGE_SIZE = 10_000;

/** The page size of page `index` (0 first). */
export function listPageSize(index: number, usage: boolean): number {
  return usage ? LIST_USAGE_PAGE_SIZE : LIST_PAGE_SIZES[Math.min(index, LIST_PAGE_SIZES.length - 1)]!;
}

/**
 * Writes `{"volumes": [...], "inactivePools": [...]}` exactly as toJson writes it whole, the
 * volumes as they come: `add` any number of times, then `end` once.
 */
export class StreamedVolumesJson {
  private count = 0;

  constructor(private readonly write: (text: string) => void) {}

  /** Writes `volumes`, the next members of the array. */
  add(volumes: readonly Volume__Output[]): void {
    for (const volume of volumes) {
      // A member at depth 2 of the document: toJson's text indented by four more spaces.
      const member = toJson(volume).trimEnd().replaceAll('\n', '\n    ');
      this.write(`${this.count === 0 ? '{\n  "volumes": [\n' : ',\n'}    ${member}`);
      this.count++;
    }
  }

  /** Closes the array and writes the rest of the document. */
  end(inactivePools: readonly string[]): void {
    const rest = toJson({ volumes: [], inactivePools });
    const at = rest.indexOf('"volumes": []') + '"volumes": []'.length;
    this.write(this.count === 0 ? rest : `\n  ]${rest.slice(at)}`);
  }
}

/** The volume list command (declared like every command, duplicates pairs it with health-command.ts by shape; its run pages). */
export const VOLUME_LIST_COMMAND: CommandSpec = {
  words: ['volume', 'list'],
  arguments: ['[POOL]'],
  options: {
    usage: { type: 'boolean', description: 'also read the bytes each volume maps (costs a metadata read per page of 10,000 volumes)' },
  },
  summary: 'list the volumes of one pool, or of every active pool, naming the inactive ones (with --coordinator: of every pool in the cluster)',
  details:
    'Asks for 100 volumes, then 1000, then 10,000 at a time (10,000 each time with --usage) and prints each page as it arrives; a volume that exists unchanged during the listing is printed exactly once. ' +
    'With --json: one document {"volumes": [...], "inactivePools": [...]}, the same as an unpaged answer.',
  examples: ['volume list', 'volume list tank --usage', '--json volume list tank', '--coordinator 127.0.0.1:9750 volume list'],
  async run(context, args) {
    const [pool = ''] = args.positionals;
    const usage = args.flag('usage');
    const agent = await context.agent();
    const json = context.out.json ? new StreamedVolumesJson(context.io.stdout) : null;
    const table = json === null ? new StreamedTable(volumeTableColumns(usage), context.io.stdout) : null;
    let pageToken = '';
    let last: ListVolumesResponse__Output;
    let page = 0;
    do {
      last = await agent.listVolumes({ pool, usage, pageSize: listPageSize(page++, usage), pageToken });
      json?.add(last.volumes);
      table?.add(last.volumes.map((volume) => volumeTableRow(volume, usage)));
      pageToken = last.nextPageToken ?? '';
    } while (pageToken !== '');
    json?.end(last.inactivePools);
    table?.end();
    if (last.inactivePools.length > 0 && !context.out.json) {
      const names = last.inactivePools.join(', ');
      context.out.warn(`not listed: the volumes of inactive pool${last.inactivePools.length > 1 ? 's' : ''} ${names} (thinfleet pool activate NAME)`);
    }
    return EXIT.OK;
  },
};
