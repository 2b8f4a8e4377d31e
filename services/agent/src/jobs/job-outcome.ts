/**
 * How a delete job that stops without deleting its volume leaves it, said truthfully: which
 * bytes are discarded for certain, which may be (a discard in flight when the job stopped, or
 * one an earlier run made past its last saved checkpoint), and whether the volume is active.
 */
import { isEngineError, type Pool } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';
import type { JobRecord } from './job-record.js';
import { requireVolumeNotOpen } from './volume-openers.js';

/** The engine's or agent's code of an error, or its errno name, or INTERNAL. */
export function errorCodeOf(err: unknown): string {
  if (isEngineError(err) || err instanceof AgentError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 ? code : 'INTERNAL';
}

/**
 * What a job that stopped early left of its volume's data. `r.doneBytes` are discarded for
 * certain; bytes from there up to `possiblyBytes` may be, in part (a discard that was cut short
 * or whose checkpoint was never saved). Pure.
 */
export function leftBehind(r: Pick<JobRecord, 'doneBytes' | 'totalBytes'>, possiblyBytes: number): string {
  const maybe = Math.min(Math.max(possiblyBytes, r.doneBytes), r.totalBytes);
  const zeros = '(they read as zeros, or from its external origin)';
  if (maybe === 0) return 'no data was discarded; the volume is unchanged';
  if (r.doneBytes === 0) return `the volume remains, but bytes 0 to ${maybe} of its ${r.totalBytes} may be partly discarded ${zeros}; the rest is unchanged`;
  const what = r.doneBytes >= r.totalBytes ? `all ${r.totalBytes} bytes` : `the first ${r.doneBytes} of its ${r.totalBytes} bytes`;
  const certain = `the volume remains with ${what} discarded ${zeros}`;
  return maybe > r.doneBytes ? `${certain}, and bytes ${r.doneBytes} to ${maybe} may be partly discarded` : certain;
}

/**
 * At a job's end without a delete (cancelled, failed): deactivates its volume (found by uuid)
 * when the job activated it (`volumeWasActive` false), so an ended job never leaves behind a
 * device it made. Idempotent: an inactive or missing volume is left alone. Never rejects.
 * Resolves with what to add to the job's message: '' when the volume is inactive or stays
 * active because it was before the job, else why it is still active.
 */
export async function releaseVolume(pool: Pool, r: Pick<JobRecord, 'volumeUuid' | 'volumeWasActive'>): Promise<string> {
  // An inactive pool has no active volumes (its devices went with it).
  if (r.volumeWasActive || !pool.isActive) return '';
  try {
    const volume = (await pool.list()).find((v) => v.uuid === r.volumeUuid);
    if (volume === undefined || !volume.active) return '';
    await requireVolumeNotOpen(pool, volume);
    await pool.deactivateVolume(volume.name);
    return '';
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return `; the volume is still active: it could not be deactivated (${errorCodeOf(err)}: ${why})`;
  }
}
