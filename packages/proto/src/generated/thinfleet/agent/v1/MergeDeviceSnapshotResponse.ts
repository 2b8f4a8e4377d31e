// Original file: proto/thinfleet/agent/v1/device_snapshot.proto

import type { Job as _thinfleet_agent_v1_Job, Job__Output as _thinfleet_agent_v1_Job__Output } from '../../../thinfleet/agent/v1/Job.js';

export interface MergeDeviceSnapshotResponse {
  /**
   * The merge job (kind "merge"): follow it with WatchJob.
   */
  'job'?: (_thinfleet_agent_v1_Job | null);
}

export interface MergeDeviceSnapshotResponse__Output {
  /**
   * The merge job (kind "merge"): follow it with WatchJob.
   */
  'job': (_thinfleet_agent_v1_Job__Output | null);
}
