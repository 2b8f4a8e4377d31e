/**
 * The DmClient conformance suite for the classic snapshot targets (snapshot-origin, snapshot,
 * snapshot-merge): the same file runs against SimDmClient in the unit tier and against
 * NativeDmClient on a real kernel in the kernel tier (THINFLEET_DM picks), on the DmTestHost of
 * dm-client.conformance.test.ts. Chunks are 8 sectors (4 KiB), so a persistent store holds 256
 * exceptions per metadata area and its header and first area take 16 sectors.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatDevNumber, parseSnapshotMergeStatus, parseSnapshotStatus, parseTable, toTargetLines, type DmTarget, type SnapshotStatus, type SnapshotStore } from '@thinfleet/devmapper';
import { DmTestHost, expectErrno, expectSameBytes, pattern } from './conformance/dm-test-host.js';

const KiB = 1024;
const CHUNK_SECTORS = 8;
const CHUNK = CHUNK_SECTORS * 512;
const ORIGIN_BYTES = 1024 * KiB;

let host: DmTestHost;
beforeEach(async () => {
  host = await DmTestHost.open();
});
afterEach(async () => {
  await host.teardown();
});

/** Creates a device with one target over `bytes` and resumes it. */
async function device(label: string, target: DmTarget, bytes = ORIGIN_BYTES): Promise<string> {
  const name = host.name(label);
  await host.dm.create(name);
  await host.dm.load(name, toTargetLines([{ startSector: 0, lengthSectors: bytes / 512, target }]));
  await host.dm.resume(name);
  return name;
}

const path = (name: string): string => host.dm.devicePath(name);

async function status(name: string): Promise<SnapshotStatus> {
  return parseSnapshotStatus((await host.dm.status(name))[0]!.params);
}

interface Stack {
  /** The real origin device (a loop device over a file filled with pattern 1). */
  readonly originLoop: string;
  /** The dm device with the snapshot-origin table. */
  readonly origin: string;
  readonly cowLoop: string;
  /** The dm device with the snapshot table. */
  readonly snap: string;
}

/** An origin with `pattern(1)`, its snapshot-origin device, and one snapshot of it on a fresh COW device. */
async function stack(store: SnapshotStore, cowBytes = 256 * KiB): Promise<Stack> {
  const originLoop = await host.loop(ORIGIN_BYTES);
  await host.block.write(originLoop, 0, pattern(1, ORIGIN_BYTES));
  const origin = await device('origin', { type: 'snapshot-origin', device: originLoop });
  return { originLoop, origin, ...(await snapshotOf({ originLoop, origin }, store, cowBytes)) };
}

/**
 * A snapshot of `s.originLoop` on a fresh COW device; then the origin device is suspended and
 * resumed, as LVM does: a snapshot-origin target takes the chunk size it splits writes at from
 * the snapshots registered at its resume (see the test of a stale one below).
 */
async function snapshotOf(s: { originLoop: string; origin: string }, store: SnapshotStore, cowBytes = 256 * KiB): Promise<{ cowLoop: string; snap: string }> {
  const cowLoop = await host.loop(cowBytes);
  const snap = await device('snap', { type: 'snapshot', originDevice: s.originLoop, cowDevice: cowLoop, store, chunkSectors: CHUNK_SECTORS });
  await host.dm.suspend(s.origin);
  await host.dm.resume(s.origin);
  return { cowLoop, snap };
}

/** Removes device `name` and makes a new one with the same table; returns its name. */
async function recreate(name: string): Promise<string> {
  const table = await host.dm.table(name);
  await host.dm.remove(name);
  const again = host.name('snap');
  await host.dm.create(again);
  await host.dm.load(again, table);
  await host.dm.resume(again);
  return again;
}

/** Polls a snapshot-merge status (the kernel raises no event when a merge ends) until it is finished. */
async function untilMerged(name: string, seen: number[] = []): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    const s = parseSnapshotMergeStatus((await host.dm.status(name))[0]!.params);
    if (s.state !== 'active') throw new Error(`merge of ${name} ended ${s.state}`);
    seen.push(s.allocatedSectors);
    if (s.finished) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`merge of ${name} did not finish`);
}

