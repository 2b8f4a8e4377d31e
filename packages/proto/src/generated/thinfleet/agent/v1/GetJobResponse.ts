// Original file: proto/thinfleet/agent/v1/job.proto

import type { Job as _thinfleet_agent_v1_Job, Job__Output as _thinfleet_agent_v1_Job__Output } from '../../../thinfleet/agent/v1/Job.js';

export interface GetJobResponse {
  'job'?: (_thinfleet_agent_v1_Job | null);
}

export interface GetJobResponse__Output {
  'job': (_thinfleet_agent_v1_Job__Output | null);
}
