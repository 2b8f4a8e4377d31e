/**
 * What a failed call may carry in its status, so that grpc can always send it. gRPC metadata
 * values (other than `-bin` keys) may hold only printable ASCII, and HTTP/2 refuses trailers
 * past its header-list limit (16 KiB by default): a value outside those rules makes grpc-js
 * drop the status (INTERNAL "illegal characters") or never send one at all (the call hangs).
 * Agents and coordinators therefore percent-encode the `tf-*` values they set and bound every
 * value and the status message; clients decode with `decodeTrailerValue`.
 */

/** Longest `tf-*` trailer value sent, in bytes after encoding. */
export const MAX_TRAILER_VALUE_BYTES = 512;
/** Longest status message (grpc-message) sent, in UTF-8 bytes before grpc's own encoding. */
export const MAX_STATUS_DETAILS_BYTES = 1024;

const encoder = new TextEncoder();
const ELLIPSIS = '%E2%80%A6';

/**
 * `value` as a metadata-safe string: printable ASCII other than `%` as it is, every other byte of
 * its UTF-8 form as `%XX`. ASCII names (`ops[3].name`, `NO_SUCH_VOLUME`) are unchanged. A value
 * longer than MAX_TRAILER_VALUE_BYTES encoded is cut (at a whole escape) and ends in `%E2%80%A6`
 * (an ellipsis), so the result always fits.
 */
export function encodeTrailerValue(value: string): string {
  let out = '';
  for (const ch of value) {
    let piece = '';
    for (const byte of encoder.encode(ch)) {
      piece += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    if (out.length + piece.length > MAX_TRAILER_VALUE_BYTES - ELLIPSIS.length) return `${out}${ELLIPSIS}`;
    out += piece;
  }
  return out;
}

/**
 * The value `encodeTrailerValue` encoded. Lenient: a value that is not valid percent-encoding (an
 * older agent's raw value) is returned as it is.
 */
export function decodeTrailerValue(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * `details` cut to MAX_STATUS_DETAILS_BYTES of UTF-8 (at a character boundary, ending in `…`),
 * with control characters other than tab shown as `\u00XX`, so a status message always fits in
 * the trailers whatever was interpolated into it.
 */
export function boundedDetails(details: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = details.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Buffer.byteLength(clean) <= MAX_STATUS_DETAILS_BYTES) return clean;
  let out = '';
  let bytes = 0;
  for (const ch of clean) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > MAX_STATUS_DETAILS_BYTES - 3) break;
    out += ch;
    bytes += n;
  }
  return `${out}…`;
}
