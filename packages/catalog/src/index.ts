/**
 * @thinfleet/catalog: a pool's own on-disk metadata. Every pool device starts with a
 * {@link PoolLabel}; device 0 also holds the catalog, a {@link CatalogStore} of checksummed,
 * sequence-numbered journal records compacted into two alternating checkpoint slots. The store
 * is generic over its state; the engine supplies the reducer. Format: docs/catalog-format.md.
 */
export * from './catalog-device.js';
export * from './catalog-error.js';
export * from './catalog-writer.js';
export * from './writer-evidence.js';
export * from './checksum.js';
export * from './file-catalog-device.js';
export * from './memory-catalog-device.js';
export * from './label.js';
export * from './journal-record.js';
export * from './checkpoint-slot.js';
export * from './catalog-store.js';
