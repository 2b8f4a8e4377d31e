/**
 * The simulator's snapshot targets where the conformance suite cannot look: a merge held
 * part-way (SimKernel.mergeGate), and what kernel memory (kernel.json) keeps across a restart of
 * the process and loses at a reboot.
 */
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSimHost, parseSnapshotMergeStatus, parseSnapshotStatus, SimKernel, toTargetLines, type DmTarget, type SimHost, type SnapshotStore } from '@thinfleet/devmapper';
import { expectSameBytes, pattern } from './conformance/dm-test-host.js';

const CHUNK_SECTORS = 8;
const CHUNK = CHUNK_SECTORS * 512;
const ORIGIN_BYTES = 64 * CHUNK;

let dir: string;
const hosts: SimHost[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'thinfleet-simsnap-'));
});
afterEach(async () => {
  for (const h of hosts.splice(0)) h.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(): Promise<SimHost> {
  const h = await openSimHost(join(dir, 'kernel'));
  hosts.push(h);
  return h;
}

async function loop(h: SimHost, name: string, bytes: number): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, '');
  await truncate(file, bytes);
  return h.block.attachLoop(file);
}

async function device(h: SimHost, name: string, target: DmTarget): Promise<string> {
  await h.dm.create(name);
  await h.dm.load(name, toTargetLines([{ startSector: 0, lengthSectors: ORIGIN_BYTES / 512, target }]));
  await h.dm.resume(name);
  return h.dm.devicePath(name);
}

/** Origin (pattern 1), its snapshot-origin device `origin`, a snapshot `snap` with `store`. */
async function stack(h: SimHost, store: SnapshotStore, cowBytes = 32 * CHUNK): Promise<{ originLoop: string; cowLoop: string }> {
  const originLoop = await loop(h, 'origin.img', ORIGIN_BYTES);
  await h.block.write(originLoop, 0, pattern(1, ORIGIN_BYTES));
  const cowLoop = await loop(h, 'cow.img', cowBytes);
  await device(h, 'origin', { type: 'snapshot-origin', device: originLoop });
  await device(h, 'snap', { type: 'snapshot', originDevice: originLoop, cowDevice: cowLoop, store, chunkSectors: CHUNK_SECTORS });
  // The origin takes its write split (the snapshots' chunk size) at resume.
  await h.dm.suspend('origin');
  await h.dm.resume('origin');
  return { originLoop, cowLoop };
}

const statusOf = async (h: SimHost, name: string) => parseSnapshotMergeStatus((await h.dm.status(name))[0]!.params);

/** Lets the merge of `name` run to its end (a few turns of the event loop); false if it did not end. */
async function merged(h: SimHost, name: string): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const s = await statusOf(h, name);
    if (s.state === 'active' && s.finished) return true;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return false;
}

/** A gate that lets `steps` merge steps through, then holds; `held` settles when it holds. */
function holdAfter(steps: number): { gate: () => Promise<void>; held: Promise<void>; release: () => void } {
  let left = steps;
  let onHeld!: () => void;
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  let release = (): void => {};
  const blocked = new Promise<void>((resolve) => (release = resolve));
  return {
    gate: () => {
      if (left-- > 0) return Promise.resolve();
      onHeld();
      return blocked;
    },
    held,
    release: () => release(),
  };
}

