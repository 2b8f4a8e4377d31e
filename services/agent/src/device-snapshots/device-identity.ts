/**
 * Who a block device is, beyond its path: its size and a label read from the kernel, so that a
 * device snapshot recorded in a pool's catalog is never put over another device that a host
 * happens to reach by the same path (`/dev/sdb` is not the same disk on every host, nor after a
 * reboot). The label is the first found of:
 * - `loop-file:<file>`: a loop device's backing file (the block client's LOOP_GET_STATUS);
 * - `wwid:<id>`: `/sys/dev/block/<maj:min>/device/wwid` or `.../wwid` (SCSI, NVMe);
 * - `serial:<s>`: `/sys/dev/block/<maj:min>/serial` or `.../device/serial` (virtio, NVMe);
 * - `dm-uuid:<uuid>`: `/sys/dev/block/<maj:min>/dm/uuid` (a device-mapper device with a uuid);
 * - `none:`: none of these (then only the size identifies the device).
 * A partition reports its disk's wwid or serial (sysfs has none of its own): two partitions of
 * one disk differ by size only. Reads only.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockClient } from '@thinfleet/devmapper';
import { EngineError, MAX_DEVICE_LABEL_BYTES, quoted, type DeviceIdentity } from '@thinfleet/engine';
import { AgentError } from '../agent-error.js';

/** How identities are read: the host's block client, and the sysfs root (null: none, e.g. the simulated kernel). */
export interface IdentitySources {
  readonly block: BlockClient;
  readonly sysfsRoot: string | null;
}

/** Reads a device's identity; injectable so tests can give a device another one. */
export type IdentityReader = (path: string) => Promise<DeviceIdentity>;

/** The sysfs files tried, in order, with the label source each gives. */
const SYSFS_LABELS: ReadonlyArray<readonly [string, string]> = [
  ['device/wwid', 'wwid'],
  ['wwid', 'wwid'],
  ['serial', 'serial'],
  ['device/serial', 'serial'],
  ['dm/uuid', 'dm-uuid'],
];

async function sysfsValue(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return '';
  }
}

/** `source:value`, cut to the catalog's limit. Pure. */
function label(source: string, value: string): string {
  const text = `${source}:${value}`;
  return Buffer.byteLength(text) <= MAX_DEVICE_LABEL_BYTES
    ? text
    : Buffer.from(text)
        .subarray(0, MAX_DEVICE_LABEL_BYTES)
        .toString('utf8')
        .replace(/\uFFFD+$/, '');
}

/**
 * The identity reader over `sources` (see the module comment).
 * @throws AgentError NO_SUCH_DEVICE (field `device`) when `path` is not a block device
 */
export function identityReader(sources: IdentitySources): IdentityReader {
  return async (path: string): Promise<DeviceIdentity> => {
    let dev;
    let sizeBytes;
    try {
      dev = await sources.block.deviceNumber(path);
      sizeBytes = await sources.block.sizeBytes(path);
    } catch (err) {
      throw new AgentError('NO_SUCH_DEVICE', `device: ${quoted(path)} is not a block device (${(err as { code?: string }).code ?? 'unknown'})`, { field: 'device', cause: err });
    }
    const file = await sources.block.loopBackingFile(path).catch(() => null);
    if (file !== null) return { path, sizeBytes, label: label('loop-file', file) };
    if (sources.sysfsRoot !== null) {
      const dir = join(sources.sysfsRoot, 'dev', 'block', `${dev.major}:${dev.minor}`);
      for (const [name, source] of SYSFS_LABELS) {
        const value = await sysfsValue(join(dir, name));
        if (value !== '') return { path, sizeBytes, label: label(source, value) };
      }
    }
    return { path, sizeBytes, label: 'none:' };
  };
}

/**
 * Refuses to act on `path` when what it names now is not the recorded device: another size, or
 * another label (a recorded `none:` label checks the size only). Reads only.
 * @throws EngineError DEVICE_MISMATCH (message bounded); AgentError NO_SUCH_DEVICE
 */
export async function requireSameDevice(read: IdentityReader, recorded: DeviceIdentity, what: string): Promise<void> {
  const found = await read(recorded.path);
  const sameLabel = recorded.label === 'none:' || found.label === recorded.label;
  if (found.sizeBytes === recorded.sizeBytes && sameLabel) return;
  const why = found.sizeBytes !== recorded.sizeBytes ? `is ${found.sizeBytes} bytes, not ${recorded.sizeBytes}` : `has label ${quoted(found.label)}, not ${quoted(recorded.label)}`;
  throw new EngineError('DEVICE_MISMATCH', `${what}: ${quoted(recorded.path)} on this host ${why}: it is not the device the snapshot protects; nothing was done`);
}
