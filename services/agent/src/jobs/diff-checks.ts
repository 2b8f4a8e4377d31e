/**
 * The checks a diff of two volumes needs before it means anything (DiffVolumes, and an export
 * with `since`): both exist, they are of one lineage (volume-diff.ts in the engine: one a
 * snapshot of the other, directly or through a chain, or snapshots of one volume), and they
 * read the same external origin (or none) where they map nothing, since a diff of mappings
 * cannot see a difference in what unmapped blocks read. Reads only.
 */
import { EngineError, quoted, sameLineage, type VolumeInfo } from '@thinfleet/engine';
import { AgentError, badRequest, withField } from '../agent-error.js';

/**
 * Refuses a volume an unfinished import is still filling (its content is partial): no stream is
 * made against it, and none is applied onto it.
 * @throws AgentError JOB_RUNNING naming `field`
 */
export function requireComplete(v: VolumeInfo, field: string): void {
  if (v.job?.kind === 'import') throw new AgentError('JOB_RUNNING', `${field}: import job ${v.job.jobId} is still filling volume ${quoted(v.name)}`, { field });
}

/** The two volumes of a diff, found in `volumes`. */
export interface DiffPair {
  /** A, the older (left) volume. */
  readonly left: VolumeInfo;
  /** B, the newer (right) volume. */
  readonly right: VolumeInfo;
}

/**
 * Finds `leftName` and `rightName` in `volumes` and checks they can be diffed; `fields` names
 * the request fields that carry them, `blame` the one a lineage refusal names.
 * @throws EngineError NO_SUCH_VOLUME naming the field; AgentError BAD_REQUEST naming `blame`
 */
export function requireDiffable(volumes: readonly VolumeInfo[], leftName: string, rightName: string, fields: { readonly left: string; readonly right: string }, blame: string): DiffPair {
  const find = (name: string, field: string): VolumeInfo => {
    const v = volumes.find((x) => x.name === name);
    if (v === undefined) throw withField(new EngineError('NO_SUCH_VOLUME', `no volume ${quoted(name)} in the pool`, { argument: field }), field);
    return v;
  };
  const left = find(leftName, fields.left);
  const right = find(rightName, fields.right);
  if (!sameLineage(volumes, left.name, right.name)) {
    throw badRequest(
      blame,
      `volumes ${quoted(left.name)} and ${quoted(right.name)} are of different lineages (neither is a snapshot of the other, directly or through a chain, nor are both snapshots of one volume): their mappings share nothing, so a diff would be meaningless`,
    );
  }
  if (left.externalOrigin !== right.externalOrigin) {
    throw badRequest(blame, `volumes ${quoted(left.name)} and ${quoted(right.name)} read different external origins where they map nothing; their mappings cannot tell where they differ`);
  }
  return { left, right };
}
