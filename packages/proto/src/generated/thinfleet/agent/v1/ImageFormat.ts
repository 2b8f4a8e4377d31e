// Original file: proto/thinfleet/agent/v1/volume.proto

/**
 * The format of an image file (ImportVolume, ExportVolume).
 */
export const ImageFormat = {
  /**
   * Raw bytes, read and written sparsely by the agent itself.
   */
  IMAGE_FORMAT_RAW: 'IMAGE_FORMAT_RAW',
  /**
   * Through qemu-img (Debian's qemu-utils).
   */
  IMAGE_FORMAT_QCOW2: 'IMAGE_FORMAT_QCOW2',
  IMAGE_FORMAT_VMDK: 'IMAGE_FORMAT_VMDK',
  IMAGE_FORMAT_VHDX: 'IMAGE_FORMAT_VHDX',
  IMAGE_FORMAT_VDI: 'IMAGE_FORMAT_VDI',
  /**
   * thinfleet's incremental stream (docs/diff-stream.md): an export with `since` writes the
   * ranges that differ from that volume, one without writes every range the volume maps (a full
   * stream); an import with `onto` applies an incremental one, without `onto` a full one.
   */
  IMAGE_FORMAT_DIFF_STREAM: 'IMAGE_FORMAT_DIFF_STREAM',
} as const;

/**
 * The format of an image file (ImportVolume, ExportVolume).
 */
export type ImageFormat =
  /**
   * Raw bytes, read and written sparsely by the agent itself.
   */
  | 'IMAGE_FORMAT_RAW'
  | 0
  /**
   * Through qemu-img (Debian's qemu-utils).
   */
  | 'IMAGE_FORMAT_QCOW2'
  | 1
  | 'IMAGE_FORMAT_VMDK'
  | 2
  | 'IMAGE_FORMAT_VHDX'
  | 3
  | 'IMAGE_FORMAT_VDI'
  | 4
  /**
   * thinfleet's incremental stream (docs/diff-stream.md): an export with `since` writes the
   * ranges that differ from that volume, one without writes every range the volume maps (a full
   * stream); an import with `onto` applies an incremental one, without `onto` a full one.
   */
  | 'IMAGE_FORMAT_DIFF_STREAM'
  | 5

/**
 * The format of an image file (ImportVolume, ExportVolume).
 */
export type ImageFormat__Output = typeof ImageFormat[keyof typeof ImageFormat]