describe(`DmClient conformance: snapshot targets (${process.env.THINFLEET_DM ?? 'sim'})`, () => {
  it('lists the snapshot targets', async () => {
    const names = (await host.dm.targetVersions()).map((t) => t.name);
    for (const t of ['snapshot-origin', 'snapshot', 'snapshot-merge']) expect(names).toContain(t);
  });

  it('round-trips the tables as the kernel prints them and reports fresh stores', async () => {
    const { originLoop, origin, cowLoop, snap } = await stack('P');
    const other = await snapshotOf({ originLoop, origin }, 'N');
    const third = await snapshotOf({ originLoop, origin }, 'PO');
    const originDev = formatDevNumber(await host.block.deviceNumber(originLoop));
    const cowDev = formatDevNumber(await host.block.deviceNumber(cowLoop));
    expect(parseTable(await host.dm.table(origin))).toEqual([{ startSector: 0, lengthSectors: ORIGIN_BYTES / 512, target: { type: 'snapshot-origin', device: originDev } }]);
    expect(parseTable(await host.dm.table(snap))[0]?.target).toEqual({ type: 'snapshot', originDevice: originDev, cowDevice: cowDev, store: 'P', chunkSectors: CHUNK_SECTORS });
    expect(parseTable(await host.dm.table(other.snap))[0]?.target).toMatchObject({ store: 'N', chunkSectors: CHUNK_SECTORS });
    expect(parseTable(await host.dm.table(third.snap))[0]?.target).toMatchObject({ store: 'PO', chunkSectors: CHUNK_SECTORS });
    expect((await host.dm.status(origin))[0]?.params).toBe('');
    expect(await status(snap)).toEqual({ state: 'active', allocatedSectors: 16, totalSectors: 512, metadataSectors: 16 });
    expect(await status(other.snap)).toEqual({ state: 'active', allocatedSectors: 0, totalSectors: 512, metadataSectors: 0 });
    expect((await host.dm.deps(snap)).map(formatDevNumber).sort()).toEqual([originDev, cowDev].sort());
    expect(await host.block.sizeBytes(path(snap))).toBe(ORIGIN_BYTES);
    expectSameBytes(await host.block.read(path(snap), 0, ORIGIN_BYTES), pattern(1, ORIGIN_BYTES));
  });

  it('copies each chunk into every snapshot once, before the origin changes', async () => {
    const { originLoop, origin, cowLoop, snap } = await stack('P');
    const transient = await snapshotOf({ originLoop, origin }, 'N');
    // 12 KiB from 4.5 KiB: touches chunks 1 to 4.
    await host.block.write(path(origin), CHUNK + 512, pattern(2, 3 * CHUNK));
    const changed = pattern(1, ORIGIN_BYTES);
    pattern(2, 3 * CHUNK).copy(changed, CHUNK + 512);
    expectSameBytes(await host.block.read(path(origin), 0, ORIGIN_BYTES), changed);
    expectSameBytes(await host.block.read(originLoop, 0, ORIGIN_BYTES), changed);
    expectSameBytes(await host.block.read(path(snap), 0, ORIGIN_BYTES), pattern(1, ORIGIN_BYTES));
    expectSameBytes(await host.block.read(path(transient.snap), 0, ORIGIN_BYTES), pattern(1, ORIGIN_BYTES));
    expect(await status(snap)).toMatchObject({ allocatedSectors: 16 + 4 * CHUNK_SECTORS, metadataSectors: 16 });
    expect(await status(transient.snap)).toMatchObject({ allocatedSectors: 4 * CHUNK_SECTORS, metadataSectors: 0 });
    // The persistent store on the COW device, in the kernel's format: header "SnAp", valid, version 1,
    // chunk size; then the first metadata area of { origin chunk, COW chunk } pairs, a zero COW chunk ending it.
    const store = await host.block.read(cowLoop, 0, 2 * CHUNK);
    expect([0, 4, 8, 12].map((at) => store.readUInt32LE(at))).toEqual([0x70416e53, 1, 1, CHUNK_SECTORS]);
    const pairs = Array.from({ length: 5 }, (_, i) => [Number(store.readBigUInt64LE(CHUNK + 16 * i)), Number(store.readBigUInt64LE(CHUNK + 16 * i + 8))]);
    expect(pairs).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
      [0, 0],
    ]);
    await host.block.write(path(origin), 2 * CHUNK, pattern(3, CHUNK));
    expect(await status(snap)).toMatchObject({ allocatedSectors: 16 + 4 * CHUNK_SECTORS });
    expectSameBytes(await host.block.read(path(snap), 0, ORIGIN_BYTES), pattern(1, ORIGIN_BYTES));
  });

  it('copies only the first chunk of a write while the origin device has not been resumed since its snapshot came', async () => {
    const originLoop = await host.loop(ORIGIN_BYTES);
    await host.block.write(originLoop, 0, pattern(1, ORIGIN_BYTES));
    const origin = await device('origin', { type: 'snapshot-origin', device: originLoop });
    const cowLoop = await host.loop(256 * KiB);
    const snap = await device('snap', { type: 'snapshot', originDevice: originLoop, cowDevice: cowLoop, store: 'P', chunkSectors: CHUNK_SECTORS });
    // The origin split writes at 2^31 sectors when it resumed: one copy-out per write, for its first chunk.
    await host.block.write(path(origin), 0, pattern(16, 2 * CHUNK));
    const expected = pattern(1, ORIGIN_BYTES);
    pattern(16, 2 * CHUNK).copy(expected, CHUNK, CHUNK);
    expectSameBytes(await host.block.read(path(snap), 0, ORIGIN_BYTES), expected);
    expect(await status(snap)).toMatchObject({ allocatedSectors: 16 + CHUNK_SECTORS });
    await host.dm.suspend(origin);
    await host.dm.resume(origin);
    await host.block.write(path(origin), 4 * CHUNK, pattern(17, 2 * CHUNK));
    expectSameBytes(await host.block.read(path(snap), 0, ORIGIN_BYTES), expected);
    expect(await status(snap)).toMatchObject({ allocatedSectors: 16 + 3 * CHUNK_SECTORS });
  });

  it('writes to a snapshot into its exception store, never to the origin', async () => {
    const { originLoop, snap } = await stack('P');
    await host.block.write(path(snap), 2 * CHUNK + 512, pattern(4, KiB));
    const expected = pattern(1, ORIGIN_BYTES);
    pattern(4, KiB).copy(expected, 2 * CHUNK + 512);
    expectSameBytes(await host.block.read(path(snap), 0, ORIGIN_BYTES), expected);
    expectSameBytes(await host.block.read(originLoop, 0, ORIGIN_BYTES), pattern(1, ORIGIN_BYTES));
    expect(await status(snap)).toMatchObject({ allocatedSectors: 16 + CHUNK_SECTORS });
  });

  it('drops a snapshot whose COW device fills up: Invalid, I/O errors, an event, and a persistent store remembers', async () => {
    // 16 chunks: header, one metadata area, room for 14 exceptions.
    const { originLoop, origin, snap } = await stack('P', 16 * CHUNK);
    const transient = await snapshotOf({ originLoop, origin }, 'N', 8 * CHUNK);
    const events = (await host.dm.info(snap)).eventNr;
    await host.block.write(path(origin), 0, pattern(5, 14 * CHUNK));
    expect(await status(snap)).toMatchObject({ state: 'active', allocatedSectors: 16 * CHUNK_SECTORS });
    expect(await status(transient.snap)).toEqual({ state: 'invalid' });
    await host.block.write(path(origin), 14 * CHUNK, pattern(6, CHUNK));
    expect(await status(snap)).toEqual({ state: 'invalid' });
    expect((await host.dm.info(snap)).eventNr).toBeGreaterThan(events);
    await expectErrno(host.block.read(path(snap), 0, CHUNK), 'EIO');
    await expectErrno(host.block.read(path(transient.snap), 0, CHUNK), 'EIO');
    expectSameBytes(await host.block.read(path(origin), 0, 15 * CHUNK), Buffer.concat([pattern(5, 14 * CHUNK), pattern(6, CHUNK)]));

    const again = await recreate(snap);
    expect(await status(again)).toEqual({ state: 'invalid' });
    await expectErrno(host.block.read(path(again), 0, CHUNK), 'EIO');
  });

  it('overflows a PO snapshot whose own write finds the COW device full (reads go on); a P one is dropped', async () => {
    const po = await stack('PO', 16 * CHUNK);
    const p = await snapshotOf(po, 'P', 16 * CHUNK);
    for (const snap of [po.snap, p.snap]) {
      await host.block.write(path(snap), 0, pattern(7, 14 * CHUNK));
      await expectErrno(host.block.write(path(snap), 14 * CHUNK, pattern(8, CHUNK)), 'EIO');
    }
    expect(await status(po.snap)).toEqual({ state: 'overflow' });
    expect(await status(p.snap)).toEqual({ state: 'invalid' });
    const expected = pattern(1, ORIGIN_BYTES);
    pattern(7, 14 * CHUNK).copy(expected, 0);
    expectSameBytes(await host.block.read(path(po.snap), 0, ORIGIN_BYTES), expected);
    await expectErrno(host.block.write(path(po.snap), 0, pattern(9, CHUNK)), 'EIO');
    await expectErrno(host.block.read(path(p.snap), 0, CHUNK), 'EIO');
  });

  it('keeps exceptions across a table reload; a new table finds a persistent store again but not a transient one', async () => {
    const { originLoop, origin, snap } = await stack('P');
    const transient = await snapshotOf({ originLoop, origin }, 'N');
    await host.block.write(path(origin), 0, pattern(10, 2 * CHUNK));
    const changed = pattern(1, ORIGIN_BYTES);
    pattern(10, 2 * CHUNK).copy(changed, 0);
    for (const name of [snap, transient.snap]) {
      await host.dm.load(name, await host.dm.table(name));
      await host.dm.resume(name);
      expectSameBytes(await host.block.read(path(name), 0, ORIGIN_BYTES), pattern(1, ORIGIN_BYTES));
    }
    const recreated = [await recreate(snap), await recreate(transient.snap)];
    expectSameBytes(await host.block.read(path(recreated[0]!), 0, ORIGIN_BYTES), pattern(1, ORIGIN_BYTES));
    expect(await status(recreated[0]!)).toMatchObject({ allocatedSectors: 16 + 2 * CHUNK_SECTORS });
    expectSameBytes(await host.block.read(path(recreated[1]!), 0, ORIGIN_BYTES), changed);
    expect(await status(recreated[1]!)).toMatchObject({ allocatedSectors: 0 });
  });

  /** A P snapshot with scattered exceptions from origin writes and one from a snapshot write; returns what the snapshot shows. */
  async function divergedStack(): Promise<Stack & { snapshotContent: Buffer; allocated: number }> {
    const s = await stack('P', 512 * KiB);
    for (let chunk = 0; chunk < 64; chunk += 3) await host.block.write(path(s.origin), chunk * CHUNK, pattern(20 + chunk, CHUNK));
    await host.block.write(path(s.origin), 100 * CHUNK, pattern(11, 16 * CHUNK));
    await host.block.write(path(s.snap), 200 * CHUNK + 512, pattern(12, 512));
    const snapshotContent = await host.block.read(path(s.snap), 0, ORIGIN_BYTES);
    const st = await status(s.snap);
    if (st.state !== 'active') throw new Error('snapshot not active');
    return { ...s, snapshotContent, allocated: st.allocatedSectors };
  }

  function mergeTarget(s: Stack): DmTarget {
    return { type: 'snapshot-merge', originDevice: s.originLoop, cowDevice: s.cowLoop, store: 'P', chunkSectors: CHUNK_SECTORS };
  }

  it('merges a snapshot back: the handover needs the snapshot suspended, the allocated count falls to the metadata, the origin ends equal to the snapshot', async () => {
    const s = await divergedStack();
    expect(s.allocated).toBe(16 + (22 + 16 + 1) * CHUNK_SECTORS);
    await host.dm.load(s.origin, toTargetLines([{ startSector: 0, lengthSectors: ORIGIN_BYTES / 512, target: mergeTarget(s) }]));
    await expectErrno(host.dm.resume(s.origin), 'EINVAL');
    expect((await host.dm.info(s.origin)).suspended).toBe(true);
    await host.dm.suspend(s.snap);
    await host.dm.resume(s.origin);
    expect(parseTable(await host.dm.table(s.origin))[0]?.target).toMatchObject({ type: 'snapshot-merge', store: 'P', chunkSectors: CHUNK_SECTORS });
    // The snapshot handed its store over: its device now fails I/O.
    await host.dm.resume(s.snap);
    expect(await status(s.snap)).toEqual({ state: 'invalid' });
    await expectErrno(host.block.read(path(s.snap), 0, CHUNK), 'EIO');
    await host.dm.remove(s.snap);

    const seen: number[] = [];
    await untilMerged(s.origin, seen);
    expect(seen[0]).toBeLessThanOrEqual(s.allocated);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeLessThanOrEqual(seen[i - 1]!);
    expect(parseSnapshotMergeStatus((await host.dm.status(s.origin))[0]!.params)).toEqual({
      state: 'active',
      allocatedSectors: 16,
      totalSectors: (512 * KiB) / 512,
      metadataSectors: 16,
      remainingSectors: 0,
      finished: true,
    });
    expectSameBytes(await host.block.read(path(s.origin), 0, ORIGIN_BYTES), s.snapshotContent);
    expectSameBytes(await host.block.read(s.originLoop, 0, ORIGIN_BYTES), s.snapshotContent);
  });

  it('goes on with a merge stopped by suspend in a new table, from the exception store, with writes landing meanwhile', async () => {
    const s = await divergedStack();
    await host.dm.suspend(s.snap);
    await host.dm.load(s.origin, toTargetLines([{ startSector: 0, lengthSectors: ORIGIN_BYTES / 512, target: mergeTarget(s) }]));
    await host.dm.resume(s.origin);
    await host.dm.suspend(s.origin); // stops the merge after its current step
    const stopped = parseSnapshotMergeStatus((await host.dm.status(s.origin))[0]!.params);
    expect(stopped).toMatchObject({ state: 'active', metadataSectors: 16 });
    if (stopped.state === 'active') expect(stopped.allocatedSectors).toBeLessThanOrEqual(s.allocated);
    // A second merging table for the origin is refused while the first exists.
    const second = host.name('merge');
    await host.dm.create(second);
    await expectErrno(host.dm.load(second, toTargetLines([{ startSector: 0, lengthSectors: ORIGIN_BYTES / 512, target: mergeTarget(s) }])), 'EINVAL');
    await host.dm.remove(second);
    await host.dm.remove(s.origin);
    await host.dm.remove(s.snap);

    const again = await device('origin', mergeTarget(s));
    await host.block.write(path(again), 3 * CHUNK + 1024, pattern(13, 2048));
    await host.block.write(path(again), 250 * CHUNK, pattern(14, CHUNK));
    await untilMerged(again);
    const expected = Buffer.from(s.snapshotContent);
    pattern(13, 2048).copy(expected, 3 * CHUNK + 1024);
    pattern(14, CHUNK).copy(expected, 250 * CHUNK);
    expectSameBytes(await host.block.read(path(again), 0, ORIGIN_BYTES), expected);
    expectSameBytes(await host.block.read(s.originLoop, 0, ORIGIN_BYTES), expected);
  });

  it('refuses bad snapshot tables and unsupported requests with the kernel errnos', async () => {
    const { originLoop, origin, cowLoop, snap } = await stack('N');
    const other = await host.loop(256 * KiB);
    const name = host.name('bad');
    await host.dm.create(name);
    const line = (params: string, type = 'snapshot') => [{ startSector: 0, lengthSectors: ORIGIN_BYTES / 512, type, params }];
    await expectErrno(host.dm.load(name, line(`${originLoop} ${other} P 12`)), 'EINVAL');
    await expectErrno(host.dm.load(name, line(`${originLoop} ${other} X 8`)), 'EINVAL');
    await expectErrno(host.dm.load(name, line(`${originLoop} ${originLoop} P 8`)), 'EINVAL');
    // A transient store does not merge.
    await expectErrno(host.dm.load(name, line(`${originLoop} ${cowLoop} N 8`, 'snapshot-merge')), 'EINVAL');
    // A COW device whose header is neither zero nor a snapshot's.
    await host.block.write(other, 0, pattern(15, CHUNK));
    await expectErrno(host.dm.load(name, line(`${originLoop} ${other} P 8`)), 'ENXIO');
    expect((await host.dm.info(name)).inactiveTable).toBe(false);
    await expectErrno(host.dm.message(snap, 0, 'anything'), 'EINVAL');
    await expectErrno(host.block.discard(path(origin), 0, CHUNK), 'EOPNOTSUPP');
    await expectErrno(host.block.discard(path(snap), 0, CHUNK), 'EOPNOTSUPP');
  });
});
