/** The agent's background jobs: records, their store, the generic runner, its kinds (chunked delete), and the manager. */
export * from './job-record.js';
export * from './job-store.js';
export * from './job-kind.js';
export * from './job-runner.js';
export { adoptedRecord, DELETE_JOB_KIND, deleteJobKind, type DeleteJobOptions, type DeleteJobRequest } from './delete-job.js';
export { adoptedFlattenRecord, FLATTEN_JOB_KIND, flattenJobKind, type FlattenJobOptions, type FlattenJobRequest } from './flatten-job.js';
export * from './job-manager.js';
export { requireVolumeNotOpen } from './volume-openers.js';
