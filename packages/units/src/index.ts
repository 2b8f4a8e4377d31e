/** @thinfleet/units: byte sizes as people type and read them, and SIZE_RULE, the one rule for every size in the API. */
export { formatBytes, MAX_SIZE_BYTES, parseSize, SIZE_RULE, sizeProblem, type ParseSizeOptions } from './byte-size.js';