describe('simulated snapshot targets', () => {
  it('holds a merge part-way, stops it by suspend, and a new table after a restart goes on from the store', async () => {
    const h = await open();
    const { originLoop, cowLoop } = await stack(h, 'P');
    // Four exceptions that are not consecutive: four merge steps.
    for (const chunk of [0, 2, 4, 6]) await h.block.write('/dev/mapper/origin', chunk * CHUNK, pattern(10 + chunk, CHUNK));
    const content = await h.block.read('/dev/mapper/snap', 0, ORIGIN_BYTES);
    const gate = holdAfter(2);
    h.kernel.mergeGate = gate.gate;
    const merge: DmTarget = { type: 'snapshot-merge', originDevice: originLoop, cowDevice: cowLoop, store: 'P', chunkSectors: CHUNK_SECTORS };
    await h.dm.suspend('snap');
    await h.dm.load('origin', toTargetLines([{ startSector: 0, lengthSectors: ORIGIN_BYTES / 512, target: merge }]));
    await h.dm.resume('origin');
    await gate.held;
    // Two of four chunks merged: header and area (16) plus two chunks left.
    expect(await statusOf(h, 'origin')).toMatchObject({ allocatedSectors: 32, metadataSectors: 16, remainingSectors: 16, finished: false });
    await h.dm.suspend('origin');
    gate.release();

    // The process restarts; the kernel kept the suspended merging table, and did not merge on.
    const again = await open();
    expect(await statusOf(again, 'origin')).toMatchObject({ allocatedSectors: 32, finished: false });
    await again.dm.remove('origin');
    await again.dm.remove('snap');
    await device(again, 'merged', merge);
    expect(await merged(again, 'merged')).toBe(true);
    expect(await statusOf(again, 'merged')).toMatchObject({ allocatedSectors: 16, finished: true });
    expectSameBytes(await again.block.read('/dev/mapper/merged', 0, ORIGIN_BYTES), content);
  });

  it('goes on merging in a restarted process when the merging table is live', async () => {
    const h = await open();
    const { originLoop, cowLoop } = await stack(h, 'P');
    for (const chunk of [1, 3, 5]) await h.block.write('/dev/mapper/origin', chunk * CHUNK, pattern(20 + chunk, CHUNK));
    const content = await h.block.read('/dev/mapper/snap', 0, ORIGIN_BYTES);
    const gate = holdAfter(1);
    h.kernel.mergeGate = gate.gate;
    await h.dm.suspend('snap');
    const merge: DmTarget = { type: 'snapshot-merge', originDevice: originLoop, cowDevice: cowLoop, store: 'P', chunkSectors: CHUNK_SECTORS };
    await h.dm.load('origin', toTargetLines([{ startSector: 0, lengthSectors: ORIGIN_BYTES / 512, target: merge }]));
    await h.dm.resume('origin');
    await gate.held;
    h.close(); // the process dies; its merge loop ends at the gate
    gate.release();
    const again = await open();
    expect(await merged(again, 'origin')).toBe(true);
    expectSameBytes(await again.block.read('/dev/mapper/origin', 0, ORIGIN_BYTES), content);
  });

  it('keeps transient exceptions and the overflow flag in kernel memory: a restart finds them, a reboot does not', async () => {
    const h = await open();
    const { originLoop } = await stack(h, 'N');
    const poCow = await loop(h, 'po.img', 4 * CHUNK);
    await device(h, 'po', { type: 'snapshot', originDevice: originLoop, cowDevice: poCow, store: 'PO', chunkSectors: CHUNK_SECTORS });
    await h.block.write('/dev/mapper/origin', 0, pattern(30, 2 * CHUNK));
    await h.block.write('/dev/mapper/po', 2 * CHUNK, pattern(31, CHUNK)).catch(() => undefined); // two exceptions fill a 4-chunk PO store
    expect(parseSnapshotStatus((await h.dm.status('po'))[0]!.params)).toEqual({ state: 'overflow' });

    const again = await open();
    expectSameBytes(await again.block.read('/dev/mapper/snap', 0, ORIGIN_BYTES), pattern(1, ORIGIN_BYTES));
    expect(parseSnapshotStatus((await again.dm.status('snap'))[0]!.params)).toMatchObject({ allocatedSectors: 2 * CHUNK_SECTORS });
    expect(parseSnapshotStatus((await again.dm.status('po'))[0]!.params)).toEqual({ state: 'overflow' });
    const table = await again.dm.table('snap');
    again.close();

    SimKernel.reboot(join(dir, 'kernel'));
    const rebooted = await open();
    expect(await rebooted.dm.list()).toEqual([]);
    const originAgain = await rebooted.block.attachLoop(join(dir, 'origin.img'));
    const cowAgain = await rebooted.block.attachLoop(join(dir, 'cow.img'));
    expect([originAgain, cowAgain]).toEqual([originLoop, table[0]!.params.split(' ')[1]!.replace(/^7:/, '/dev/loop')]);
    await rebooted.dm.create('snap');
    await rebooted.dm.load('snap', table);
    await rebooted.dm.resume('snap');
    expect(parseSnapshotStatus((await rebooted.dm.status('snap'))[0]!.params)).toMatchObject({ allocatedSectors: 0 });
    const changed = pattern(1, ORIGIN_BYTES);
    pattern(30, 2 * CHUNK).copy(changed, 0);
    expectSameBytes(await rebooted.block.read('/dev/mapper/snap', 0, ORIGIN_BYTES), changed);
  });
});
