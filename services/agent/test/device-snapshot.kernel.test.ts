/**
 * Kernel tier: a device snapshot of a loop device on the real device-mapper, its exception store
 * a thin volume of a pool. Writes go to the device through the snapshot's origin device; the
 * merge job (snapshot-merge) rolls it back, and the device's checksum equals the one taken when
 * the snapshot was made; the target's status (what `dmsetup status` prints) showed the merge
 * finished (allocated == metadata sectors) before the job replaced the table. The pool's kernel
 * metadata is kept for the tier's thin_check (EngineTestHost teardown).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSnapshotMergeStatus, type DmClient, type DmTargetLine } from '@thinfleet/devmapper';
import { identityReader } from '../src/device-snapshots/device-identity.js';
import { DeviceSnapshots } from '../src/device-snapshots/device-snapshots.js';
import { stackNames } from '../src/device-snapshots/snapshot-stack.js';
import { JobManager } from '../src/jobs/index.js';
import { jobFixture, MiB, pattern, settled, silentLogger, type JobFixture } from './support/job-harness.js';

const DEVICE_BYTES = 8 * MiB;
const CHUNK = 4096;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let f: JobFixture | null = null;
afterEach(async () => {
  await f?.teardown();
  f = null;
});

/** `dm` recording every status line of device `name` it reads. */
function recordingStatus(dm: DmClient, name: () => string, seen: string[]): DmClient {
  return new Proxy(dm, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== 'status') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return async (device: string, ...rest: unknown[]): Promise<DmTargetLine[]> => {
        const lines = await (value as (...a: unknown[]) => Promise<DmTargetLine[]>).call(target, device, ...rest);
        if (device === name()) seen.push(lines[0]?.params ?? '');
        return lines;
      };
    },
  });
}

describe(`device snapshot of a loop device (${process.env.THINFLEET_DM ?? 'sim'})`, () => {
  it('writes through the origin device, merges back, and the device ends with its snapshot-time checksum', async () => {
    f = await jobFixture();
    const fixture = f;
    const [device] = await fixture.host.devices(1, DEVICE_BYTES);
    await fixture.host.block.write(device!, 0, pattern(1, DEVICE_BYTES));
    const before = sha256(await fixture.host.block.read(device!, 0, DEVICE_BYTES));

    const readIdentity = identityReader({ block: fixture.host.block, sysfsRoot: fixture.host.kind === 'native' ? '/sys' : null });
    const names = stackNames(fixture.poolName, 'base');
    const seen: string[] = [];
    const dm = recordingStatus(fixture.host.dm, () => names.origin, seen);
    const ds = new DeviceSnapshots({ engine: fixture.engine, dm, block: fixture.host.block, readIdentity, logger: silentLogger });
    const made = await ds.create({ pool: fixture.poolName, name: 'base', device: device! });
    expect(made.record.device.label).toMatch(/^loop-file:\//);
    expect(made.originDevicePath).toBe(fixture.host.dm.devicePath(names.origin));

    // Writes through the origin device: scattered chunks and a longer run.
    for (let chunk = 0; chunk < 256; chunk += 5) await fixture.host.block.write(made.originDevicePath!, chunk * CHUNK, pattern(100 + chunk, CHUNK));
    await fixture.host.block.write(made.originDevicePath!, MiB, pattern(7, 2 * MiB));
    expect(sha256(await fixture.host.block.read(device!, 0, DEVICE_BYTES))).not.toBe(before);
    expect(sha256(await fixture.host.block.read(made.snapshotDevicePath!, 0, DEVICE_BYTES))).toBe(before);

    const m = new JobManager({ stateDir: fixture.stateDir, engine: fixture.engine, block: fixture.host.block, logger: silentLogger, merge: { dm, readIdentity, pollMs: 20 } });
    await m.start();
    const job = await m.startMerge(fixture.poolName, 'base');
    expect(job.totalBytes).toBeGreaterThan(2 * MiB);
    const done = await settled(m, job.id);
    await m.stop();
    expect(done).toMatchObject({ state: 'succeeded', doneBytes: job.totalBytes });

    // The merge target's last status: nothing left but the store's metadata.
    const last = parseSnapshotMergeStatus(seen.at(-1) ?? '');
    expect(last).toMatchObject({ state: 'active', finished: true, remainingSectors: 0 });
    if (last.state === 'active') expect(last.allocatedSectors).toBe(last.metadataSectors);

    expect(sha256(await fixture.host.block.read(device!, 0, DEVICE_BYTES))).toBe(before);
    expect(await fixture.pool.list()).toEqual([]);
    expect((await fixture.host.dm.list()).map((d) => d.name).filter((n) => n.includes('-_ds'))).toEqual([]);
    expect(await fixture.pool.reconcile()).toMatchObject({ consistent: true });
  });
});
