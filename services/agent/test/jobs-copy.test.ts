/**
 * The sparse copy job (issue 15, item 1) on the simulated kernel, source and destination pools
 * held by one agent: only mapped, non-zero blocks are written to the destination; an external
 * origin travels, or stays named with --keep-origin; the destination is invisible and refused
 * until the copy commits; a cancelled or failed copy leaves no volume; a corrupted run is
 * detected (retried, then CHECKSUM_MISMATCH); hostile starts are refused naming their field with
 * nothing made; a hand-over of the destination pool goes on at the next holder; a crash at every
 * step resumes to the same copy.
 */
import { cpSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import type { Pool } from '@thinfleet/engine';
import { COPY_JOB_KIND, isIncompleteCopy, JobManager, localCopySource, type CopySource, type JobManagerOptions, type JobRecord } from '../src/jobs/index.js';
import type { CrashMode } from '../../../packages/engine/test/support/crash-plan.js';
import { crashFixture, freezingEngine, resumeAfterCrash, runUntilCrash } from './support/freezing-plan.js';
import { BLOCK_BYTES, expectSameBytes, Gate, jobFixture, KiB, MiB, nextHolder, pattern, ScriptedBlock, settled, silentLogger, type JobFixture } from './support/job-harness.js';
import { SMALL_CATALOG } from '../../../packages/engine/test/support/engine-test-host.js';
import { failure, rawClients } from './support/raw-clients.js';
import { startTestAgent } from './support/test-agent.js';

const CHUNK = 256 * KiB;
const SOURCE_BYTES = MiB;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function fixture(): Promise<JobFixture> {
  const f = await jobFixture();
  cleanups.push(() => f.teardown());
  return f;
}

/** A second pool on the fixture's host, with 128 KiB data blocks (unlike the first's 64 KiB). */
async function secondPool(f: JobFixture): Promise<Pool> {
  const [device] = await f.host.devices(1, 32 * MiB);
  return f.engine.createPool({ name: f.host.poolName('k'), devices: [device!], dataBlockBytes: 2 * BLOCK_BYTES, ...SMALL_CATALOG });
}

/**
 * Volume `name` of 1 MiB in `pool` with data in blocks 0, 3 (its last byte only) and 9..10,
 * block 5 written with zeros; left inactive. Returns its bytes and how many blocks hold data.
 */
async function sparseVolume(f: JobFixture, pool: Pool, name: string): Promise<Buffer> {
  const v = await pool.createVolume(name, SOURCE_BYTES, { activate: true });
  const bytes = Buffer.alloc(SOURCE_BYTES);
  pattern(1, BLOCK_BYTES).copy(bytes, 0);
  bytes[4 * BLOCK_BYTES - 1] = 0x7e;
  pattern(2, 2 * BLOCK_BYTES).copy(bytes, 9 * BLOCK_BYTES);
  const dev = v.devicePath!;
  await f.host.block.write(dev, 0, bytes.subarray(0, BLOCK_BYTES));
  await f.host.block.write(dev, 3 * BLOCK_BYTES, bytes.subarray(3 * BLOCK_BYTES, 4 * BLOCK_BYTES));
  await f.host.block.write(dev, 5 * BLOCK_BYTES, Buffer.alloc(BLOCK_BYTES));
  await f.host.block.write(dev, 9 * BLOCK_BYTES, bytes.subarray(9 * BLOCK_BYTES, 11 * BLOCK_BYTES));
  await pool.deactivateVolume(name);
  return bytes;
}

/** The first `length` bytes of volume `name`, leaving it as active as it was. */
async function content(f: JobFixture, pool: Pool, name: string, length: number): Promise<Buffer> {
  const was = (await pool.show(name)).active;
  const device = (await pool.activateVolume(name)).devicePath!;
  const data = await f.host.block.read(device, 0, length);
  if (!was) await pool.deactivateVolume(name);
  return data;
}

const mapped = async (pool: Pool, name: string): Promise<number> => (await pool.show(name)).mappedBytes ?? -1;
const copyHelpers = async (f: JobFixture): Promise<string[]> => (await f.host.dm.list()).map((d) => d.name).filter((n) => n.includes('-_copy-'));

/** A block client whose writes (numbered from 1) can be held. */
class GatedBlock extends ScriptedBlock {
  beforeWrite: ((n: number) => Promise<void> | void) | null = null;
  private writes = 0;
  override async write(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    await this.beforeWrite?.(++this.writes);
    return super.write(path, offsetBytes, data);
  }
}

/** A manager whose write number `atWrite` (from 1; every write when 0) waits at the returned gate. */
function heldManager(f: JobFixture, atWrite: number, options: Partial<JobManagerOptions> = {}): { m: JobManager; gate: Gate } {
  const block = new GatedBlock(f.host.block);
  const gate = new Gate();
  block.beforeWrite = (n) => (atWrite === 0 || n === atWrite ? gate.hold() : undefined);
  return { m: f.manager({ block, copyChunkBytes: CHUNK, ...options }), gate };
}

describe('sparse copy on one host', () => {
  it('copies only the mapped, non-zero blocks, within a pool and into a pool of another block size; the copy is invisible until it commits', async () => {
    const f = await fixture();
    const bytes = await sparseVolume(f, f.pool, 'src');
    const other = await secondPool(f);
    const { m, gate } = heldManager(f, 1);
    const job = await m.startCopy({ pool: f.poolName, volume: 'src', targetPool: f.poolName, targetName: 'dst' });
    expect(job).toMatchObject({ kind: COPY_JOB_KIND, state: 'running', pool: f.poolName, volume: 'dst', totalBytes: SOURCE_BYTES, chunkBytes: CHUNK, phase: 'create' });
    await gate.reached;
    // While it runs: made, marked (so the agent hides it), and its name is the job's.
    const during = (await f.pool.list()).find((v) => v.name === 'dst')!;
    expect(isIncompleteCopy(during)).toBe(true);
    expect(during.job).toMatchObject({ kind: 'copy', jobId: job.id, args: { sourcePool: f.poolName, sourceName: 'src', keepOrigin: '0' } });
    expect(m.jobOnVolume(f.poolName, 'dst')?.id).toBe(job.id);
    gate.open();
    const end = await settled(m, job.id);
    expect(end).toMatchObject({ state: 'succeeded', doneBytes: SOURCE_BYTES, phase: 'commit' });
    const dst = await f.pool.show('dst');
    expect(dst).toMatchObject({ job: null, active: false, sizeBytes: SOURCE_BYTES, externalOrigin: null });
    expect(end.volumeUuid).toBe(dst.uuid);
    expect(isIncompleteCopy(dst)).toBe(false);
    // Blocks 0, 3, 9 and 10 hold data; block 5 (zeros) and the holes were not written.
    expect(await mapped(f.pool, 'dst')).toBe(4 * BLOCK_BYTES);
    expectSameBytes(await content(f, f.pool, 'dst', SOURCE_BYTES), bytes);
    expect(await copyHelpers(f)).toEqual([]);
    expect((await f.pool.show('src')).active).toBe(false);

    // Into a pool of 128 KiB blocks: only the blocks that hold data there are written (0, 1, 4, 5).
    const job2 = await m.startCopy({ pool: f.poolName, volume: 'src', targetPool: other.name, targetName: 'far' });
    expect(await settled(m, job2.id)).toMatchObject({ state: 'succeeded', pool: other.name });
    expect(await mapped(other, 'far')).toBe(4 * 2 * BLOCK_BYTES);
    expectSameBytes(await content(f, other, 'far', SOURCE_BYTES), bytes);
  });

  it('an active source is read through its own device; an external origin travels, or with keepOrigin stays named and only own blocks travel', async () => {
    const f = await fixture();
    const [image] = await f.host.devices(1, SOURCE_BYTES);
    const origin = Buffer.alloc(SOURCE_BYTES);
    for (let b = 0; b < SOURCE_BYTES / BLOCK_BYTES; b++) if (b % 4 !== 3) pattern(100 + b, BLOCK_BYTES).copy(origin, b * BLOCK_BYTES);
    await f.host.block.write(image!, 0, origin);
    const v = await f.pool.createExternal('based', image!, { activate: true });
    const own = pattern(7, BLOCK_BYTES);
    await f.host.block.write(v.devicePath!, 2 * BLOCK_BYTES, own);
    await f.host.block.write(v.devicePath!, 6 * BLOCK_BYTES, Buffer.alloc(BLOCK_BYTES)); // zeros over origin data: must travel with keepOrigin
    const expected = Buffer.from(origin);
    own.copy(expected, 2 * BLOCK_BYTES);
    expected.fill(0, 6 * BLOCK_BYTES, 7 * BLOCK_BYTES);
    const m = f.manager({ copyChunkBytes: CHUNK });

    const full = await m.startCopy({ pool: f.poolName, volume: 'based', targetPool: f.poolName, targetName: 'full' });
    expect(await settled(m, full.id)).toMatchObject({ state: 'succeeded' });
    expect(await f.pool.show('full')).toMatchObject({ externalOrigin: null });
    // Every block but the all-zero ones (3, 7, 11, 15 and 6) holds data.
    expect(await mapped(f.pool, 'full')).toBe(11 * BLOCK_BYTES);
    expectSameBytes(await content(f, f.pool, 'full', SOURCE_BYTES), expected);

    const kept = await m.startCopy({ pool: f.poolName, volume: 'based', targetPool: f.poolName, targetName: 'kept', keepOrigin: true });
    expect(await settled(m, kept.id)).toMatchObject({ state: 'succeeded' });
    expect(await f.pool.show('kept')).toMatchObject({ externalOrigin: image });
    expect(await mapped(f.pool, 'kept')).toBe(2 * BLOCK_BYTES);
    expectSameBytes(await content(f, f.pool, 'kept', SOURCE_BYTES), expected);
    expect((await f.pool.show('based')).active).toBe(true);
  });

  it('a cancelled copy leaves no volume; a corrupted run is copied again, and one corrupted every time fails CHECKSUM_MISMATCH leaving no volume', async () => {
    const f = await fixture();
    await sparseVolume(f, f.pool, 'src');
    const { m, gate } = heldManager(f, 2);
    const job = await m.startCopy({ pool: f.poolName, volume: 'src', targetPool: f.poolName, targetName: 'dst' });
    await gate.reached;
    const cancelling = m.cancel(job.id);
    gate.open();
    const end = await cancelling;
    expect(end.state).toBe('cancelled');
    expect(end.error).toMatch(/^cancelled: the copy stopped after \d+ of 1048576 bytes; the partial volume is deleted$/);
    expect((await f.pool.list()).map((v) => v.name)).toEqual(['src']);

    let corrupt = 0;
    const corrupting = (spec: Parameters<typeof localCopySource>[0], engine: Parameters<typeof localCopySource>[1]): CopySource => {
      const inner = localCopySource(spec, engine);
      return {
        async readWindow(from, length) {
          const w = await inner.readWindow(from, length);
          if (corrupt <= 0 || w.runs.length === 0) return w;
          corrupt -= 1;
          const [first, ...rest] = w.runs;
          const data = Buffer.from(first!.data);
          data[0]! ^= 0xff; // the run's checksum stays the sender's
          return { ...w, runs: [{ ...first!, data }, ...rest] };
        },
      };
    };
    const m2 = f.manager({ copyChunkBytes: CHUNK, copySource: corrupting });
    corrupt = 1;
    const healed = await m2.startCopy({ pool: f.poolName, volume: 'src', targetPool: f.poolName, targetName: 'once' });
    expect(await settled(m2, healed.id)).toMatchObject({ state: 'succeeded' });
    expect(corrupt).toBe(0);
    corrupt = 1000;
    const bad = await m2.startCopy({ pool: f.poolName, volume: 'src', targetPool: f.poolName, targetName: 'never' });
    const failed = await settled(m2, bad.id);
    expect(failed).toMatchObject({ state: 'failed', errorCode: 'CHECKSUM_MISMATCH' });
    expect(failed.error).toMatch(/did not match its checksum on receipt \(3 attempts\).*the partial volume is deleted$/);
    expect((await f.pool.list()).map((v) => v.name)).toEqual(['once', 'src']);
  });

  it('refuses hostile starts naming the field, making nothing', async () => {
    const f = await fixture();
    await sparseVolume(f, f.pool, 'src');
    await f.pool.createVolume('taken', MiB);
    const m = f.manager({ copyChunkBytes: CHUNK });
    const refused = async (p: Promise<unknown>): Promise<{ code: string; field?: string; argument?: string; message: string }> =>
      p.then(
        () => {
          throw new Error('accepted');
        },
        (err: { code: string; field?: string; argument?: string; message: string }) => err,
      );
    const start = (over: Partial<Parameters<JobManager['startCopy']>[0]>): Promise<JobRecord> =>
      m.startCopy({ pool: f.poolName, volume: 'src', targetPool: f.poolName, targetName: 'new', ...over });
    expect(await refused(start({ targetName: 'src' }))).toMatchObject({ code: 'BAD_REQUEST', field: 'target_name' });
    expect(await refused(start({ targetName: 'taken' }))).toMatchObject({ code: 'NAME_EXISTS', argument: 'target_name' });
    expect(await refused(start({ volume: 'nope' }))).toMatchObject({ code: 'NO_SUCH_VOLUME', argument: 'name' });
    expect(await refused(start({ targetPool: 'no-such-pool' }))).toMatchObject({ code: 'NO_SUCH_POOL', argument: 'target_pool' });
    expect(await refused(start({ pool: 'no-such-pool' }))).toMatchObject({ code: 'NO_SUCH_POOL', argument: 'pool' });
    expect(await refused(start({ keepOrigin: true }))).toMatchObject({ code: 'BAD_REQUEST', field: 'keep_origin' });
    // A source larger than the destination pool takes per volume.
    const big = await f.pool.createVolume('big', (await f.pool.status()).maxVolumeBytes);
    const other = await secondPool(f);
    const otherLimit = (await other.status()).maxVolumeBytes;
    if (big.sizeBytes > otherLimit) expect(await refused(start({ volume: 'big', targetPool: other.name }))).toMatchObject({ code: 'BAD_REQUEST', field: 'target_pool' });
    // A second copy to a name a running copy makes.
    const { m: held, gate } = heldManager(f, 0);
    const running = await held.startCopy({ pool: f.poolName, volume: 'src', targetPool: f.poolName, targetName: 'busy' });
    await gate.reached;
    expect(await refused(held.startCopy({ pool: f.poolName, volume: 'src', targetPool: f.poolName, targetName: 'busy' }))).toMatchObject({ code: 'NAME_EXISTS' });
    // The hidden copy is no source either.
    expect(await refused(held.startCopy({ pool: f.poolName, volume: 'busy', targetPool: f.poolName, targetName: 'x' }))).toMatchObject({ code: 'NO_SUCH_VOLUME' });
    const cancelling = held.cancel(running.id);
    gate.open();
    await cancelling;
    expect((await f.pool.list()).map((v) => v.name).sort()).toEqual(['big', 'src', 'taken']);
    expect(m.list()).toEqual([]);
    expect(await other.list()).toEqual([]);
  });

  it('hands over mid-copy with the destination pool; the next holder adopts it from the mark and finishes it', async () => {
    const f = await fixture();
    const bytes = await sparseVolume(f, f.pool, 'src');
    // Window 1 writes block 0; window 2 writes block 9 (the third write: blocks 3 then 9).
    const { m, gate } = heldManager(f, 3, { markEveryMs: 0 });
    const job = await m.startCopy({ pool: f.poolName, volume: 'src', targetPool: f.poolName, targetName: 'dst' });
    await gate.reached;
    const handing = m.handOver(f.poolName);
    gate.open();
    const moved = await handing;
    expect(moved).toMatchObject([{ id: job.id, phase: 'copy' }]);
    const at = moved[0]!.doneBytes;
    expect(at).toBeGreaterThan(0);
    const marked = await f.pool.show('dst');
    expect(marked).toMatchObject({ active: false, job: { kind: 'copy', jobId: job.id, doneBytes: at, phase: 'copy' } });
    await f.pool.deactivate();

    const { manager: next, pool } = await nextHolder(f, { copyChunkBytes: CHUNK }, cleanups);
    expect(next.get(job.id)).toMatchObject({ kind: 'copy', volume: 'dst', doneBytes: at, totalBytes: SOURCE_BYTES, phase: 'copy', createdMs: job.createdMs });
    expect(await settled(next, job.id)).toMatchObject({ state: 'succeeded', doneBytes: SOURCE_BYTES });
    expect(await pool.show('dst')).toMatchObject({ job: null });
    expectSameBytes(await content(f, pool, 'dst', SOURCE_BYTES), bytes);
  });
});

describe('move between pools (issue 15 item 3, JobManager.startCopy with move)', () => {
  it('moves an inactive volume: the destination keeps its uuid and bytes, the source is deleted; refusals name the field', async () => {
    const f = await fixture();
    const bytes = await sparseVolume(f, f.pool, 'src');
    const uuid = (await f.pool.show('src')).uuid;
    const other = await secondPool(f);
    const { m, gate } = heldManager(f, 1);
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (err: { code: string; field?: string; argument?: string }) => err,
      );
    expect(await refused(m.startCopy({ pool: f.poolName, volume: 'src', targetPool: f.poolName, targetName: 'x', move: true }))).toMatchObject({ code: 'BAD_REQUEST', field: 'target_pool' });
    await f.pool.activateVolume('src');
    expect(await refused(m.startMoveToHost({ pool: f.poolName, volume: 'src', targetPool: other.name, targetName: 'src' }))).toMatchObject({ code: 'VOLUME_ACTIVE', argument: 'name' });
    await f.pool.deactivateVolume('src');

    const job = await m.startMoveToHost({ pool: f.poolName, volume: 'src', targetPool: other.name, targetName: 'src' });
    expect(job).toMatchObject({ kind: 'copy', pool: other.name, args: { move: '1', sourceUuid: uuid } });
    await gate.reached;
    // While it moves, the source takes no change through the agent (its activation included).
    expect(m.moveFrom(f.poolName, 'src')?.id).toBe(job.id);
    expect((await other.list()).find((v) => v.name === 'src')).toMatchObject({ uuid, job: { kind: 'copy', phase: 'copy' } });
    gate.open();
    expect(await settled(m, job.id)).toMatchObject({ state: 'succeeded', volumeUuid: uuid });
    expect(m.moveFrom(f.poolName, 'src')).toBeNull();
    expect(await f.pool.list()).toEqual([]);
    expect(await other.show('src')).toMatchObject({ uuid, job: null, active: false });
    expectSameBytes(await content(f, other, 'src', SOURCE_BYTES), bytes);
  });

  it('a source activated during the move stops it: the destination is deleted and the source stays', async () => {
    const f = await fixture();
    const bytes = await sparseVolume(f, f.pool, 'src');
    const other = await secondPool(f);
    const { m, gate } = heldManager(f, 1);
    const job = await m.startMoveToHost({ pool: f.poolName, volume: 'src', targetPool: other.name, targetName: 'moved' });
    await gate.reached;
    // As a user on the source's host would (not through this agent, which refuses it).
    await f.pool.activateVolume('src');
    gate.open();
    const end = await settled(m, job.id);
    expect(end).toMatchObject({ state: 'failed', errorCode: 'VOLUME_ACTIVE' });
    expect(end.error).toMatch(/was activated; the move stops.*the partial volume is deleted$/);
    expect(await other.list()).toEqual([]);
    expectSameBytes(await content(f, f.pool, 'src', SOURCE_BYTES), bytes);
  });

  it('a crash between the two sides (destination committed, source not yet deleted): the destination wins, the resumed job deletes the source', async () => {
    const f = await fixture();
    const bytes = await sparseVolume(f, f.pool, 'src');
    const uuid = (await f.pool.show('src')).uuid;
    const other = await secondPool(f);
    // The source's pool as the job sees it: its delete waits at a gate, where the "crash" happens.
    const gate = new Gate();
    const held = new Proxy(f.pool, {
      get(target, key, receiver) {
        if (key === 'deleteVolume') return async (name: string) => (await gate.hold(), target.deleteVolume(name));
        const value: unknown = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const engine = { pool: (name: string) => (name === f.poolName ? held : f.engine.pool(name)) };
    const first = new JobManager({ stateDir: f.stateDir, engine, block: f.host.block, logger: silentLogger, copyChunkBytes: CHUNK });
    const job = await first.startMoveToHost({ pool: f.poolName, volume: 'src', targetPool: other.name, targetName: 'src' });
    await gate.reached;
    // Both pools hold the uuid now; the destination is committed (visible, unmarked).
    expect(await other.show('src')).toMatchObject({ uuid, job: null });
    expect((await f.pool.show('src')).uuid).toBe(uuid);
    expect(first.get(job.id).phase).toBe('delete-source');
    // The crash: the records as they are now, read by the next start.
    const frozen = await mkdtemp(join(tmpdir(), 'thinfleet-jobs-frozen-'));
    cleanups.push(() => rm(frozen, { recursive: true, force: true }));
    cpSync(join(f.stateDir, 'jobs'), join(frozen, 'jobs'), { recursive: true });
    const next = f.manager({ stateDir: frozen, copyChunkBytes: CHUNK });
    await next.start();
    expect(await settled(next, job.id)).toMatchObject({ state: 'succeeded' });
    expect(await f.pool.list()).toEqual([]);
    expect(await other.show('src')).toMatchObject({ uuid, job: null });
    expectSameBytes(await content(f, other, 'src', SOURCE_BYTES), bytes);
    // The first run's delete, let go, finds the source gone: nothing more is deleted.
    gate.open();
    await settled(first, job.id);
    await first.stop();
    expect(await other.show('src')).toMatchObject({ uuid });
  });
});

describe('a source another host holds (the copy kind through its remote reader)', () => {
  it('copies and moves through `remote` when the source pool is not held here: describe, read per window, delete the moved source', async () => {
    const f = await fixture();
    const bytes = await sparseVolume(f, f.pool, 'src');
    const uuid = (await f.pool.show('src')).uuid;
    const other = await secondPool(f);
    const calls: string[] = [];
    // This agent holds only `other`; the source's pool is "on another host", reached through `remote`.
    const here = { pool: (name: string) => (name === f.poolName ? f.engine.pool('no-such-pool') : f.engine.pool(name)) };
    const remote = {
      async describe(pool: string, name: string) {
        calls.push(`describe ${pool}/${name}`);
        const v = (await f.engine.pool(pool).list()).find((x) => x.name === name);
        if (v === undefined) throw Object.assign(new Error(`no volume ${name}`), { code: status.NOT_FOUND });
        return { uuid: v.uuid, name: v.name, sizeBytes: v.sizeBytes, active: v.active, externalOrigin: v.externalOrigin ?? '' };
      },
      source: (spec: Parameters<typeof localCopySource>[0]) => {
        const inner = localCopySource(spec, f.engine);
        return { readWindow: (from: number, length: number) => (calls.push(`read ${from}`), inner.readWindow(from, length)) };
      },
      async deleteVolume(pool: string, name: string) {
        calls.push(`delete ${pool}/${name}`);
        await f.engine.pool(pool).deleteVolume(name);
      },
    };
    const m = new JobManager({ stateDir: f.stateDir, engine: here, block: f.host.block, logger: silentLogger, copyChunkBytes: CHUNK, remote });
    cleanups.unshift(() => m.stop());
    const copied = await m.startCopy({ pool: f.poolName, volume: 'src', targetPool: other.name, targetName: 'copy' });
    expect(await settled(m, copied.id)).toMatchObject({ state: 'succeeded' });
    expect(calls.filter((c) => c.startsWith('read')).length).toBe(SOURCE_BYTES / CHUNK);
    expectSameBytes(await content(f, other, 'copy', SOURCE_BYTES), bytes);

    calls.length = 0;
    const moved = await m.startMoveToHost({ pool: f.poolName, volume: 'src', targetPool: other.name, targetName: 'src' });
    expect(await settled(m, moved.id)).toMatchObject({ state: 'succeeded', volumeUuid: uuid });
    expect(calls.at(-1)).toBe(`delete ${f.poolName}/src`);
    expect(await f.pool.list()).toEqual([]);
    expect(await other.show('src')).toMatchObject({ uuid, job: null });
    expectSameBytes(await content(f, other, 'src', SOURCE_BYTES), bytes);
  });
});

describe('CopyVolume over gRPC', () => {
  it('refuses hostile requests naming the field, copies, and hides a volume a copy is still making', async () => {
    const t = await startTestAgent();
    const c = rawClients(t.socketPath);
    onTestFinished(() => (c.close(), t.dispose()));
    for (const name of ['p', 'q']) await c.call(c.pool, 'CreatePool', { name, devices: [t.sparseFile(`${name}0`, 64 * MiB)] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'src', sizeBytes: MiB, activate: true });
    await c.call(c.volume, 'WriteVolume', { pool: 'p', name: 'src', offsetBytes: 128 * KiB, data: pattern(5, 64 * KiB) });
    await c.call(c.volume, 'CreateVolume', { pool: 'q', name: 'taken', sizeBytes: MiB });
    const refusal = (request: object): ReturnType<typeof failure> => failure(c.call(c.volume, 'CopyVolume', request));
    const base = { pool: 'p', name: 'src', targetPool: 'q', targetName: 'dst' };
    expect(await refusal({ ...base, targetName: 'bad/name' })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'target_name' });
    expect(await refusal({ ...base, targetName: '' })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'target_name' });
    const long = await refusal({ ...base, targetPool: 'x'.repeat(5000) });
    expect(long).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'target_pool' });
    expect(long.details.length).toBeLessThan(400);
    expect(await refusal({ ...base, targetPool: 'p', targetName: 'src' })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'target_name' });
    expect(await refusal({ ...base, targetName: 'taken' })).toMatchObject({ code: status.ALREADY_EXISTS, field: 'target_name' });
    expect(await refusal({ ...base, name: 'nope' })).toMatchObject({ code: status.NOT_FOUND, field: 'name' });
    expect(await refusal({ ...base, targetPool: 'nopool' })).toMatchObject({ code: status.NOT_FOUND, field: 'target_pool' });
    expect(await refusal({ ...base, keepOrigin: true })).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'keep_origin' });
    expect((await c.call<{ volumes: Array<{ name: string }> }>(c.volume, 'ListVolumes', { pool: 'q' })).volumes.map((v) => v.name)).toEqual(['taken']);

    const started = await c.call<{ job: { id: string; kind: string } }>(c.volume, 'CopyVolume', base);
    expect(started.job.kind).toBe('copy');
    for (;;) {
      const { job } = await c.call<{ job: { state: string } }>(c.job, 'GetJob', { id: started.job.id });
      if (job.state === 'JOB_STATE_SUCCEEDED') break;
      expect(job.state).toBe('JOB_STATE_RUNNING');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await c.call(c.volume, 'ActivateVolume', { pool: 'q', name: 'dst' });
    const read = await c.call<{ data: Buffer }>(c.volume, 'ReadVolume', { pool: 'q', name: 'dst', offsetBytes: 128 * KiB, lengthBytes: 64 * KiB });
    expectSameBytes(Buffer.from(read.data), pattern(5, 64 * KiB));

    // A volume carrying a copy mark (a copy not yet committed) is left out of listings and not found.
    const q = t.agent.engine.pool('q');
    await q.batch([
      { item: 'c', op: 'create', volume: 'half', sizeBytes: MiB },
      { item: 'm', op: 'mark-job', volume: 'half', mark: { kind: 'copy', jobId: 'nosuchjob', doneBytes: 0, chunkBytes: CHUNK, createdMs: 1, phase: 'copy' } },
    ]);
    expect((await c.call<{ volumes: Array<{ name: string }> }>(c.volume, 'ListVolumes', { pool: 'q' })).volumes.map((v) => v.name)).toEqual(['dst', 'taken']);
    expect((await c.call<{ volumes: Array<{ name: string }> }>(c.volume, 'ListVolumes', { pool: '', usage: true })).volumes.map((v) => v.name)).not.toContain('half');
    await expect(c.call(c.volume, 'GetVolume', { pool: 'q', name: 'half' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(c.call(c.volume, 'GetVolume', { pool: 'q', name: 'half', usage: true })).rejects.toMatchObject({ code: status.NOT_FOUND });
  });
});

