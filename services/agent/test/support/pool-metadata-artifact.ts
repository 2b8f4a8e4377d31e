/**
 * Kernel tier: saves an inactive pool's kernel metadata for the tier's `thin_check`. Where the
 * metadata sits on device 0 comes from the linear table of the pool's metadata device, read while
 * the pool is still active (`tableOfMeta`); after the pool is deactivated, `save` copies that
 * range of the device file to $THINFLEET_KERNEL_ARTIFACTS/<name>.meta. Outside the kernel tier
 * (no artifacts directory) `save` does nothing.
 */
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the metadata lies on its device: from `dmsetup table` of `tf-<pool>-_tmeta` (one linear line). */
export function metadataExtent(linearTable: string): { readonly offsetSectors: number; readonly lengthSectors: number } {
  const fields = linearTable.trim().split(/\s+/);
  const lengthSectors = Number(fields[1]);
  const offsetSectors = Number(fields[4]);
  if (fields[2] !== 'linear' || !Number.isSafeInteger(lengthSectors) || !Number.isSafeInteger(offsetSectors)) {
    throw new Error(`not a linear table of a metadata device: ${linearTable.slice(0, 120)}`);
  }
  return { offsetSectors, lengthSectors };
}

/** Copies the metadata extent of `deviceFile` to the tier's artifacts as `<name>.meta`; false outside the kernel tier. */
export function saveMetadataArtifact(deviceFile: string, extent: ReturnType<typeof metadataExtent>, name: string): boolean {
  const artifacts = process.env.THINFLEET_KERNEL_ARTIFACTS;
  if (artifacts === undefined) return false;
  const bytes = Buffer.alloc(extent.lengthSectors * 512);
  const fd = openSync(deviceFile, 'r');
  try {
    readSync(fd, bytes, 0, bytes.length, extent.offsetSectors * 512);
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(artifacts, `${name}.meta`), bytes);
  return true;
}
