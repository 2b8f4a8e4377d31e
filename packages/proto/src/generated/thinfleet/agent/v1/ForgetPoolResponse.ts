// Original file: proto/thinfleet/agent/v1/pool.proto


export interface ForgetPoolResponse {
  /**
   * The files whose loop devices were detached (paths as recorded); nothing was written to them.
   */
  'releasedFiles'?: (string)[];
}

export interface ForgetPoolResponse__Output {
  /**
   * The files whose loop devices were detached (paths as recorded); nothing was written to them.
   */
  'releasedFiles': (string)[];
}
