// Original file: proto/thinfleet/agent/v1/pool.proto

import type { Recovery as _thinfleet_agent_v1_Recovery, Recovery__Output as _thinfleet_agent_v1_Recovery__Output } from '../../../thinfleet/agent/v1/Recovery.js';
import type { Long } from '@grpc/proto-loader';

export interface Pool {
  /**
   * The pool's name: letters, digits and + _ . -, at most 32 bytes.
   */
  'name'?: (string);
  /**
   * The pool's uuid, from its label.
   */
  'uuid'?: (string);
  /**
   * True while the pool is active on this host.
   */
  'active'?: (boolean);
  /**
   * The devices as the agent was given them, device 0 first (block devices or files).
   */
  'devices'?: (string)[];
  /**
   * The kernel's transaction id (decimal); empty while inactive.
   */
  'transactionId'?: (string);
  /**
   * "rw", "ro", "out_of_data_space", "failed", or "inactive".
   */
  'mode'?: (string);
  /**
   * The kernel asks for thin_check before more changes.
   */
  'needsCheck'?: (boolean);
  /**
   * Data block size in bytes (the unit of allocation and sharing).
   */
  'dataBlockBytes'?: (number | string | Long);
  /**
   * Data region size in bytes.
   */
  'dataTotalBytes'?: (number | string | Long);
  /**
   * Bytes of the data region in use.
   */
  'dataUsedBytes'?: (number | string | Long);
  /**
   * Kernel metadata region size in bytes.
   */
  'metadataTotalBytes'?: (number | string | Long);
  /**
   * Bytes of kernel metadata in use.
   */
  'metadataUsedBytes'?: (number | string | Long);
  /**
   * Number of volumes in the pool's catalog.
   */
  'volumes'?: (number);
  /**
   * Number of volumes with an active device.
   */
  'activeVolumes'?: (number);
  /**
   * The largest volume size in bytes the pool accepts.
   */
  'maxVolumeBytes'?: (number | string | Long);
  /**
   * The last recovery at activation; absent when the pool is inactive.
   */
  'lastRecovery'?: (_thinfleet_agent_v1_Recovery | null);
  /**
   * Why the agent could not activate the pool (at start, or at the last ActivatePool); empty
   * while it is active or no activation failed.
   */
  'problem'?: (string);
  /**
   * What writes to unprovisioned blocks do once the data space is full: "queue" (the kernel's
   * default: they wait for space, up to the dm_thin_pool module's no_space_timeout, 60 s by
   * default, then fail) or "error" (they fail at once with EIO/ENOSPC); empty while inactive.
   */
  'noSpaceMode'?: (string);
  /**
   * Sum of the virtual sizes of the pool's volumes in bytes; 0 while inactive.
   */
  'provisionedBytes'?: (number | string | Long);
}

export interface Pool__Output {
  /**
   * The pool's name: letters, digits and + _ . -, at most 32 bytes.
   */
  'name': (string);
  /**
   * The pool's uuid, from its label.
   */
  'uuid': (string);
  /**
   * True while the pool is active on this host.
   */
  'active': (boolean);
  /**
   * The devices as the agent was given them, device 0 first (block devices or files).
   */
  'devices': (string)[];
  /**
   * The kernel's transaction id (decimal); empty while inactive.
   */
  'transactionId': (string);
  /**
   * "rw", "ro", "out_of_data_space", "failed", or "inactive".
   */
  'mode': (string);
  /**
   * The kernel asks for thin_check before more changes.
   */
  'needsCheck': (boolean);
  /**
   * Data block size in bytes (the unit of allocation and sharing).
   */
  'dataBlockBytes': (number);
  /**
   * Data region size in bytes.
   */
  'dataTotalBytes': (number);
  /**
   * Bytes of the data region in use.
   */
  'dataUsedBytes': (number);
  /**
   * Kernel metadata region size in bytes.
   */
  'metadataTotalBytes': (number);
  /**
   * Bytes of kernel metadata in use.
   */
  'metadataUsedBytes': (number);
  /**
   * Number of volumes in the pool's catalog.
   */
  'volumes': (number);
  /**
   * Number of volumes with an active device.
   */
  'activeVolumes': (number);
  /**
   * The largest volume size in bytes the pool accepts.
   */
  'maxVolumeBytes': (number);
  /**
   * The last recovery at activation; absent when the pool is inactive.
   */
  'lastRecovery': (_thinfleet_agent_v1_Recovery__Output | null);
  /**
   * Why the agent could not activate the pool (at start, or at the last ActivatePool); empty
   * while it is active or no activation failed.
   */
  'problem': (string);
  /**
   * What writes to unprovisioned blocks do once the data space is full: "queue" (the kernel's
   * default: they wait for space, up to the dm_thin_pool module's no_space_timeout, 60 s by
   * default, then fail) or "error" (they fail at once with EIO/ENOSPC); empty while inactive.
   */
  'noSpaceMode': (string);
  /**
   * Sum of the virtual sizes of the pool's volumes in bytes; 0 while inactive.
   */
  'provisionedBytes': (number);
}
