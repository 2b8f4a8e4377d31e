/**
 * `thinfleet volume move POOL/NAME DSTPOOL [--host H] [--no-wait]`: a live move of an active
 * volume to another pool of the agent's host, through the agent's background `move` job
 * (MoveVolume). `--host` is parsed and sent; the agent refuses another host for now. The command
 * follows the job with a progress bar, as `volume import` does, unless --no-wait.
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
  'A cancelled move before the switch leaves the volume in POOL as it was. Refused for an inactive volume (copy it instead), a volume with an external origin, a name taken in DSTPOOL.',
  'The command follows the job with a progress bar (exit 1 if it fails or is cancelled) unless --no-wait. With --json the document is {"job": Job}: its final state, or as it started with --no-wait.',
].join(' ');

/** The move command. */
export const VOLUME_MOVE_COMMANDS: readonly CommandSpec[] = [
  {
    words: ['volume', 'move'],
    arguments: ['POOL/NAME', 'DSTPOOL'],
    summary: 'move an active volume to another pool of its host, live, in a background job',
    details: DETAILS,
    examples: ['volume move tank/vm1 fast', 'volume move tank/vm1 fast --no-wait && thinfleet job watch JOB'],
    options: {
      host: { type: 'string', placeholder: 'HOST', description: 'the host to move the volume to (not served yet: the agent refuses another host)' },
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
