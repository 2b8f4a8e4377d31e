// Original file: proto/thinfleet/agent/v1/volume.proto

/**
 * How B differs from A over a range (thin_delta's classes; equal ranges are not listed).
 */
export const DiffKind = {
  DIFF_KIND_UNSPECIFIED: 'DIFF_KIND_UNSPECIFIED',
  /**
   * Both map the range, to different data blocks: B wrote it since they parted.
   */
  DIFF_KIND_DIFFERENT: 'DIFF_KIND_DIFFERENT',
  /**
   * Only A maps it: B reads zeros there (or its external origin).
   */
  DIFF_KIND_LEFT_ONLY: 'DIFF_KIND_LEFT_ONLY',
  /**
   * Only B maps it: A reads zeros there (or its external origin).
   */
  DIFF_KIND_RIGHT_ONLY: 'DIFF_KIND_RIGHT_ONLY',
} as const;

/**
 * How B differs from A over a range (thin_delta's classes; equal ranges are not listed).
 */
export type DiffKind =
  | 'DIFF_KIND_UNSPECIFIED'
  | 0
  /**
   * Both map the range, to different data blocks: B wrote it since they parted.
   */
  | 'DIFF_KIND_DIFFERENT'
  | 1
  /**
   * Only A maps it: B reads zeros there (or its external origin).
   */
  | 'DIFF_KIND_LEFT_ONLY'
  | 2
  /**
   * Only B maps it: A reads zeros there (or its external origin).
   */
  | 'DIFF_KIND_RIGHT_ONLY'
  | 3

/**
 * How B differs from A over a range (thin_delta's classes; equal ranges are not listed).
 */
export type DiffKind__Output = typeof DiffKind[keyof typeof DiffKind]
