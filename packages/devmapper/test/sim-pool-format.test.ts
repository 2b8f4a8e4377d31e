/**
 * The simulator's metadata format (sim-pool-format.ts): commits append log records and now and
 * then write a whole base into the other area. A crash after any write, or in the middle of one
 * (a torn write), must leave the state of the last commit that finished or of the one in flight,
 * never an error and never anything else; and a commit must cost its change, not the state's size.
 */
import { describe, expect, it } from 'vitest';
import { appendPoolLog, readPoolMetadata, storedBytes, writePoolBase, type MetadataDeviceIo, type PoolMetadataPlace } from '../src/sim/sim-pool-format.js';
import { encodePoolRecord, encodePoolState, loadPoolState, type PoolChange, type PoolState } from '../src/sim/sim-pool-state.js';

const DEVICE_BYTES = 256 * 1024;

/** A metadata device in memory that keeps every write, so any prefix of them can be replayed. */
class RecordingDevice implements MetadataDeviceIo {
  readonly bytes = Buffer.alloc(DEVICE_BYTES);
  readonly writes: Array<{ offset: number; data: Buffer }> = [];
  get sizeBytes(): number {
    return this.bytes.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    return Promise.resolve(Buffer.from(this.bytes.subarray(offset, offset + length)));
  }
  async write(offset: number, data: Buffer): Promise<void> {
    this.writes.push({ offset, data: Buffer.from(data) });
    data.copy(this.bytes, offset);
    return Promise.resolve();
  }
  /** The device after the first `n` writes, and half of write `n` when `torn`. */
  replay(n: number, torn: boolean): MetadataDeviceIo {
    const dev = new RecordingDevice();
    for (const w of this.writes.slice(0, n)) w.data.copy(dev.bytes, w.offset);
    const next = this.writes[n];
    if (torn && next !== undefined) next.data.subarray(0, Math.max(1, next.data.length >> 1)).copy(dev.bytes, next.offset);
    return dev;
  }
}

const fresh = (): PoolState => ({ dataBlockSectors: 128, dataBlocks: 64, transactionId: 0n, devices: new Map(), held: null });

/** A readable summary of a state, to compare states. */
const summary = (s: PoolState): string =>
  JSON.stringify({
    tx: s.transactionId.toString(),
    blocks: s.dataBlocks,
    devs: [...s.devices].map(([id, m]) => [id, [...m]]),
    held: s.held && { root: s.held.root, devs: [...s.held.devices].map(([id, m]) => [id, [...m]]) },
  });

/** Applies `n` changes of many kinds to a state, committing each the way SimThinPool does. */
async function commitChanges(dev: MetadataDeviceIo, n: number): Promise<{ states: string[]; places: PoolMetadataPlace[] }> {
  const state = fresh();
  let place = await writePoolBase(dev, null, encodePoolState(state));
  const states = [summary(state)];
  const places = [place];
  for (let i = 1; i <= n; i++) {
    let change: PoolChange;
    if (i % 17 === 0 && state.held === null) {
      state.held = {
        root: place.seq + 2,
        devices: new Map([...state.devices].map(([id, m]) => [id, new Map(m)])),
        transactionId: state.transactionId,
        dataBlockSectors: 128,
        dataBlocks: state.dataBlocks,
      };
      change = { devices: new Set(), held: 'reserved' };
    } else if (i % 17 === 5 && state.held !== null) {
      state.held = null;
      change = { devices: new Set(), held: 'released' };
    } else if (i % 7 === 0 && state.devices.has(i - 3)) {
      state.devices.delete(i - 3);
      change = { devices: new Set([i - 3]), held: 'kept' };
    } else {
      state.devices.set(i, new Map([[i % 5, i]]));
      state.transactionId += 1n;
      change = { devices: new Set([i]), held: 'kept' };
    }
    place = (await appendPoolLog(dev, place, encodePoolRecord(state, change))) ?? (await writePoolBase(dev, place, encodePoolState(state)));
    states.push(summary(state));
    places.push(place);
  }
  return { states, places };
}

describe("the simulator's metadata log", () => {
  it('reads back every commit, through log records and new bases', async () => {
    const dev = new RecordingDevice();
    const { states, places } = await commitChanges(dev, 300);
    const stored = (await readPoolMetadata(dev))!;
    expect(summary(loadPoolState(stored))).toBe(states.at(-1));
    // Bases were written more than once (the log was folded), and logs were used in between.
    const bases = new Set(places.map((p) => `${p.payloadOffset}:${p.payloadCrc}`));
    expect(bases.size).toBeGreaterThan(2);
    expect(places.filter((p) => p.logBytes > 0).length).toBeGreaterThan(places.length / 2);
  });

  it('after a crash at any write, or a torn one, reads the last finished commit or the one in flight', async () => {
    const dev = new RecordingDevice();
    const { states } = await commitChanges(dev, 120);
    for (let n = 0; n <= dev.writes.length; n++) {
      for (const torn of [false, true]) {
        const io = dev.replay(n, torn);
        // Each commit ends with its superblock write (the first one formats: state 0), so the
        // newest finished commit is the number of whole superblock writes so far, less one.
        const finished = dev.writes.slice(0, n).filter((w) => w.offset < 1024).length - 1;
        if (finished < 0) {
          // The format itself did not finish: a fresh device, or (its superblock torn) one the
          // kernel would also refuse; as before logs existed.
          await readPoolMetadata(io).then(
            (stored) => expect(stored).toBeNull(),
            (err: unknown) => expect(err).toMatchObject({ code: 'EILSEQ' }),
          );
          continue;
        }
        const stored = await readPoolMetadata(io);
        expect(stored!.seq - 1, `after ${n} writes${torn ? ' and a torn one' : ''}`).toBe(finished);
        expect(summary(loadPoolState(stored!))).toBe(states[finished]);
      }
    }
  });

  it('appends a record whose size follows the change, not the number of devices', async () => {
    const dev = new RecordingDevice();
    const state = fresh();
    for (let id = 0; id < 2000; id++) state.devices.set(id, new Map());
    let place = await writePoolBase(dev, null, encodePoolState(state));
    const baseBytes = storedBytes(place);
    state.devices.set(5000, new Map());
    const before = dev.writes.length;
    place = (await appendPoolLog(dev, place, encodePoolRecord(state, { devices: new Set([5000]), held: 'kept' })))!;
    expect(place).not.toBeNull();
    const written = dev.writes.slice(before).reduce((n, w) => n + w.data.length, 0);
    expect(written).toBe(1024); // one 512-byte record and one superblock
    expect(baseBytes).toBeGreaterThan(16 * 1024);
    expect(summary(loadPoolState((await readPoolMetadata(dev))!))).toBe(summary(state));
  });
});
