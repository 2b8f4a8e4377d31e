/**
 * `thinfleet volume copy SRCPOOL/NAME DSTPOOL/NEW`: a sparse copy of a volume into a new volume
 * of another (or the same) pool, through the agent's background job (CopyVolume). Through a
 * coordinator the call goes to the holder of DSTPOOL, which reads the source through its pool's
 * holder. The command follows the job with a progress bar unless --no-wait, as `volume import`.
 */
import { parseVolumeRef } from './argument-values.js';
import type { CommandSpec } from './command.js';
import { present } from './command.js';
import { finishJobCommand, FOLLOWS, noWaitOption } from './volume-image-commands.js';

/** The copy command. */
export const VOLUME_COPY_COMMANDS: readonly CommandSpec[] = [
  {
    words: ['volume', 'copy'],
    arguments: ['SRCPOOL/NAME', 'DSTPOOL/NEW'],
    options: {
      'keep-origin': { type: 'boolean', description: "the copy names the source's external origin (the same device on its host); only the source's own blocks travel" },
      'no-wait': noWaitOption,
    },
    summary: 'copy a volume sparsely into a new volume, in this pool, another pool or on another host, in a background job',
    details: `Only the mapped blocks of the source travel (all-zero blocks are not written); with an external origin its blocks travel too, unless --keep-origin. Each run of data carries a checksum checked on arrival, and every window is read back and compared. The new volume is invisible until the copy is complete and verified; a failed or cancelled copy leaves no volume. Copy a snapshot for a copy of one instant of a volume in use. ${FOLLOWS}`,
    examples: ['volume copy tank/vm1-snap tank/vm1-clone', 'volume copy tank/base ssd/base --no-wait', 'volume copy tank/vm2 ssd/vm2 --keep-origin'],
    async run(context, args) {
      const source = parseVolumeRef(args.positionals[0] ?? '', 'SRCPOOL/NAME');
      const target = parseVolumeRef(args.positionals[1] ?? '', 'DSTPOOL/NEW');
      const response = await (
        await context.agent()
      ).copyVolume({
        pool: source.pool,
        name: source.name,
        targetPool: target.pool,
        targetName: target.name,
        keepOrigin: args.flag('keep-origin'),
      });
      const id = present(response.job, 'job').id;
      const from = `${source.pool}/${source.name}`;
      const to = `${target.pool}/${target.name}`;
      return finishJobCommand(context, args, response, id, `copying ${from} to ${to}`, `copied ${from} to ${to}`);
    },
  },
];
