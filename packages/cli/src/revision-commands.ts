/**
 * `thinfleet revision ...`: numbered snapshots of a volume (`<name>.rev<N>`) that rotate, keeping
 * the newest few unpinned ones.
 */
import { agentCallCommand } from './agent-call-command.js';
import { parseCount, parseVolumeRef } from './argument-values.js';
import { present, type CommandSpec } from './command.js';
import { EXIT } from './exit-codes.js';
import { revisionTable } from './views.js';

/** Unpinned revisions `revision create` keeps when --keep is not given. */
export const DEFAULT_KEEP = 3;

/** The revision commands, in help order. */
export const REVISION_COMMANDS: readonly CommandSpec[] = [
  // Entries alike by design (duplicates pairs them by shape): each declares one command's help, request and text; the shared run is agentCallCommand.
  agentCallCommand({
    words: ['revision', 'create'],
    arguments: ['POOL/NAME'],
    options: {
      keep: { type: 'string', placeholder: 'N', description: `unpinned revisions to keep, the new one included (default ${DEFAULT_KEEP})` },
    },
    summary: 'snapshot a volume as its next revision NAME.revN and delete the oldest unpinned ones beyond --keep',
    examples: ['revision create tank/vm1', 'revision create tank/vm1 --keep 5'],
    request(args) {
      const { pool, name } = parseVolumeRef(args.positionals[0] ?? '');
      const keepText = args.string('keep');
      const keep = keepText === undefined ? DEFAULT_KEEP : parseCount(keepText, '--keep', 1, 2 ** 32 - 1);
      return { pool, name, keep };
    },
    call: (agent, request) => agent.createRevision(request),
    human(response, request) {
      const volume = present(response.volume, 'volume');
      return `created revision ${volume.pool}/${volume.name} (revision ${volume.revision} of ${request.name})`;
    },
  }),
  {
    words: ['revision', 'list'],
    arguments: ['POOL/NAME'],
    options: {},
    summary: 'list the revisions of a volume, oldest first',
    details: 'With --json the document is {"volumes": [...]}: the volumes whose revisionOf is NAME.',
    examples: ['revision list tank/vm1'],
    async run(context, args) {
      const [target = ''] = args.positionals;
      const { pool, name } = parseVolumeRef(target);
      const response = await (await context.agent()).listVolumes({ pool, usage: false });
      const volumes = response.volumes.filter((volume) => volume.revisionOf === name).sort((a, b) => a.revision - b.revision);
      context.out.result({ volumes }, () => revisionTable(volumes));
      return EXIT.OK;
    },
  },
];
