// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Job as _thinfleet_agent_v1_Job, Job__Output as _thinfleet_agent_v1_Job__Output } from '../../../thinfleet/agent/v1/Job.js';

export interface CopyVolumeResponse {
  /**
   * The copy job: kind "copy", phase "create", "copy" then "commit" (a move between hosts:
   * "delete-source" instead of "commit"); done_bytes and total_bytes count bytes of the source.
   */
  'job'?: (_thinfleet_agent_v1_Job | null);
}

export interface CopyVolumeResponse__Output {
  /**
   * The copy job: kind "copy", phase "create", "copy" then "commit" (a move between hosts:
   * "delete-source" instead of "commit"); done_bytes and total_bytes count bytes of the source.
   */
  'job': (_thinfleet_agent_v1_Job__Output | null);
}
