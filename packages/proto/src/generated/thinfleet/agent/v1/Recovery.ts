// Original file: proto/thinfleet/agent/v1/pool.proto


/**
 * What happened to the pool's last interrupted transaction at activation.
 */
export interface Recovery {
  /**
   * "clean", "rolled-forward", "rolled-back" or another outcome the engine reports.
   */
  'outcome'?: (string);
  /**
   * The transaction that was resolved (decimal); empty when there was none.
   */
  'transactionId'?: (string);
  /**
   * The kernel's transaction id afterwards (decimal).
   */
  'kernelTransactionId'?: (string);
}

/**
 * What happened to the pool's last interrupted transaction at activation.
 */
export interface Recovery__Output {
  /**
   * "clean", "rolled-forward", "rolled-back" or another outcome the engine reports.
   */
  'outcome': (string);
  /**
   * The transaction that was resolved (decimal); empty when there was none.
   */
  'transactionId': (string);
  /**
   * The kernel's transaction id afterwards (decimal).
   */
  'kernelTransactionId': (string);
}
