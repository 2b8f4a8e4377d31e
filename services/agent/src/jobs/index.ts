/** The agent's background jobs: records, their store, the generic runner, its kinds (chunked delete, import, export), and the manager. */
export * from './job-record.js';
export * from './job-store.js';
export * from './job-kind.js';
export * from './job-runner.js';
export { adoptedRecord, DELETE_JOB_KIND, deleteJobKind, type DeleteJobOptions, type DeleteJobRequest } from './delete-job.js';
export { adoptedFlattenRecord, FLATTEN_JOB_KIND, flattenJobKind, type FlattenJobOptions, type FlattenJobRequest } from './flatten-job.js';
export * from './job-manager.js';
export { requireVolumeNotOpen } from './volume-openers.js';
export { IMPORT_JOB_KIND, importJobKind, type ImportJobRequest } from './import-job.js';
export { EXPORT_JOB_KIND, exportJobKind, type ExportJobRequest } from './export-job.js';
export { DEFAULT_IMAGE_CHUNK_BYTES, type ImageJobOptions } from './image-job-options.js';
export { IMAGE_FORMATS, isImageFormat, type ImageFormat } from './image-files.js';
export { QemuImg, spawnCommand, type CommandRunner, type CommandResult } from './qemu-img.js';
export { COPY_JOB_KIND, copyJobKind, isIncompleteCopy, DEFAULT_COPY_CHUNK_BYTES, type CopyJobOptions, type CopyJobRequest } from './copy-job.js';
export { localCopySource, windowDigest, type CopySource, type CopySourceSpec, type CopyWindow, type CopyRun } from './copy-source.js';
