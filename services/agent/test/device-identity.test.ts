/**
 * A device's identity (device-identity.ts): the label is the first of a loop device's backing
 * file, sysfs wwid, serial and dm uuid (from a sysfs root given to the reader, here a temporary
 * tree), else `none:`; a path that names another device (size or label) is refused with
 * DEVICE_MISMATCH, a path that is no block device with NO_SUCH_DEVICE naming `device`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DmError, type BlockClient } from '@thinfleet/devmapper';
import { isEngineError } from '@thinfleet/engine';
import { AgentError } from '../src/agent-error.js';
import { identityReader, requireSameDevice } from '../src/device-snapshots/device-identity.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A block client knowing `/dev/sdX` (8:16, 1 MiB) and `/dev/loop0` (7:0, over /images/a.img) only. */
const block = {
  async deviceNumber(path: string) {
    if (path === '/dev/sdX') return { major: 8, minor: 16 };
    if (path === '/dev/loop0') return { major: 7, minor: 0 };
    throw new DmError('ENOTBLK', 'deviceNumber', path);
  },
  async sizeBytes() {
    return 1024 * 1024;
  },
  async loopBackingFile(path: string) {
    if (path === '/dev/loop0') return '/images/a.img';
    throw new DmError('ENXIO', 'loopBackingFile', path);
  },
} as unknown as BlockClient;

async function sysfs(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tf-sysfs-'));
  dirs.push(root);
  for (const [name, value] of Object.entries(files)) {
    const file = join(root, 'dev', 'block', '8:16', name);
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, `${value}\n`);
  }
  return root;
}

describe('device identity', () => {
  it('labels a device by the first of loop file, wwid, serial and dm uuid, else none', async () => {
    const all = await sysfs({ 'device/wwid': 'naa.5000c500a1b2c3d4', serial: 'S3Z9NB0K', 'dm/uuid': 'LVM-abc' });
    expect(await identityReader({ block, sysfsRoot: all })('/dev/loop0')).toEqual({ path: '/dev/loop0', sizeBytes: 1024 * 1024, label: 'loop-file:/images/a.img' });
    expect((await identityReader({ block, sysfsRoot: all })('/dev/sdX')).label).toBe('wwid:naa.5000c500a1b2c3d4');
    expect((await identityReader({ block, sysfsRoot: await sysfs({ 'device/serial': 'S3Z9NB0K', 'dm/uuid': 'x' }) })('/dev/sdX')).label).toBe('serial:S3Z9NB0K');
    expect((await identityReader({ block, sysfsRoot: await sysfs({ 'dm/uuid': 'LVM-abc' }) })('/dev/sdX')).label).toBe('dm-uuid:LVM-abc');
    expect((await identityReader({ block, sysfsRoot: await sysfs({}) })('/dev/sdX')).label).toBe('none:');
    expect((await identityReader({ block, sysfsRoot: null })('/dev/sdX')).label).toBe('none:');
    const long = await identityReader({ block, sysfsRoot: await sysfs({ serial: 'x'.repeat(5000) }) })('/dev/sdX');
    expect(Buffer.byteLength(long.label)).toBeLessThanOrEqual(512);
  });

  it('refuses a path that is no block device, naming the field, and one that names another device', async () => {
    const read = identityReader({ block, sysfsRoot: await sysfs({ serial: 'DISK-A' }) });
    const err = await read('/dev/nothing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect(err).toMatchObject({ code: 'NO_SUCH_DEVICE', field: 'device' });
    const recorded = await read('/dev/sdX');
    await requireSameDevice(read, recorded, 'device snapshot "a"');
    for (const other of [
      { ...recorded, label: 'serial:DISK-B' },
      { ...recorded, sizeBytes: 2 * 1024 * 1024 },
    ]) {
      const mismatch = await requireSameDevice(read, other, 'device snapshot "a"').catch((e: unknown) => e);
      expect(isEngineError(mismatch, 'DEVICE_MISMATCH'), String(mismatch)).toBe(true);
      expect((mismatch as Error).message.length).toBeLessThan(300);
    }
    // A device recorded without a label is checked by its size alone.
    await requireSameDevice(read, { ...recorded, label: 'none:' }, 'device snapshot "a"');
  });
});
