/**
 * The checks of a device snapshot's catalog record (`VolumeRecord.deviceSnapshot`, set when its
 * exception store volume is created) and the size of an exception store that cannot overflow.
 * Pure: nothing here reads a device.
 */
import { quoted } from '@thinfleet/units';
import type { DeviceSnapshotRecord } from './catalog-state.js';
import { EngineError } from './engine-error.js';

/** The longest device path a record keeps, in bytes. */
export const MAX_DEVICE_PATH_BYTES = 1024;
/** The longest device label a record keeps, in bytes. */
export const MAX_DEVICE_LABEL_BYTES = 512;
/** The smallest and largest exception chunk, in 512-byte sectors (4 KiB and 2 GiB). */
export const MIN_SNAPSHOT_CHUNK_SECTORS = 8;
export const MAX_SNAPSHOT_CHUNK_SECTORS = 2 ** 22;

/** True when `sectors` is a chunk size a device snapshot accepts: a power of two from 8 to 2^22. */
export function isSnapshotChunkSectors(sectors: unknown): sectors is number {
  return typeof sectors === 'number' && Number.isInteger(sectors) && sectors >= MIN_SNAPSHOT_CHUNK_SECTORS && sectors <= MAX_SNAPSHOT_CHUNK_SECTORS && (sectors & (sectors - 1)) === 0;
}

/**
 * The bytes a persistent exception store needs so that every chunk of a device of
 * `deviceBytes` fits in it: the header chunk, one chunk per data chunk of the device, one
 * metadata area (a chunk holding chunkBytes/16 exception pairs) per that many exceptions, and
 * one spare area (the kernel starts a new area as the last one fills). Pure.
 */
export function exceptionStoreBytes(deviceBytes: number, chunkSectors: number): number {
  const chunkBytes = chunkSectors * 512;
  const dataChunks = Math.ceil(deviceBytes / chunkBytes);
  const areas = Math.ceil(dataChunks / (chunkBytes / 16));
  return (1 + dataChunks + areas + 1) * chunkBytes;
}

/**
 * `record` checked field by field.
 * @throws EngineError INVALID_ARGUMENT naming the first bad field (argument `deviceSnapshot`)
 */
export function checkDeviceSnapshot(record: unknown, item: string): DeviceSnapshotRecord {
  const bad = (why: string): never => {
    throw new EngineError('INVALID_ARGUMENT', `device snapshot: ${why}`, { item, argument: 'deviceSnapshot' });
  };
  if (typeof record !== 'object' || record === null) return bad('must be an object');
  const { device, chunkSectors, store, createdAtMs } = record as Partial<Record<keyof DeviceSnapshotRecord, unknown>>;
  if (typeof device !== 'object' || device === null) return bad('device must be an object');
  const { path, sizeBytes, label } = device as Record<string, unknown>;
  if (typeof path !== 'string' || !path.startsWith('/') || Buffer.byteLength(path) > MAX_DEVICE_PATH_BYTES || path.includes('\0')) {
    return bad(`device.path ${quoted(String(path))} must be an absolute path of at most ${MAX_DEVICE_PATH_BYTES} bytes`);
  }
  if (typeof sizeBytes !== 'number' || !Number.isSafeInteger(sizeBytes) || sizeBytes < 512 || sizeBytes % 512 !== 0) {
    return bad('device.sizeBytes must be a positive multiple of 512');
  }
  if (typeof label !== 'string' || Buffer.byteLength(label) > MAX_DEVICE_LABEL_BYTES || !/^[a-z-]+:/.test(label)) {
    return bad(`device.label must be <source>:<value> of at most ${MAX_DEVICE_LABEL_BYTES} bytes`);
  }
  if (!isSnapshotChunkSectors(chunkSectors)) return bad(`chunkSectors must be a power of two from ${MIN_SNAPSHOT_CHUNK_SECTORS} to ${MAX_SNAPSHOT_CHUNK_SECTORS}`);
  if (store !== 'P') return bad('store must be P');
  if (typeof createdAtMs !== 'number' || !Number.isSafeInteger(createdAtMs) || createdAtMs < 0) return bad('createdAtMs must be a whole number');
  return { device: { path, sizeBytes, label }, chunkSectors, store, createdAtMs };
}
