import type { CatalogDevice } from './catalog-device.js';
import { CatalogError } from './catalog-error.js';
import { crc32 } from './checksum.js';
import { checkFormatVersion, hex32, readSafeU64, verifySelfCrc, writeSafeU64 } from './binary-fields.js';

/** Size of the label at byte 0 of every pool device. */
export const LABEL_BYTES = 4096;

/** The label format this code writes and the newest it reads. */
export const LABEL_FORMAT_VERSION = 1;

/** The 16 bytes a label starts with: ASCII `THINFLEET-POOL` and two NULs. */
export const LABEL_MAGIC: Readonly<Buffer> = Buffer.from('THINFLEET-POOL\0\0', 'latin1');

/** Catalog slots and journal are placed and sized in multiples of this. */
export const CATALOG_ALIGN_BYTES = 4096;

/** Smallest checkpoint slot and smallest journal a layout may have. */
export const MIN_CATALOG_REGION_BYTES = 64 * 1024;

/** Longest pool name, in UTF-8 bytes. */
export const MAX_POOL_NAME_BYTES = 64;

/**
 * Where the catalog lives on device 0: slot 0 at `offsetBytes`, slot 1 at
 * `offsetBytes + slotBytes`, the journal at `offsetBytes + 2 * slotBytes`. All three numbers
 * are multiples of 4096; `offsetBytes` >= 4096 (after the label); slots and journal >= 64 KiB.
 */
export interface CatalogLayout {
  readonly offsetBytes: number;
  readonly slotBytes: number;
  readonly journalBytes: number;
}

/** Bytes the catalog occupies from `layout.offsetBytes`: two slots and the journal. Pure. */
export function catalogAreaBytes(layout: CatalogLayout): number {
  return 2 * layout.slotBytes + layout.journalBytes;
}

/**
 * Checks a catalog layout against the rules of {@link CatalogLayout}. Pure.
 * @throws CatalogError BAD_LAYOUT naming the first rule broken.
 */
export function validateCatalogLayout(layout: CatalogLayout): void {
  const fields = [
    ['offsetBytes', layout.offsetBytes],
    ['slotBytes', layout.slotBytes],
    ['journalBytes', layout.journalBytes],
  ] as const;
  for (const [name, value] of fields) {
    if (!Number.isSafeInteger(value) || value < 0 || value % CATALOG_ALIGN_BYTES !== 0) {
      throw new CatalogError('BAD_LAYOUT', `catalog ${name} ${value} is not a non-negative multiple of ${CATALOG_ALIGN_BYTES}`);
    }
  }
  if (layout.offsetBytes < LABEL_BYTES) {
    throw new CatalogError('BAD_LAYOUT', `catalog offset ${layout.offsetBytes} overlaps the ${LABEL_BYTES}-byte label`);
  }
  if (layout.slotBytes < MIN_CATALOG_REGION_BYTES) {
    throw new CatalogError('BAD_LAYOUT', `catalog slot of ${layout.slotBytes} bytes is below the minimum ${MIN_CATALOG_REGION_BYTES}`);
  }
  if (layout.journalBytes < MIN_CATALOG_REGION_BYTES) {
    throw new CatalogError('BAD_LAYOUT', `catalog journal of ${layout.journalBytes} bytes is below the minimum ${MIN_CATALOG_REGION_BYTES}`);
  }
  if (!Number.isSafeInteger(layout.offsetBytes + catalogAreaBytes(layout))) {
    throw new CatalogError('BAD_LAYOUT', 'catalog area end is beyond 2^53 bytes');
  }
}

/**
 * The label in the first {@link LABEL_BYTES} of every device of a pool. It names the pool and
 * the device's place in it; device 0's label also says where the catalog is.
 */