/** Copies `src` to `dst` in the fixture's pool crashing at step n; restarts over the state at death; checks the end state. */
async function crashOnce(n: number, mode: CrashMode, cancel: boolean): Promise<{ crashed: boolean; log: string[] }> {
  const { f, frozenDir, managers } = await crashFixture(cleanups);
  const bytes = await sparseVolume(f, f.pool, 'src');
  const { plan, engine, frozenJobs } = freezingEngine(f, frozenDir, n, mode);
  await f.pool.deactivate();
  await engine.activatePool(f.poolName, f.paths);
  const start = (m: JobManager): Promise<JobRecord> => m.startCopy({ pool: f.poolName, volume: 'src', targetPool: f.poolName, targetName: 'dst' });
  const run = await runUntilCrash(f, { plan, engine, frozenDir, frozenJobs, n, mode }, managers, { copyChunkBytes: CHUNK }, start);
  if (!run.crashed) {
    expect(run.first, run.label).toMatchObject({ state: 'succeeded' });
    return { crashed: false, log: plan.log };
  }
  const { job, frozen, label, paths, engine: engine2, manager: m2 } = run;
  const { pool: pool2, end } = await resumeAfterCrash(m2, engine2, { name: f.poolName, paths }, job.id, cancel, label);
  expect(await copyHelpers(f), label).toEqual([]);
  const names = (await pool2.list()).map((v) => v.name);
  if (cancel && frozen.phase !== 'commit') {
    expect(names, label).toEqual(['src']);
  } else {
    if (!cancel) expect(end, label).toMatchObject({ state: 'succeeded', doneBytes: SOURCE_BYTES });
    if (names.includes('dst')) {
      expect(await pool2.show('dst'), label).toMatchObject({ job: null, active: false });
      expect(await mapped(pool2, 'dst'), label).toBe(4 * BLOCK_BYTES);
      expectSameBytes(await content(f, pool2, 'dst', SOURCE_BYTES), bytes);
    } else expect(cancel, label).toBe(true);
  }
  return { crashed: true, log: plan.log };
}

