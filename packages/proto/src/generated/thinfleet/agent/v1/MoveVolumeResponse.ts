// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Job as _thinfleet_agent_v1_Job, Job__Output as _thinfleet_agent_v1_Job__Output } from '../../../thinfleet/agent/v1/Job.js';

export interface MoveVolumeResponse {
  /**
   * The move job: kind "move", phases prepare, mirror, switch, cleanup; done_bytes / chunk_bytes
   * regions of total_bytes / chunk_bytes are in sync (chunk_bytes is the region size, bytes).
   */
  'job'?: (_thinfleet_agent_v1_Job | null);
}

export interface MoveVolumeResponse__Output {
  /**
   * The move job: kind "move", phases prepare, mirror, switch, cleanup; done_bytes / chunk_bytes
   * regions of total_bytes / chunk_bytes are in sync (chunk_bytes is the region size, bytes).
   */
  'job': (_thinfleet_agent_v1_Job__Output | null);
}
