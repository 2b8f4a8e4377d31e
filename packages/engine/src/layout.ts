/**
 * Where a pool's parts live on its devices. Device 0: the label (first 4 KiB), the catalog
 * (from 1 MiB), the kernel's thin metadata region, then data. Every other device: the label,
 * then data from 1 MiB. The data regions, cut to whole data blocks, are joined in device order
 * by one dm-linear device; the metadata region by another. The layout is computed once, at
 * pool creation, and kept in the catalog; activation never recomputes it.
 */
import type { CatalogLayout } from '@thinfleet/catalog';
import { formatBytes } from '@thinfleet/units';
import { EngineError } from './engine-error.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Everything is aligned to 1 MiB (and data extents to the data block size as well). */
export const LAYOUT_ALIGN_BYTES = MiB;
export const DEFAULT_DATA_BLOCK_BYTES = 64 * KiB;
export const DEFAULT_CATALOG_SLOT_BYTES = 16 * MiB;
export const DEFAULT_CATALOG_JOURNAL_BYTES = 8 * MiB;
/** Kernel metadata bounds: 2 MiB is the kernel's floor; it uses at most about 15.9 GiB. */
export const MIN_METADATA_BYTES = 4 * MiB;
export const MAX_METADATA_BYTES = 16 * GiB - 128 * MiB;
/** Bytes of kernel metadata reserved per data block (mappings, their btree nodes, snapshot sharing). */
export const METADATA_BYTES_PER_DATA_BLOCK = 96;
/** The largest volume a pool allows unless told otherwise: 1 PiB. */
export const DEFAULT_MAX_VOLUME_BYTES = 1024 * 1024 * GiB;

/** A byte range on one of the pool's devices. */
export interface DeviceExtent {
  readonly deviceIndex: number;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
}

export interface PoolLayout {
  readonly catalog: CatalogLayout;
  readonly metadata: DeviceExtent;
  /** In the order the data device joins them. */
  readonly data: readonly DeviceExtent[];
  readonly dataBlockBytes: number;
  readonly dataBlocks: number;
}

export interface LayoutRequest {
  readonly deviceSizesBytes: readonly number[];
  readonly dataBlockBytes?: number;
  /** Kernel metadata region; computed from the data size when absent. */
  readonly metadataBytes?: number;
  readonly catalogSlotBytes?: number;
  readonly catalogJournalBytes?: number;
}

const alignUp = (n: number, to: number): number => Math.ceil(n / to) * to;
const alignDown = (n: number, to: number): number => Math.floor(n / to) * to;

/**
 * The kernel metadata size for `dataBytes` of data in blocks of `dataBlockBytes`:
 * METADATA_BYTES_PER_DATA_BLOCK per block, at least MIN_METADATA_BYTES, at most
 * MAX_METADATA_BYTES, rounded up to 1 MiB.
 */
export function defaultMetadataBytes(dataBytes: number, dataBlockBytes: number): number {
  const wanted = Math.ceil(dataBytes / dataBlockBytes) * METADATA_BYTES_PER_DATA_BLOCK;
  return Math.min(MAX_METADATA_BYTES, Math.max(MIN_METADATA_BYTES, alignUp(wanted, MiB)));
}

/** True for a data block size the thin-pool target takes: 64 KiB .. 1 GiB, a multiple of 64 KiB. */
export function isValidDataBlockBytes(bytes: number): boolean {
  return Number.isInteger(bytes) && bytes >= 64 * KiB && bytes <= GiB && bytes % (64 * KiB) === 0;
}

/**
 * Lays a new pool out on devices of the given sizes.
 * @throws EngineError INVALID_ARGUMENT for a bad block or region size, DEVICE_UNUSABLE when the
 *   devices are too small to hold the catalog, the metadata and at least one data block each.
 */
export function computeLayout(request: LayoutRequest): PoolLayout {
  const dataBlockBytes = request.dataBlockBytes ?? DEFAULT_DATA_BLOCK_BYTES;
  if (!isValidDataBlockBytes(dataBlockBytes)) {
    throw new EngineError('INVALID_ARGUMENT', `data block size ${dataBlockBytes} must be a multiple of 64 KiB between 64 KiB and 1 GiB`, { argument: 'dataBlockBytes' });
  }
  const sizes = request.deviceSizesBytes;
  if (sizes.length === 0) throw new EngineError('INVALID_ARGUMENT', 'a pool needs at least one device', { argument: 'devices' });
  const slotBytes = request.catalogSlotBytes ?? DEFAULT_CATALOG_SLOT_BYTES;
  const journalBytes = request.catalogJournalBytes ?? DEFAULT_CATALOG_JOURNAL_BYTES;
  for (const [what, v] of [
    ['catalog slot', slotBytes],
    ['catalog journal', journalBytes],
  ] as const) {
    if (!Number.isInteger(v) || v < 64 * KiB || v % (4 * KiB) !== 0) {
      throw new EngineError('INVALID_ARGUMENT', `${what} size ${v} must be a multiple of 4 KiB, at least 64 KiB`, { argument: 'devices' });
    }
  }
  const catalog: CatalogLayout = { offsetBytes: MiB, slotBytes, journalBytes };
  const metadataOffset = alignUp(catalog.offsetBytes + 2 * slotBytes + journalBytes, LAYOUT_ALIGN_BYTES);
  const dataAlign = Math.max(LAYOUT_ALIGN_BYTES, dataBlockBytes);

  const rawData = sizes.reduce((sum, size, i) => sum + Math.max(0, size - (i === 0 ? metadataOffset : LAYOUT_ALIGN_BYTES)), 0);
  const metadataBytes = request.metadataBytes ?? defaultMetadataBytes(rawData, dataBlockBytes);
  if (!Number.isInteger(metadataBytes) || metadataBytes < MIN_METADATA_BYTES || metadataBytes > MAX_METADATA_BYTES || metadataBytes % MiB !== 0) {
    throw new EngineError('INVALID_ARGUMENT', `metadata size ${metadataBytes} must be whole MiB between ${MIN_METADATA_BYTES / MiB} MiB and ${MAX_METADATA_BYTES / MiB} MiB`, {
      argument: 'metadataBytes',
    });
  }
  const data: DeviceExtent[] = [];
  sizes.forEach((size, deviceIndex) => {
    const start = deviceIndex === 0 ? alignUp(metadataOffset + metadataBytes, dataAlign) : dataAlign;
    const lengthBytes = alignDown(Math.max(0, size - start), dataBlockBytes);
    if (lengthBytes < dataBlockBytes) {
      throw new EngineError(
        'DEVICE_UNUSABLE',
        `device ${deviceIndex} (${formatBytes(size)}) is too small: it needs more than ${formatBytes(start)} for the label${deviceIndex === 0 ? ', catalog and metadata' : ''} plus one data block of ${formatBytes(dataBlockBytes)}`,
      );
    }
    data.push({ deviceIndex, offsetBytes: start, lengthBytes });
  });
  const dataBytes = data.reduce((sum, e) => sum + e.lengthBytes, 0);
  return {
    catalog,
    metadata: { deviceIndex: 0, offsetBytes: metadataOffset, lengthBytes: metadataBytes },
    data,
    dataBlockBytes,
    dataBlocks: dataBytes / dataBlockBytes,
  };
}
