/**
 * Names the agent, the coordinator and their clients must spell alike on the wire: the keys of
 * the trailing metadata a failed call carries, the request metadata a routed call carries, and
 * the pattern a pool name follows (re-exported from @thinfleet/units). Plain constants: importing them loads nothing.
 */

/**
 * Trailing-metadata keys of a failed call (agent and coordinator alike). Values are
 * percent-encoded UTF-8 (trailer-values.ts).
 */
export const ERROR_TRAILER_KEYS = {
  /** The engine's, agent's or coordinator's error code (`NO_SUCH_VOLUME`, `JOB_RUNNING`...). */
  code: 'tf-error-code',
  /** The errno name closest to the failure (`ENOENT`, `EBUSY`...). */
  errno: 'tf-errno',
  /** For a bad request: the request field at fault, as a path (`ops[3].name`). */
  field: 'tf-field',
  /** For a batch: the caller's name of the item at fault. */
  item: 'tf-item',
} as const;

/** Request metadata key of a routed mutating call: the pool's lock grant token (decimal). */
export const LOCK_TOKEN_METADATA = 'tf-lock-token';

/** A pool name (the rule lives in @thinfleet/units, below every package that checks a name). */
export { POOL_NAME_PATTERN } from '@thinfleet/units';
