// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Job as _thinfleet_agent_v1_Job, Job__Output as _thinfleet_agent_v1_Job__Output } from '../../../thinfleet/agent/v1/Job.js';

export interface FlattenVolumeResponse {
  /**
   * The flatten job: kind "flatten", phase "copy" then "detach", progress in bytes of the volume.
   */
  'job'?: (_thinfleet_agent_v1_Job | null);
}

export interface FlattenVolumeResponse__Output {
  /**
   * The flatten job: kind "flatten", phase "copy" then "detach", progress in bytes of the volume.
   */
  'job': (_thinfleet_agent_v1_Job__Output | null);
}
