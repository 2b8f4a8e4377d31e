// Original file: proto/thinfleet/agent/v1/pool.proto


/**
 * A thinfleet label that CreatePool{force} overwrote.
 */
export interface OverwrittenLabel {
  /**
   * The device as the request named it.
   */
  'device'?: (string);
  /**
   * The name of the pool the label belonged to; empty for a damaged label.
   */
  'poolName'?: (string);
  /**
   * That pool's uuid; empty for a damaged label.
   */
  'poolUuid'?: (string);
  /**
   * The device's index in that pool (a count, from 0); -1 for a damaged label.
   */
  'deviceIndex'?: (number);
}

/**
 * A thinfleet label that CreatePool{force} overwrote.
 */
export interface OverwrittenLabel__Output {
  /**
   * The device as the request named it.
   */
  'device': (string);
  /**
   * The name of the pool the label belonged to; empty for a damaged label.
   */
  'poolName': (string);
  /**
   * That pool's uuid; empty for a damaged label.
   */
  'poolUuid': (string);
  /**
   * The device's index in that pool (a count, from 0); -1 for a damaged label.
   */
  'deviceIndex': (number);
}
