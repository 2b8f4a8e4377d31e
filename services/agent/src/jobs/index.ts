/** The agent's background jobs (chunked deletes): records, their store, and the manager. */
export * from './job-record.js';
export * from './job-store.js';
export * from './job-manager.js';
export { requireVolumeNotOpen } from './volume-openers.js';
