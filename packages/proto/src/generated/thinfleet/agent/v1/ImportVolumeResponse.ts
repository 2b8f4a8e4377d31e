// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Job as _thinfleet_agent_v1_Job, Job__Output as _thinfleet_agent_v1_Job__Output } from '../../../thinfleet/agent/v1/Job.js';

export interface ImportVolumeResponse {
  /**
   * The import job (kind "import"); done_bytes and total_bytes count bytes of the image.
   */
  'job'?: (_thinfleet_agent_v1_Job | null);
}

export interface ImportVolumeResponse__Output {
  /**
   * The import job (kind "import"); done_bytes and total_bytes count bytes of the image.
   */
  'job': (_thinfleet_agent_v1_Job__Output | null);
}
