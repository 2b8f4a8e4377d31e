/**
 * The DmClient conformance suite for the `mirror` target (dm-raid1 with dm-log's core and disk
 * logs) and DM_DEV_RENAME: the same file runs against SimDmClient in the unit tier and against
 * NativeDmClient on a real kernel in the kernel tier (THINFLEET_DM picks). Regions are 16
 * sectors (8 KiB); the legs are 512 KiB loop devices, so a mirror has 64 regions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDevNumber, mirrorLogImage, parseMirrorLog, parseMirrorStatus, parseTable, toTargetLines, type DmTarget, type MirrorStatus, type MirrorTarget } from '@thinfleet/devmapper';
import { DmTestHost, expectErrno, expectSameBytes, pattern } from './conformance/dm-test-host.js';

const KiB = 1024;
const REGION_SECTORS = 16;
const REGION = REGION_SECTORS * 512;
const LEG_BYTES = 512 * KiB;
const REGIONS = LEG_BYTES / REGION;

/** The host of each test (a fresh one per test). */
let host: DmTestHost;
beforeEach(async () => void (host = await DmTestHost.open()));
afterEach(() => host.teardown());

/** A device with one target over `bytes`, resumed; returns its name. */
async function device(label: string, target: DmTarget, bytes = LEG_BYTES): Promise<string> {
  const name = host.name(label);
  await host.dm.create(name);
  await host.dm.load(name, toTargetLines([{ startSector: 0, lengthSectors: bytes / 512, target }]));
  return (await host.dm.resume(name)).name;
}

/** A two-leg mirror of `a` and `b` (both from sector 0) with `log`. */
const mirrorOf = (log: MirrorTarget['log'], a: string, b: string): MirrorTarget => ({
  type: 'mirror',
  log,
  legs: [a, b].map((device) => ({ device, offsetSectors: 0 })),
  handleErrors: false,
  keepLog: false,
});

const path = (name: string): string => host.dm.devicePath(name);

async function status(name: string): Promise<MirrorStatus> {
  return parseMirrorStatus((await host.dm.status(name))[0]!.params);
}

/** Polls the mirror's status until every region is in sync (the kernel raises an event, the simulator does not). */
async function untilInSync(name: string, seen: number[] = []): Promise<MirrorStatus> {
  for (let i = 0; i < 3000; i++) {
    const s = await status(name);
    seen.push(s.inSyncRegions);
    if (s.inSyncRegions === s.totalRegions) return s;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`mirror ${name} did not get in sync`);
}

/** Two legs: the first filled with pattern 1, the second with pattern 2. */
async function legs(): Promise<{ a: string; b: string }> {
  const a = await host.loop(LEG_BYTES);
  const b = await host.loop(LEG_BYTES);
  await host.block.write(a, 0, pattern(1, LEG_BYTES));
  await host.block.write(b, 0, pattern(2, LEG_BYTES));
  return { a, b };
}

describe(`DmClient conformance: mirror target (${process.env.THINFLEET_DM ?? 'sim'})`, () => {
  it('lists the mirror target', async () => {
    expect((await host.dm.targetVersions()).map((t) => t.name)).toContain('mirror');
  });

  it('round-trips a core-log mirror table, resyncs every region from the first leg and reports it in the status', async () => {
    const { a, b } = await legs();
    const m = await device('mirror', mirrorOf({ type: 'core', regionSectors: REGION_SECTORS }, a, b));
    const [da, db] = [formatDevNumber(await host.block.deviceNumber(a)), formatDevNumber(await host.block.deviceNumber(b))];
    expect(parseTable(await host.dm.table(m))[0]?.target).toEqual(mirrorOf({ type: 'core', regionSectors: REGION_SECTORS }, da, db));
    const s = await untilInSync(m);
    expect(s).toMatchObject({ legs: [da, db], health: ['A', 'A'], totalRegions: REGIONS, log: { type: 'core' }, inSync: true });
    expectSameBytes(await host.block.read(b, 0, LEG_BYTES), pattern(1, LEG_BYTES));
    expectSameBytes(await host.block.read(path(m), 0, LEG_BYTES), pattern(1, LEG_BYTES));
    // In sync, a write reaches both legs.
    await host.block.write(path(m), 3 * REGION, pattern(7, REGION));
    expectSameBytes(await host.block.read(a, 3 * REGION, REGION), pattern(7, REGION));
    expectSameBytes(await host.block.read(b, 3 * REGION, REGION), pattern(7, REGION));
  });

  it('with a disk log, copies only the regions its bitset has out of sync, and keeps the header the kernel reads', async () => {
    const { a, b } = await legs();
    const log = await host.loop(64 * KiB);
    // Even regions in sync (left as they are on the second leg), odd ones to copy.
    await host.block.write(
      log,
      0,
      mirrorLogImage(REGIONS, (r) => r % 2 === 0),
    );
    const m = await device('mirror', mirrorOf({ type: 'disk', device: log, regionSectors: REGION_SECTORS }, a, b));
    const dl = formatDevNumber(await host.block.deviceNumber(log));
    expect(parseTable(await host.dm.table(m))[0]?.target).toMatchObject({ log: { type: 'disk', device: dl, regionSectors: REGION_SECTORS } });
    const seen: number[] = [];
    const s = await untilInSync(m, seen);
    expect(seen[0]).toBeGreaterThanOrEqual(REGIONS / 2);
    expect(s.log).toEqual({ type: 'disk', device: dl, health: 'A' });
    const onB = await host.block.read(b, 0, LEG_BYTES);
    const one = pattern(1, LEG_BYTES);
    const two = pattern(2, LEG_BYTES);
    for (let r = 0; r < REGIONS; r++) {
      expectSameBytes(onB.subarray(r * REGION, (r + 1) * REGION), (r % 2 === 0 ? two : one).subarray(r * REGION, (r + 1) * REGION));
    }
    await host.dm.suspend(m);
    const back = parseMirrorLog(await host.block.read(log, 0, 4 * KiB));
    expect(back?.regionCount).toBe(REGIONS);
    await host.dm.resume(m);
    await host.dm.remove(m);
  });

  it('renames a device that is in use by another table: same number, same content, the old name gone', async () => {
    const loop = await host.loop(LEG_BYTES);
    await host.block.write(loop, 0, pattern(3, LEG_BYTES));
    const lower = await device('lower', { type: 'linear', device: loop, offsetSectors: 0 });
    const upper = await device('upper', { type: 'linear', device: path(lower), offsetSectors: 0 });
    const before = await host.dm.info(lower);
    const renamed = host.name('renamed');
    const after = await host.dm.rename(lower, renamed);
    expect(after).toMatchObject({ name: renamed, dev: before.dev, uuid: before.uuid });
    expect((await host.dm.info(renamed)).openCount).toBe(1);
    await expectErrno(host.dm.info(lower), 'ENXIO');
    expectSameBytes(await host.block.read(path(renamed), 0, LEG_BYTES), pattern(3, LEG_BYTES));
    expectSameBytes(await host.block.read(path(upper), 0, LEG_BYTES), pattern(3, LEG_BYTES));
    await expectErrno(host.dm.rename(renamed, upper), 'EBUSY');
    await host.dm.remove(upper);
  });

  it('refuses a region size that is not a power of two', async () => {
    const { a, b } = await legs();
    const name = host.name('bad');
    await host.dm.create(name);
    await expectErrno(host.dm.load(name, [{ startSector: 0, lengthSectors: LEG_BYTES / 512, type: 'mirror', params: `core 1 24 2 ${a} 0 ${b} 0` }]), 'EINVAL');
  });
});
