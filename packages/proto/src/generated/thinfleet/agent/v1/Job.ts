// Original file: proto/thinfleet/agent/v1/job.proto

import type { JobState as _thinfleet_agent_v1_JobState, JobState__Output as _thinfleet_agent_v1_JobState__Output } from '../../../thinfleet/agent/v1/JobState.js';
import type { Long } from '@grpc/proto-loader';

export interface Job {
  /**
   * Unique on this host.
   */
  'id'?: (string);
  /**
   * "delete", "flatten", "merge", "import" or "export".
   */
  'kind'?: (string);
  'pool'?: (string);
  'volume'?: (string);
  'state'?: (_thinfleet_agent_v1_JobState);
  /**
   * Work done and total, in bytes of the volume.
   */
  'doneBytes'?: (number | string | Long);
  'totalBytes'?: (number | string | Long);
  /**
   * Start and last-change times, RFC 3339.
   */
  'created'?: (string);
  'updated'?: (string);
  /**
   * Why it failed; empty otherwise.
   */
  'error'?: (string);
  /**
   * The failure's code, as calls report it in `tf-error-code` ("VOLUME_BUSY"...), or its errno
   * name ("EIO"); empty otherwise.
   */
  'errorCode'?: (string);
  /**
   * The kind's phase now: "copy" or "detach" for a flatten, "merge" for a device snapshot's
   * merge; empty for a delete (one phase).
   */
  'phase'?: (string);
}

export interface Job__Output {
  /**
   * Unique on this host.
   */
  'id': (string);
  /**
   * "delete", "flatten", "merge", "import" or "export".
   */
  'kind': (string);
  'pool': (string);
  'volume': (string);
  'state': (_thinfleet_agent_v1_JobState__Output);
  /**
   * Work done and total, in bytes of the volume.
   */
  'doneBytes': (number);
  'totalBytes': (number);
  /**
   * Start and last-change times, RFC 3339.
   */
  'created': (string);
  'updated': (string);
  /**
   * Why it failed; empty otherwise.
   */
  'error': (string);
  /**
   * The failure's code, as calls report it in `tf-error-code` ("VOLUME_BUSY"...), or its errno
   * name ("EIO"); empty otherwise.
   */
  'errorCode': (string);
  /**
   * The kind's phase now: "copy" or "detach" for a flatten, "merge" for a device snapshot's
   * merge; empty for a delete (one phase).
   */
  'phase': (string);
}
