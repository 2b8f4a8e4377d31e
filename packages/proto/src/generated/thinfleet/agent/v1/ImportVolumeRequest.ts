// Original file: proto/thinfleet/agent/v1/volume.proto

import type { ImageFormat as _thinfleet_agent_v1_ImageFormat, ImageFormat__Output as _thinfleet_agent_v1_ImageFormat__Output } from '../../../thinfleet/agent/v1/ImageFormat.js';
import type { Long } from '@grpc/proto-loader';

export interface ImportVolumeRequest {
  'pool'?: (string);
  /**
   * The new volume's name; it must be free.
   */
  'name'?: (string);
  /**
   * The image: an absolute path on the agent's host (at most 4096 bytes), a regular file or a
   * block device.
   */
  'path'?: (string);
  /**
   * An ImageFormat value; a number ImageFormat does not declare is refused (INVALID_ARGUMENT, `format`).
   */
  'format'?: (_thinfleet_agent_v1_ImageFormat);
  /**
   * Optional: the volume's size in bytes when larger than the image's (virtual) size; rounded up
   * to the pool's data block size.
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * Optional: the name of a volume of `pool` (at most 128 bytes) that `path` is an incremental
   * stream against (made by ExportVolume with `since`; docs/diff-stream.md): the new volume is
   * made as a snapshot of it (it stays untouched) and the stream's records are applied into it.
   * The stream's base uuid must be this volume's, or the uuid whose content an earlier stream
   * import restored it as (else INVALID_ARGUMENT, `onto`); `format` must be
   * IMAGE_FORMAT_DIFF_STREAM or IMAGE_FORMAT_RAW (the default, taken as the stream), and
   * `size_bytes` unset (else INVALID_ARGUMENT naming them).
   */
  'onto'?: (string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId'?: (string);
  '_sizeBytes'?: "sizeBytes";
}

export interface ImportVolumeRequest__Output {
  'pool': (string);
  /**
   * The new volume's name; it must be free.
   */
  'name': (string);
  /**
   * The image: an absolute path on the agent's host (at most 4096 bytes), a regular file or a
   * block device.
   */
  'path': (string);
  /**
   * An ImageFormat value; a number ImageFormat does not declare is refused (INVALID_ARGUMENT, `format`).
   */
  'format': (_thinfleet_agent_v1_ImageFormat__Output);
  /**
   * Optional: the volume's size in bytes when larger than the image's (virtual) size; rounded up
   * to the pool's data block size.
   */
  'sizeBytes'?: (number);
  /**
   * Optional: the name of a volume of `pool` (at most 128 bytes) that `path` is an incremental
   * stream against (made by ExportVolume with `since`; docs/diff-stream.md): the new volume is
   * made as a snapshot of it (it stays untouched) and the stream's records are applied into it.
   * The stream's base uuid must be this volume's, or the uuid whose content an earlier stream
   * import restored it as (else INVALID_ARGUMENT, `onto`); `format` must be
   * IMAGE_FORMAT_DIFF_STREAM or IMAGE_FORMAT_RAW (the default, taken as the stream), and
   * `size_bytes` unset (else INVALID_ARGUMENT naming them).
   */
  'onto': (string);
  /**
   * Optional: the caller's id for this request, up to 128 printable ASCII bytes (a UUID). A
   * retry with the same id and the same fields is answered from the first attempt instead of
   * running again (see docs/agent.md, Request ids: per pool, 10 minutes, not across a restart).
   */
  'requestId': (string);
  '_sizeBytes'?: "sizeBytes";
}
