// Original file: proto/thinfleet/agent/v1/volume.proto

import type { Long } from '@grpc/proto-loader';

export interface Volume {
  /**
   * The pool the volume is in.
   */
  'pool'?: (string);
  /**
   * Letters, digits and + _ . -, at most 64 bytes.
   */
  'name'?: (string);
  'uuid'?: (string);
  /**
   * The kernel's 24-bit thin device id.
   */
  'thinId'?: (number);
  /**
   * Virtual size in bytes.
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * The volume this one was snapshotted from, while it exists; empty otherwise.
   */
  'origin'?: (string);
  /**
   * The read-only block device under this volume; empty when none.
   */
  'externalOrigin'?: (string);
  /**
   * Creation time, RFC 3339.
   */
  'created'?: (string);
  /**
   * For a revision: the volume it is a revision of; empty otherwise.
   */
  'revisionOf'?: (string);
  /**
   * For a revision: its number (1, 2, ...); 0 otherwise.
   */
  'revision'?: (number);
  /**
   * Revision rotation never deletes a pinned volume.
   */
  'pinned'?: (boolean);
  /**
   * The volume has a block device on this host.
   */
  'active'?: (boolean);
  /**
   * `/dev/mapper/...` while active; empty otherwise.
   */
  'devicePath'?: (string);
  /**
   * Bytes the volume maps in the pool; absent unless usage was asked for.
   */
  'mappedBytes'?: (number | string | Long);
  /**
   * Mapped bytes no other volume shares; absent unless usage was asked for.
   */
  'exclusiveBytes'?: (number | string | Long);
  /**
   * Mapped bytes shared with another volume; absent unless usage was asked for.
   */
  'sharedBytes'?: (number | string | Long);
  /**
   * The job working on this volume (a background delete or flatten); empty when none. A job
   * handed over with its pool and not yet adopted by the pool's next holder is named too (from
   * the pool's delete or job mark), so a coordinator can tell a moving job from a job that does
   * not exist.
   */
  'jobId'?: (string);
  /**
   * The agent runs the simulated device-mapper: device_path names a device that exists only
   * inside the agent's process. Read and write the volume with ReadVolume and WriteVolume.
   */
  'deviceSimulated'?: (boolean);
  /**
   * Set by the coordinator only (an agent leaves it false): the volume was active on the pool's
   * previous holder, which died holding the pool, and has not been activated or deactivated
   * since. An orchestrator restarts the volume's users on the new holder, then activates it.
   */
  'wasActive'?: (boolean);
  '_mappedBytes'?: "mappedBytes";
  '_exclusiveBytes'?: "exclusiveBytes";
  '_sharedBytes'?: "sharedBytes";
}

export interface Volume__Output {
  /**
   * The pool the volume is in.
   */
  'pool': (string);
  /**
   * Letters, digits and + _ . -, at most 64 bytes.
   */
  'name': (string);
  'uuid': (string);
  /**
   * The kernel's 24-bit thin device id.
   */
  'thinId': (number);
  /**
   * Virtual size in bytes.
   */
  'sizeBytes': (number);
  /**
   * The volume this one was snapshotted from, while it exists; empty otherwise.
   */
  'origin': (string);
  /**
   * The read-only block device under this volume; empty when none.
   */
  'externalOrigin': (string);
  /**
   * Creation time, RFC 3339.
   */
  'created': (string);
  /**
   * For a revision: the volume it is a revision of; empty otherwise.
   */
  'revisionOf': (string);
  /**
   * For a revision: its number (1, 2, ...); 0 otherwise.
   */
  'revision': (number);
  /**
   * Revision rotation never deletes a pinned volume.
   */
  'pinned': (boolean);
  /**
   * The volume has a block device on this host.
   */
  'active': (boolean);
  /**
   * `/dev/mapper/...` while active; empty otherwise.
   */
  'devicePath': (string);
  /**
   * Bytes the volume maps in the pool; absent unless usage was asked for.
   */
  'mappedBytes'?: (number);
  /**
   * Mapped bytes no other volume shares; absent unless usage was asked for.
   */
  'exclusiveBytes'?: (number);
  /**
   * Mapped bytes shared with another volume; absent unless usage was asked for.
   */
  'sharedBytes'?: (number);
  /**
   * The job working on this volume (a background delete or flatten); empty when none. A job
   * handed over with its pool and not yet adopted by the pool's next holder is named too (from
   * the pool's delete or job mark), so a coordinator can tell a moving job from a job that does
   * not exist.
   */
  'jobId': (string);
  /**
   * The agent runs the simulated device-mapper: device_path names a device that exists only
   * inside the agent's process. Read and write the volume with ReadVolume and WriteVolume.
   */
  'deviceSimulated': (boolean);
  /**
   * Set by the coordinator only (an agent leaves it false): the volume was active on the pool's
   * previous holder, which died holding the pool, and has not been activated or deactivated
   * since. An orchestrator restarts the volume's users on the new holder, then activates it.
   */
  'wasActive': (boolean);
  '_mappedBytes'?: "mappedBytes";
  '_exclusiveBytes'?: "exclusiveBytes";
  '_sharedBytes'?: "sharedBytes";
}
