/**
 * Move between hosts (issue 15, item 3): a `copy` job with `move` in its arguments
 * (`JobManager.startCopy({..., move: true})`, for an INACTIVE source in another pool, of this
 * host or another). The copy (copy-job.ts) makes the destination with the SOURCE's uuid (the
 * engine's create item takes a given uuid, unique in its pool), so the volume keeps its identity;
 * then the identity switches and the source is deleted:
 *
 * 1. after the last verified window, the source is checked unchanged (same uuid, inactive, same
 *    size) and the record's phase becomes `delete-source`;
 * 2. one transaction on the destination's side clears the copy mark: the destination is now the
 *    volume (visible, with its uuid);
 * 3. one transaction on the source's side deletes the source, through its holder (in this process,
 *    or `DeleteVolume` routed by the coordinator), only if the volume there still has the moved
 *    uuid (idempotent: a source already gone, or a name another volume took, is left alone).
 *
 * The source must not change while the job runs. Precondition, chosen over a mark on the source
 * (which a source held by another host could only get through an RPC that writes marks): the
 * source is inactive at the start, and is checked again (uuid, inactive, size) before every
 * window and before the switch; a source found changed fails the job, which deletes its
 * destination (the source is never touched then). When the source's pool is held by this agent,
 * every change to the source, activation included, is also refused while the move runs
 * (`JobManager.moveFrom`, volume-service.ts `noJobOn`: JOB_RUNNING). A source on another host
 * activated, written and deactivated entirely between two checks is not seen: do not use a
 * volume while it moves.
 *
 * Crash story of the window between the two sides: the record says `delete-source` before the
 * destination's transaction. A crash before that transaction: the resumed job clears the mark
 * (step 2) and deletes the source (step 3). A crash between the two transactions: both pools
 * hold a volume with the uuid; the DESTINATION wins (it is complete and verified, and the job's
 * record says so): the resumed job deletes the source. A hand-over of the destination pool in
 * phase `delete-source` writes a mark of that phase on the destination (visible, but refused
 * changes while marked), which the next holder adopts to finish step 3. A crash after step 3:
 * the resumed job finds the source gone and succeeds.
 */
import { EngineError } from '@thinfleet/engine';

/** The source of a move as its holder describes it now, or null when no volume has its name (or uuid). */
export interface MoveSourceState {
  readonly uuid: string;
  readonly name: string;
  readonly sizeBytes: number;
  readonly active: boolean;
}

/** What a move records of its source (the copy job's arguments). */
export interface MoveSource {
  readonly pool: string;
  readonly name: string;
  readonly uuid: string;
  readonly sizeBytes: number;
}

/**
 * Refuses to go on when the source of a move changed: gone, another uuid, active, resized.
 * @throws EngineError VOLUME_ACTIVE, NO_SUCH_VOLUME, INVALID_ARGUMENT (argument `name`)
 */
export function requireMoveSourceUnchanged(source: MoveSource, now: MoveSourceState | null): void {
  const at = `volume "${source.name}" of pool ${source.pool}`;
  if (now === null || now.uuid !== source.uuid)
    throw new EngineError('NO_SUCH_VOLUME', `${at}, being moved, is gone (or another volume took its name); the move stops`, { argument: 'name' });
  if (now.active) throw new EngineError('VOLUME_ACTIVE', `${at}, being moved, was activated; the move stops and the source stays as it is`, { argument: 'name' });
  if (now.sizeBytes !== source.sizeBytes) throw new EngineError('INVALID_ARGUMENT', `${at}, being moved, changed size; the move stops`, { argument: 'name' });
}

/**
 * Deletes the source of a finished move through `remove`, only if the volume of its name still
 * has the moved uuid. Idempotent. Resolves with what happened, for the log.
 * @throws what `describe` or `remove` throw
 */
export async function deleteMovedSource(source: MoveSource, describe: () => Promise<MoveSourceState | null>, remove: (name: string) => Promise<void>): Promise<string> {
  const now = await describe();
  if (now === null) return 'the source was deleted already';
  if (now.uuid !== source.uuid) return `a volume of another uuid has the source's name now; it is left alone`;
  await remove(now.name);
  return 'the source is deleted';
}
