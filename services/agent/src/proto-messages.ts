/** Engine and agent objects as the API's messages (proto/thinfleet/agent/v1). */
import type { VolumeInfo } from '@thinfleet/engine';
import type { Job, Pool as PoolMessage, PoolEvent as PoolEventMessage, Volume } from '@thinfleet/proto';
import type { PoolEvent } from './capacity/pool-event.js';
import type { HostPoolView } from './host-pools.js';
import type { JobRecord } from './jobs/index.js';

/** The Pool message of a pool view. */
export function poolMessage(view: HostPoolView): PoolMessage {
  const s = view.status;
  return {
    name: view.name,
    uuid: view.uuid,
    active: view.active,
    devices: [...view.devices],
    transactionId: s?.transactionId ?? '',
    mode: s?.mode ?? 'inactive',
    needsCheck: s?.needsCheck ?? false,
    dataBlockBytes: s?.dataBlockBytes ?? 0,
    dataTotalBytes: s?.dataTotalBytes ?? 0,
    dataUsedBytes: s?.dataUsedBytes ?? 0,
    metadataTotalBytes: s?.metadataTotalBytes ?? 0,
    metadataUsedBytes: s?.metadataUsedBytes ?? 0,
    volumes: s?.volumes ?? 0,
    activeVolumes: s?.activeVolumes ?? 0,
    maxVolumeBytes: s?.maxVolumeBytes ?? 0,
    lastRecovery: view.recovery === null ? null : { outcome: view.recovery.outcome, transactionId: view.recovery.tx ?? '', kernelTransactionId: view.recovery.kernelTx },
    problem: view.problem ?? '',
    noSpaceMode: s?.noSpaceMode ?? '',
    provisionedBytes: s?.provisionedBytes ?? 0,
  };
}

/**
 * The Volume message of `info` in `pool`; `jobId` names a job working on it here, else the job
 * the pool's delete or job mark names (one handed over with the pool, not yet adopted).
 */
export function volumeMessage(pool: string, info: VolumeInfo, jobId: string | null, deviceSimulated = false): Volume {
  const usage = info.mappedBytes === null ? {} : { mappedBytes: info.mappedBytes, exclusiveBytes: info.exclusiveBytes ?? 0, sharedBytes: info.sharedBytes ?? 0 };
  return {
    pool,
    name: info.name,
    uuid: info.uuid,
    thinId: info.thinId,
    sizeBytes: info.sizeBytes,
    origin: info.origin ?? '',
    externalOrigin: info.externalOrigin ?? '',
    created: info.created,
    revisionOf: info.revisionOf ?? '',
    revision: info.revision ?? 0,
    pinned: info.pinned,
    active: info.active,
    devicePath: info.devicePath ?? '',
    jobId: jobId ?? info.deleting?.jobId ?? info.job?.jobId ?? '',
    deviceSimulated,
    ...usage,
  };
}

const JOB_STATES = {
  queued: 'JOB_STATE_QUEUED',
  running: 'JOB_STATE_RUNNING',
  succeeded: 'JOB_STATE_SUCCEEDED',
  failed: 'JOB_STATE_FAILED',
  cancelled: 'JOB_STATE_CANCELLED',
} as const;

/** The Job message of a job record. */
export function jobMessage(job: JobRecord): Job {
  return {
    id: job.id,
    kind: job.kind,
    pool: job.pool,
    volume: job.volume,
    state: JOB_STATES[job.state],
    doneBytes: job.doneBytes,
    totalBytes: job.totalBytes,
    created: new Date(job.createdMs).toISOString(),
    updated: new Date(job.updatedMs).toISOString(),
    error: job.error ?? '',
    errorCode: job.errorCode ?? '',
    phase: job.phase,
  };
}

/** The PoolEvent message of a capacity event. */
export function poolEventMessage(e: PoolEvent): PoolEventMessage {
  return {
    pool: e.pool,
    kind: e.kind,
    usedBytes: e.usedBytes,
    totalBytes: e.totalBytes,
    thresholdPercent: e.thresholdPercent,
    time: new Date(e.atMs).toISOString(),
    message: e.message,
    current: e.current,
  };
}
