/**
 * The naming rule of pools and volumes, stated once for every layer that checks a name: the
 * engine (with its own messages), the lock (a lock is named after its pool), the agent's config
 * and the coordinator (which refuse a bad pool name before routing or locking). Names use the
 * characters LVM allows. Plain constants: importing them loads nothing.
 */

/** Longest pool name, in characters (all allowed characters are one byte). */
export const MAX_POOL_NAME_CHARS = 32;

/** Longest volume name, in characters (all allowed characters are one byte). */
export const MAX_VOLUME_NAME_CHARS = 64;

/** A pool or volume name of any length: letters, digits and `+ _ . -`, starting with a letter or digit. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9+_.-]*$/;

/** A whole pool name: {@link NAME_PATTERN} of at most {@link MAX_POOL_NAME_CHARS} characters. */
export const POOL_NAME_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9+_.-]{0,${MAX_POOL_NAME_CHARS - 1}}$`);

/** What {@link NAME_PATTERN} allows, in words, for messages. */
export const NAME_RULE = 'may use only letters, digits and + _ . - and must start with a letter or digit';
