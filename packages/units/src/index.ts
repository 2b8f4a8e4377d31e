/**
 * @thinfleet/units: the rules every size and name in thinfleet's API follows, stated once, and
 * byte sizes as people type and read them.
 */
export { formatBytes, MAX_SIZE_BYTES, parseSize, SIZE_RULE, sizeProblem, type ParseSizeOptions } from './byte-size.js';
export { QUOTED_PREFIX_CHARS, quoted } from './quote.js';
export { MAX_POOL_NAME_CHARS, MAX_VOLUME_NAME_CHARS, NAME_PATTERN, NAME_RULE, POOL_NAME_PATTERN } from './names.js';
