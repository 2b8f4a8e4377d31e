// Original file: proto/thinfleet/agent/v1/volume.proto

import type { ImageFormat as _thinfleet_agent_v1_ImageFormat, ImageFormat__Output as _thinfleet_agent_v1_ImageFormat__Output } from '../../../thinfleet/agent/v1/ImageFormat.js';

export interface ExportVolumeRequest {
  'pool'?: (string);
  'name'?: (string);
  /**
   * The new image file: an absolute path on the agent's host (at most 4096 bytes) in an existing
   * directory; an existing file is refused (ALREADY_EXISTS, `path`), never overwritten.
   */
  'path'?: (string);
  /**
   * An ImageFormat value; a number ImageFormat does not declare is refused (INVALID_ARGUMENT, `format`).
   */
  'format'?: (_thinfleet_agent_v1_ImageFormat);
  /**
   * Optional: the name of an older volume of `pool` of the same lineage (at most 128 bytes):
   * only the ranges where `name` differs from it are written, as an incremental stream
   * (docs/diff-stream.md) that ImportVolume with `onto` applies. Another lineage, or an older
   * volume larger than `name`, is INVALID_ARGUMENT (`since`); `format` must be
   * IMAGE_FORMAT_DIFF_STREAM or IMAGE_FORMAT_RAW (the default, taken as the stream).
   */
  'since'?: (string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
}

export interface ExportVolumeRequest__Output {
  'pool': (string);
  'name': (string);
  /**
   * The new image file: an absolute path on the agent's host (at most 4096 bytes) in an existing
   * directory; an existing file is refused (ALREADY_EXISTS, `path`), never overwritten.
   */
  'path': (string);
  /**
   * An ImageFormat value; a number ImageFormat does not declare is refused (INVALID_ARGUMENT, `format`).
   */
  'format': (_thinfleet_agent_v1_ImageFormat__Output);
  /**
   * Optional: the name of an older volume of `pool` of the same lineage (at most 128 bytes):
   * only the ranges where `name` differs from it are written, as an incremental stream
   * (docs/diff-stream.md) that ImportVolume with `onto` applies. Another lineage, or an older
   * volume larger than `name`, is INVALID_ARGUMENT (`since`); `format` must be
   * IMAGE_FORMAT_DIFF_STREAM or IMAGE_FORMAT_RAW (the default, taken as the stream).
   */
  'since': (string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
}
