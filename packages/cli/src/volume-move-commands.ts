/**
 * `thinfleet volume move POOL/NAME DSTPOOL [--host H] [--no-wait]` (MoveVolume): an active
 * volume moves live to another pool of its host (the agent's `move` job); an inactive one, or one
 * going to another host's pool (`--host`, through the coordinator), is copied keeping its uuid and
 * the source deleted (the agent's `copy` job with `move`). The command follows the job with a
 * progress bar, as `volume import` does, unless --no-wait.
 */
import { parseVolumeRef } from './argument-values.js';
import type { CommandSpec } from './command.js';
import { present } from './command.js';
import { fieldError } from './usage-error.js';
import { finishJobCommand } from './volume-image-commands.js';

/** What `volume move --help` says beyond its summary. */
const DETAILS = [
  'The volume stays open and in use: its device is reloaded onto a kernel mirror of the old and the new volume (one short pause), the kernel copies the mapped regions,',
  'then the device is switched onto the new volume (one short pause) and renamed into DSTPOOL; the old volume is deleted. The volume keeps its name and uuid.',
  'A cancelled move before the switch leaves the volume in POOL as it was. An inactive volume, or one moving to a pool of another host (--host, through the coordinator), is copied instead',
  '(only its mapped ranges, verified), keeping its name and uuid, and the source deleted. Refused: a volume with an external origin (live), a name taken in DSTPOOL.',
  'The command follows the job with a progress bar (exit 1 if it fails or is cancelled) unless --no-wait. With --json the document is {"job": Job}: its final state, or as it started with --no-wait.',
].join(' ');

/** The move command. */
export const VOLUME_MOVE_COMMANDS: readonly CommandSpec[] = [
  {
    words: ['volume', 'move'],
    arguments: ['POOL/NAME', 'DSTPOOL'],
    summary: 'move a volume to another pool (live when active), or to another host, in a background job',
    details: DETAILS,
    examples: ['volume move tank/vm1 fast', 'volume move tank/vm1 fast --no-wait && thinfleet job watch JOB'],
    options: {
      host: { type: 'string', placeholder: 'HOST', description: "the target pool's host (through the coordinator; the volume must be inactive)" },
      'no-wait': { type: 'boolean', description: 'do not follow the job; print its id' },
    },
    async run(context, args) {
      const targetPool = args.positionals[1] ?? '';
      if (targetPool === '') throw fieldError('DSTPOOL', 'required');
      const { pool, name } = parseVolumeRef(args.positionals[0] ?? '');
      const response = await (await context.agent()).moveVolume({ pool, name, targetPool, host: args.string('host') ?? '' });
      const id = present(response.job, 'job').id;
      return finishJobCommand(context, args, response, id, `moving ${pool}/${name} to pool ${targetPool}`, `moved ${name} to pool ${targetPool}`);
    },
  },
];
