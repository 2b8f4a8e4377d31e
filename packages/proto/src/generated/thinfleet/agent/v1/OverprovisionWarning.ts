// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A pool promises more than the configured share of its data space (LVM's "sum of all thin
 * volume sizes exceeds the size of the thin pool").
 */
export interface OverprovisionWarning {
  /**
   * Sum of the virtual sizes of the pool's volumes after the call, in bytes.
   */
  'provisionedBytes'?: (number | string | Long);
  /**
   * The pool's data size in bytes.
   */
  'dataBytes'?: (number | string | Long);
  /**
   * The configured limit (a ratio, unitless): provisioned bytes above this times data bytes warn.
   */
  'ratioLimit'?: (number | string);
  /**
   * provisioned_bytes / data_bytes (unitless).
   */
  'ratio'?: (number | string);
  /**
   * One line for a person.
   */
  'message'?: (string);
}

/**
 * A pool promises more than the configured share of its data space (LVM's "sum of all thin
 * volume sizes exceeds the size of the thin pool").
 */
export interface OverprovisionWarning__Output {
  /**
   * Sum of the virtual sizes of the pool's volumes after the call, in bytes.
   */
  'provisionedBytes': (number);
  /**
   * The pool's data size in bytes.
   */
  'dataBytes': (number);
  /**
   * The configured limit (a ratio, unitless): provisioned bytes above this times data bytes warn.
   */
  'ratioLimit': (number);
  /**
   * provisioned_bytes / data_bytes (unitless).
   */
  'ratio': (number);
  /**
   * One line for a person.
   */
  'message': (string);
}