describe('copy job crash at every step', () => {
  it('resumes to the same copy (or, cancelled, to none) after a crash before, after or inside any step', async () => {
    const labels: string[] = [];
    for (let n = 1; ; n++) {
      const outcome = await crashOnce(n, 'before', n % 4 === 0);
      if (!outcome.crashed) break;
      labels.push(outcome.log[n - 1]!);
      await crashOnce(n, 'after', n % 4 === 2);
      for (const c of cleanups.splice(0)) await c();
    }
    // The plan covered the create transaction, the helper device, the data writes and the commit.
    expect(labels.some((l) => l.startsWith('dm.message') && l.includes('create_thin'))).toBe(true);
    expect(labels.some((l) => l.includes('-_copy-'))).toBe(true);
    expect(labels.filter((l) => l.startsWith('block.write')).length).toBeGreaterThan(3);
  }, 600_000);
});

/** Moves `src` of the fixture's pool to a second pool crashing at step n; restarts over the state at death; checks that the volume is in exactly one place, whole (or, cancelled, at least in one). */
async function crashMoveOnce(n: number, mode: CrashMode, cancel: boolean): Promise<{ crashed: boolean; log: string[] }> {
  const { f, frozenDir, managers } = await crashFixture(cleanups);
  const bytes = await sparseVolume(f, f.pool, 'src');
  const uuid = (await f.pool.show('src')).uuid;
  const second = await secondPool(f);
  const { plan, engine, frozenJobs } = freezingEngine(f, frozenDir, n, mode);
  await f.pool.deactivate();
  await second.deactivate();
  await engine.activatePool(f.poolName, f.paths);
  await engine.activatePool(second.name, second.devicePaths);
  const start = (m: JobManager): Promise<JobRecord> => m.startMoveToHost({ pool: f.poolName, volume: 'src', targetPool: second.name, targetName: 'src' });
  const run = await runUntilCrash(f, { plan, engine, frozenDir, frozenJobs, n, mode }, managers, { copyChunkBytes: CHUNK }, start);
  if (!run.crashed) {
    expect(run.first, run.label).toMatchObject({ state: 'succeeded' });
    return { crashed: false, log: plan.log };
  }
  const { job, label, paths, engine: engine2, manager: m2 } = run;
  const source = await engine2.activatePool(f.poolName, [paths[0]!]);
  const { pool: target, end } = await resumeAfterCrash(m2, engine2, { name: second.name, paths: [paths[1]!] }, job.id, cancel, label);
  expect(await source.reconcile(), label).toMatchObject({ consistent: true });
  expect(await copyHelpers(f), label).toEqual([]);
  const left = (await source.list()).filter((v) => v.uuid === uuid);
  const moved = (await target.list()).filter((v) => v.uuid === uuid && v.job === null);
  if (!cancel) {
    expect(end, label).toMatchObject({ state: 'succeeded' });
    expect(left, label).toEqual([]);
  }
  // Nothing lost: the volume is whole in at least one place, and a marked (partial) copy never remains.
  expect(left.length + moved.length, label).toBeGreaterThan(0);
  expect(
    (await target.list()).filter((v) => v.job !== null),
    label,
  ).toEqual([]);
  if (moved.length > 0) expectSameBytes(await content(f, target, 'src', SOURCE_BYTES), bytes);
  if (left.length > 0) expectSameBytes(await content(f, source, 'src', SOURCE_BYTES), bytes);
  return { crashed: true, log: plan.log };
}

describe('move crash at every step', () => {
  it('resumes to the moved volume (or, cancelled, to a whole volume in one place at least) after a crash before or after any step', async () => {
    const labels: string[] = [];
    for (let n = 1; ; n++) {
      const outcome = await crashMoveOnce(n, 'before', n % 5 === 0);
      if (!outcome.crashed) break;
      labels.push(outcome.log[n - 1]!);
      await crashMoveOnce(n, 'after', n % 5 === 3);
      for (const c of cleanups.splice(0)) await c();
    }
    // The plan covered both pools' transactions (the create with the uuid, the commit, the source's delete).
    expect(labels.filter((l) => l.startsWith('dm.message') && l.includes('delete')).length).toBeGreaterThan(0);
    expect(labels.filter((l) => l.startsWith('block.write')).length).toBeGreaterThan(3);
  }, 600_000);
});