export interface PoolLabel {
  /** The format version the label was written with; {@link encodeLabel} accepts only the current one. */
  readonly formatVersion: number;
  /** Canonical lowercase 8-4-4-4-12 uuid; stored as 16 bytes. */
  readonly poolUuid: string;
  /** UTF-8, 1 to 64 bytes, no NUL. */
  readonly poolName: string;
  /** 0-based position of this device in the pool. */
  readonly deviceIndex: number;
  /** Number of devices in the pool, >= 1. */
  readonly deviceCount: number;
  /** Size of this device when the pool was made, bytes; a multiple of 512. */
  readonly deviceSizeBytes: number;
  /** When the pool was made, ms since the Unix epoch. */
  readonly createdAtMs: number;
  /** Where the catalog is: set on device 0, null on every other device. */
  readonly catalog: CatalogLayout | null;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_U32 = 0xffff_ffff;
const FLAG_HAS_CATALOG = 1;

// Byte offsets of the label fields (little-endian). Bytes 0..24 (magic, version, crc) keep
// their place and meaning in every format version.
const OFF_MAGIC = 0;
const OFF_VERSION = 16;
const OFF_CRC = 20;
const OFF_UUID = 24;
const OFF_DEVICE_INDEX = 40;
const OFF_DEVICE_COUNT = 44;
const OFF_DEVICE_SIZE = 48;
const OFF_CREATED_AT = 56;
const OFF_FLAGS = 64;
const OFF_NAME_LENGTH = 68;
const OFF_NAME = 72;
const OFF_CATALOG_OFFSET = 136;
const OFF_CATALOG_SLOT = 144;
const OFF_CATALOG_JOURNAL = 152;

/**
 * Checks every field of `label` for {@link encodeLabel}. Pure.
 * @throws RangeError for a bad version, uuid, name, index, count, size or time;
 *   CatalogError BAD_LAYOUT when the catalog is on the wrong device, breaks the layout rules,
 *   or does not fit in `deviceSizeBytes`.
 */
export function validateLabel(label: PoolLabel): void {
  if (label.formatVersion !== LABEL_FORMAT_VERSION) {
    throw new RangeError(`label format version ${label.formatVersion} is not ${LABEL_FORMAT_VERSION}`);
  }
  if (typeof label.poolUuid !== 'string' || !UUID_PATTERN.test(label.poolUuid)) {
    throw new RangeError(`pool uuid ${JSON.stringify(label.poolUuid)} is not a lowercase 8-4-4-4-12 uuid`);
  }
  if (typeof label.poolName !== 'string' || label.poolName.length === 0 || label.poolName.includes('\0')) {
    throw new RangeError(`pool name ${JSON.stringify(label.poolName)} must be non-empty without NUL`);
  }
  const nameBytes = Buffer.from(label.poolName, 'utf8');
  if (nameBytes.length > MAX_POOL_NAME_BYTES) {
    throw new RangeError(`pool name is ${nameBytes.length} UTF-8 bytes; at most ${MAX_POOL_NAME_BYTES}`);
  }
  if (nameBytes.toString('utf8') !== label.poolName) {
    throw new RangeError('pool name is not valid Unicode (lone surrogate)');
  }
  if (!Number.isInteger(label.deviceCount) || label.deviceCount < 1 || label.deviceCount > MAX_U32) {
    throw new RangeError(`device count ${label.deviceCount} is not an integer in 1..${MAX_U32}`);
  }
  if (!Number.isInteger(label.deviceIndex) || label.deviceIndex < 0 || label.deviceIndex >= label.deviceCount) {
    throw new RangeError(`device index ${label.deviceIndex} is not in 0..${label.deviceCount - 1}`);
  }
  if (!Number.isSafeInteger(label.deviceSizeBytes) || label.deviceSizeBytes < LABEL_BYTES || label.deviceSizeBytes % 512 !== 0) {
    throw new RangeError(`device size ${label.deviceSizeBytes} is not a multiple of 512 of at least ${LABEL_BYTES}`);
  }
  if (!Number.isSafeInteger(label.createdAtMs) || label.createdAtMs < 0) {
    throw new RangeError(`createdAtMs ${label.createdAtMs} is not a non-negative integer`);
  }
  if (label.deviceIndex === 0 && label.catalog === null) {
    throw new CatalogError('BAD_LAYOUT', 'device 0 of a pool must carry the catalog layout');
  }
  if (label.deviceIndex !== 0 && label.catalog !== null) {
    throw new CatalogError('BAD_LAYOUT', `device ${label.deviceIndex} must not carry a catalog layout (device 0 only)`);
  }
  if (label.catalog !== null) {
    validateCatalogLayout(label.catalog);
    const end = label.catalog.offsetBytes + catalogAreaBytes(label.catalog);
    if (end > label.deviceSizeBytes) {
      throw new CatalogError('BAD_LAYOUT', `catalog area ends at ${end}, past the ${label.deviceSizeBytes}-byte device`);
    }
  }
}

/**
 * Encodes `label` as exactly {@link LABEL_BYTES} bytes (see docs/catalog-format.md): fixed
 * little-endian fields, reserved bytes zero, and a CRC-32 over the whole block with the CRC
 * field zeroed. Pure.
 * @throws as {@link validateLabel}.
 */
export function encodeLabel(label: PoolLabel): Buffer {
  validateLabel(label);
  const block = Buffer.alloc(LABEL_BYTES);
  LABEL_MAGIC.copy(block, OFF_MAGIC);
  block.writeUInt32LE(label.formatVersion, OFF_VERSION);
  Buffer.from(label.poolUuid.replaceAll('-', ''), 'hex').copy(block, OFF_UUID);
  block.writeUInt32LE(label.deviceIndex, OFF_DEVICE_INDEX);
  block.writeUInt32LE(label.deviceCount, OFF_DEVICE_COUNT);
  writeSafeU64(block, label.deviceSizeBytes, OFF_DEVICE_SIZE, 'label.deviceSizeBytes');
  writeSafeU64(block, label.createdAtMs, OFF_CREATED_AT, 'label.createdAtMs');
  block.writeUInt32LE(label.catalog === null ? 0 : FLAG_HAS_CATALOG, OFF_FLAGS);
  const name = Buffer.from(label.poolName, 'utf8');
  block.writeUInt32LE(name.length, OFF_NAME_LENGTH);
  name.copy(block, OFF_NAME);
  if (label.catalog !== null) {
    writeSafeU64(block, label.catalog.offsetBytes, OFF_CATALOG_OFFSET, 'label.catalog.offsetBytes');
    writeSafeU64(block, label.catalog.slotBytes, OFF_CATALOG_SLOT, 'label.catalog.slotBytes');
    writeSafeU64(block, label.catalog.journalBytes, OFF_CATALOG_JOURNAL, 'label.catalog.journalBytes');
  }
  block.writeUInt32LE(crc32(block), OFF_CRC);
  return block;
}

/**
 * Decodes the label in the first {@link LABEL_BYTES} of `block`. Pure.
 *
 * Checks, in order: the magic (absent: returns null, not a thinfleet device), the CRC
 * (mismatch: CORRUPT), the version (newer than {@link LABEL_FORMAT_VERSION}: UNSUPPORTED_VERSION;
 * 0: CORRUPT), then every field (impossible values: CORRUPT, with the validation error as cause).
 * @throws RangeError when `block` is shorter than {@link LABEL_BYTES}; CatalogError as above.
 */
export function decodeLabel(block: Buffer): PoolLabel | null {
  if (block.length < LABEL_BYTES) {
    throw new RangeError(`a label block is ${LABEL_BYTES} bytes, got ${block.length}`);
  }
  const label = block.subarray(0, LABEL_BYTES);
  if (!label.subarray(OFF_MAGIC, OFF_MAGIC + LABEL_MAGIC.length).equals(LABEL_MAGIC)) return null;
  verifySelfCrc(label, OFF_CRC, 'pool label');
  const formatVersion = label.readUInt32LE(OFF_VERSION);
  checkFormatVersion(formatVersion, LABEL_FORMAT_VERSION, 'pool label');
  const flags = label.readUInt32LE(OFF_FLAGS);
  if ((flags & ~FLAG_HAS_CATALOG) !== 0) throw new CatalogError('CORRUPT', `pool label has unknown flags ${hex32(flags)}`);
  const nameLength = label.readUInt32LE(OFF_NAME_LENGTH);
  if (nameLength > MAX_POOL_NAME_BYTES) throw new CatalogError('CORRUPT', `pool label name length ${nameLength}`);
  let poolName: string;
  try {
    poolName = new TextDecoder('utf-8', { fatal: true }).decode(label.subarray(OFF_NAME, OFF_NAME + nameLength));
  } catch (cause) {
    throw new CatalogError('CORRUPT', 'pool label name is not UTF-8', { cause });
  }
  const u = label.toString('hex', OFF_UUID, OFF_UUID + 16);
  const decoded: PoolLabel = {
    formatVersion,
    poolUuid: `${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20)}`,
    poolName,
    deviceIndex: label.readUInt32LE(OFF_DEVICE_INDEX),
    deviceCount: label.readUInt32LE(OFF_DEVICE_COUNT),
    deviceSizeBytes: readSafeU64(label, OFF_DEVICE_SIZE, 'label field device_size'),
    createdAtMs: readSafeU64(label, OFF_CREATED_AT, 'label field created_at'),
    catalog:
      (flags & FLAG_HAS_CATALOG) === 0
        ? null
        : {
            offsetBytes: readSafeU64(label, OFF_CATALOG_OFFSET, 'label field catalog_offset'),
            slotBytes: readSafeU64(label, OFF_CATALOG_SLOT, 'label field catalog_slot'),
            journalBytes: readSafeU64(label, OFF_CATALOG_JOURNAL, 'label field catalog_journal'),
          },
  };
  try {
    validateLabel(decoded);
  } catch (cause) {
    throw new CatalogError('CORRUPT', `pool label has a valid checksum but impossible fields: ${(cause as Error).message}`, { cause });
  }
  return decoded;
}

/**
 * Reads and decodes the label of `device`. Read-only, idempotent.
 * @returns null when the device carries no thinfleet label.
 * @throws as {@link decodeLabel}, or the device's read error.
 */
export async function readLabel(device: CatalogDevice): Promise<PoolLabel | null> {
  return decodeLabel(await device.read(0, LABEL_BYTES));
}

/**
 * Writes `label` durably to the first {@link LABEL_BYTES} of `device` in one write.
 * Idempotent. A crash during the write may leave the old label, the new one, or a mix whose
 * checksum fails (CORRUPT on read); a caller that must survive that writes the label last.
 * @throws as {@link validateLabel} before writing; or the device's write error.
 */
export async function writeLabel(device: CatalogDevice, label: PoolLabel): Promise<void> {
  await device.write(0, encodeLabel(label));
}

/**
 * Zeroes the first {@link LABEL_BYTES} of `device` durably, so it no longer reads as a pool
 * device. Idempotent. A crash during the write may leave a partly zeroed label, which reads as
 * no label (magic gone) or CORRUPT (magic kept, checksum fails).
 */
export async function wipeLabel(device: CatalogDevice): Promise<void> {
  await device.write(0, Buffer.alloc(LABEL_BYTES));
}
