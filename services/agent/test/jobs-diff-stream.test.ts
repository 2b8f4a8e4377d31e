/**
 * Incremental backup on the simulated kernel (issue 15, item 5): export --since writes the
 * ranges where a snapshot differs from an older one of its lineage as a stream of
 * docs/diff-stream.md, import --onto applies it to a new snapshot of the older one, and a
 * full stream plus two incremental ones restore the last snapshot byte for byte; a corrupt or
 * truncated stream fails its import with nothing left; volumes of another lineage are refused
 * naming the field; a crash at every step of an incremental export and import resumes to the
 * same result.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pool } from '@thinfleet/engine';
import { rng } from '../../../test/support/seeded.mjs';
import { JobManager, type JobRecord } from '../src/jobs/index.js';
import { HEADER_BYTES, RECORD_DATA, RECORD_ZERO, verifyDiffStream, DiffStreamReader, readHeader, RECORD_END } from '../src/jobs/diff-stream.js';
import { crashFixture, firstRun, freezingEngine } from './support/freezing-plan.js';
import { failure, rawClients } from './support/raw-clients.js';
import { startTestAgent } from './support/test-agent.js';
import { KiB, pattern, settled, silentLogger, type JobFixture } from './support/job-harness.js';

const BLOCK = 64 * KiB;
const CHUNK = 128 * KiB;
const BLOCKS = 24;
const SIZE = BLOCKS * BLOCK;

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A job fixture and a directory of its own for the streams (the crash tests' fixture, whose directory is otherwise for frozen jobs). */
async function fixture(): Promise<JobFixture & { dir: string }> {
  const { f, frozenDir } = await crashFixture(cleanups);
  return { ...f, dir: frozenDir };
}

/** A volume's whole content (activated for the read, left as it was). */
async function content(f: JobFixture, pool: Pool, name: string): Promise<Buffer> {
  const before = await pool.show(name);
  const data = await f.host.block.read((await pool.activateVolume(name)).devicePath!, 0, before.sizeBytes);
  if (!before.active) await pool.deactivateVolume(name);
  return data;
}

/** Seeded writes (whole and partial blocks, some all zeros) and whole-block discards into active volume `name`. */
async function churn(f: JobFixture, pool: Pool, name: string, seed: number, steps: number): Promise<void> {
  const random = rng(seed);
  const device = (await pool.show(name)).devicePath!;
  for (let s = 0; s < steps; s++) {
    const block = Math.floor(random() * BLOCKS);
    const roll = random();
    if (roll < 0.2) await f.host.block.discard(device, block * BLOCK, BLOCK);
    else if (roll < 0.3) await f.host.block.write(device, block * BLOCK, Buffer.alloc(BLOCK));
    else await f.host.block.write(device, block * BLOCK + (roll < 0.6 ? 0 : 4 * KiB), pattern(seed * 1000 + s, roll < 0.6 ? BLOCK : 8 * KiB));
  }
}

/** Volume `vm` of pool `pool` with snapshots s1, s2, s3 taken between seeded churns; returns their contents. */
async function lineage(f: JobFixture, pool: Pool): Promise<Record<'s1' | 's2' | 's3', Buffer>> {
  await pool.createVolume('vm', SIZE, { activate: true });
  await churn(f, pool, 'vm', 1, 30);
  await pool.snapshot('vm', 's1');
  await churn(f, pool, 'vm', 2, 12);
  await pool.snapshot('vm', 's2');
  await churn(f, pool, 'vm', 3, 12);
  await pool.snapshot('vm', 's3');
  await churn(f, pool, 'vm', 4, 6);
  await pool.deactivateVolume('vm');
  return { s1: await content(f, pool, 's1'), s2: await content(f, pool, 's2'), s3: await content(f, pool, 's3') };
}

async function run(m: JobManager, start: Promise<JobRecord>): Promise<JobRecord> {
  return settled(m, (await start).id);
}

/** The records of the stream at `path`, in order. */
async function records(path: string): Promise<Array<{ type: number; offsetBytes: number; lengthBytes: number }>> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const reader = new DiffStreamReader(path, file, size, await readHeader(path, file), HEADER_BYTES);
    const out: Array<{ type: number; offsetBytes: number; lengthBytes: number }> = [];
    for (;;) {
      const r = await reader.next();
      if (r.type === RECORD_END) return out;
      out.push({ type: r.type, offsetBytes: r.offsetBytes, lengthBytes: r.lengthBytes });
    }
  } finally {
    await file.close();
  }
}

describe('export --since and import --onto', () => {
  it('a full stream and two incremental ones restore the last snapshot exactly, the older volumes untouched', async () => {
    const f = await fixture();
    const snaps = await lineage(f, f.pool);
    const m = f.manager({ imageChunkBytes: CHUNK, diffWindowBytes: 4 * BLOCK });
    const full = join(f.dir, 's1.tfdiff');
    const inc2 = join(f.dir, 's2.tfdiff');
    const inc3 = join(f.dir, 's3.tfdiff');
    expect(await run(m, m.startExport({ pool: f.poolName, volume: 's1', path: full, format: 'stream' }))).toMatchObject({ state: 'succeeded', doneBytes: SIZE });
    expect(await run(m, m.startExport({ pool: f.poolName, volume: 's2', path: inc2, format: 'stream', since: 's1' }))).toMatchObject({ state: 'succeeded' });
    expect(await run(m, m.startExport({ pool: f.poolName, volume: 's3', path: inc3, format: 'stream', since: 's2' }))).toMatchObject({ state: 'succeeded' });
    expect(readdirSync(f.dir).sort()).toEqual(['s1.tfdiff', 's2.tfdiff', 's3.tfdiff']);

    // The incremental stream holds exactly the diff's ranges: data or zero records, left_only as zeros.
    const diff = await f.pool.diffVolumes('s1', 's2');
    expect(diff.ranges.length).toBeGreaterThan(0);
    const recs = await records(inc2);
    const covered = recs.reduce((n, r) => n + r.lengthBytes, 0);
    expect(covered).toBe(diff.ranges.reduce((n, r) => n + r.lengthBytes, 0));
    for (const r of diff.ranges.filter((x) => x.kind === 'left_only')) {
      expect(recs.filter((x) => x.offsetBytes >= r.offsetBytes && x.offsetBytes < r.offsetBytes + r.lengthBytes).every((x) => x.type === RECORD_ZERO)).toBe(true);
    }
    expect(recs.some((x) => x.type === RECORD_DATA)).toBe(true);
    expect(readFileSync(inc2).length).toBeLessThan(readFileSync(full).length);

    expect(await run(m, m.startImport({ pool: f.poolName, volume: 'r1', path: full, format: 'stream' }))).toMatchObject({ state: 'succeeded' });
    expect(await run(m, m.startImport({ pool: f.poolName, volume: 'r2', path: inc2, format: 'stream', onto: 'r1' }))).toMatchObject({ state: 'succeeded' });
    expect(await run(m, m.startImport({ pool: f.poolName, volume: 'r3', path: inc3, format: 'stream', onto: 'r2' }))).toMatchObject({ state: 'succeeded' });
    const uuids = Object.fromEntries((await f.pool.list()).map((v) => [v.name, v]));
    expect(uuids.r1).toMatchObject({ contentOf: uuids.s1!.uuid, job: null, active: false, sizeBytes: SIZE });
    expect(uuids.r2).toMatchObject({ contentOf: uuids.s2!.uuid, origin: 'r1' });
    expect(uuids.r3).toMatchObject({ contentOf: uuids.s3!.uuid, origin: 'r2' });
    expect(sha(await content(f, f.pool, 'r1'))).toBe(sha(snaps.s1));
    expect(sha(await content(f, f.pool, 'r2'))).toBe(sha(snaps.s2));
    expect(sha(await content(f, f.pool, 'r3'))).toBe(sha(snaps.s3));
    // Applied onto the original older snapshot too (its own uuid), which stays as it was.
    expect(await run(m, m.startImport({ pool: f.poolName, volume: 'x2', path: inc2, format: 'stream', onto: 's1' }))).toMatchObject({ state: 'succeeded' });
    expect(sha(await content(f, f.pool, 'x2'))).toBe(sha(snaps.s2));
    expect(sha(await content(f, f.pool, 's1'))).toBe(sha(snaps.s1));
  });

  it('grows the new volume when the newer snapshot was grown', async () => {
    const f = await fixture();
    await f.pool.createVolume('vm', SIZE, { activate: true });
    await churn(f, f.pool, 'vm', 9, 10);
    await f.pool.snapshot('vm', 'old');
    await f.pool.grow('vm', SIZE + 4 * BLOCK);
    await f.pool.activateVolume('vm');
    await f.host.block.write((await f.pool.show('vm')).devicePath!, SIZE + BLOCK, pattern(77, BLOCK));
    await f.pool.snapshot('vm', 'new');
    const m = f.manager({ imageChunkBytes: CHUNK });
    const path = join(f.dir, 'grown.tfdiff');
    expect(await run(m, m.startExport({ pool: f.poolName, volume: 'new', path, format: 'stream', since: 'old' }))).toMatchObject({ state: 'succeeded' });
    expect(await run(m, m.startImport({ pool: f.poolName, volume: 'back', path, format: 'stream', onto: 'old' }))).toMatchObject({ state: 'succeeded' });
    expect((await f.pool.show('back')).sizeBytes).toBe(SIZE + 4 * BLOCK);
    expect(sha(await content(f, f.pool, 'back'))).toBe(sha(await content(f, f.pool, 'new')));
  });
});

describe('refusals', () => {
  it('refuses --since of another lineage or a larger volume naming since, and a stream onto the wrong volume naming onto, making nothing', async () => {
    const f = await fixture();
    await lineage(f, f.pool);
    await f.pool.createVolume('stranger', SIZE);
    const m = f.manager({ imageChunkBytes: CHUNK });
    const out = join(f.dir, 'x.tfdiff');
    await expect(m.startExport({ pool: f.poolName, volume: 's2', path: out, format: 'stream', since: 'stranger' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      field: 'since',
      message: expect.stringMatching(/different lineages/) as unknown,
    });
    await expect(m.startExport({ pool: f.poolName, volume: 's2', path: out, format: 'stream', since: 'nope' })).rejects.toMatchObject({ code: 'NO_SUCH_VOLUME' });
    await expect(m.startExport({ pool: f.poolName, volume: 's2', path: out, format: 'raw', since: 's1' })).rejects.toMatchObject({ code: 'BAD_REQUEST', field: 'format' });
    await f.pool.grow('s1', SIZE * 2);
    await expect(m.startExport({ pool: f.poolName, volume: 's2', path: out, format: 'stream', since: 's1' })).rejects.toMatchObject({ code: 'BAD_REQUEST', field: 'since' });
    expect(existsSync(out)).toBe(false);

    const inc = join(f.dir, 's3.tfdiff');
    expect(await run(m, m.startExport({ pool: f.poolName, volume: 's3', path: inc, format: 'stream', since: 's2' }))).toMatchObject({ state: 'succeeded' });
    const before = (await f.pool.list()).map((v) => v.name);
    await expect(m.startImport({ pool: f.poolName, volume: 'r', path: inc, format: 'stream', onto: 'vm' })).rejects.toMatchObject({ code: 'BAD_REQUEST', field: 'onto' });
    await expect(m.startImport({ pool: f.poolName, volume: 'r', path: inc, format: 'stream' })).rejects.toMatchObject({ code: 'BAD_REQUEST', field: 'onto' });
    await expect(m.startImport({ pool: f.poolName, volume: 'r', path: inc, format: 'raw', onto: 's2' })).rejects.toMatchObject({ code: 'BAD_REQUEST', field: 'format' });
    const notStream = join(f.dir, 'plain.raw');
    writeFileSync(notStream, Buffer.alloc(4096, 1));
    await expect(m.startImport({ pool: f.poolName, volume: 'r', path: notStream, format: 'stream', onto: 's2' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      field: 'path',
      message: expect.stringMatching(/not an incremental stream/) as unknown,
    });
    expect((await f.pool.list()).map((v) => v.name)).toEqual(before);

    // A volume an unfinished import still fills is neither a base nor a target.
    await f.pool.markJob('s2', { kind: 'import', jobId: 'j0partial00', doneBytes: 0, chunkBytes: BLOCK, createdMs: 0, phase: 'copy' });
    await expect(m.startImport({ pool: f.poolName, volume: 'r', path: inc, format: 'stream', onto: 's2' })).rejects.toMatchObject({ code: 'JOB_RUNNING', field: 'onto' });
    await expect(m.startExport({ pool: f.poolName, volume: 's3', path: out, format: 'stream', since: 's2' })).rejects.toMatchObject({ code: 'JOB_RUNNING', field: 'since' });
    expect((await f.pool.list()).map((v) => v.name)).toEqual(before);
    expect(existsSync(out)).toBe(false);
  });

  it('fails the import of a corrupt, truncated or extended stream with BAD_STREAM, leaving no volume', async () => {
    const f = await fixture();
    await lineage(f, f.pool);
    const m = f.manager({ imageChunkBytes: CHUNK });
    const good = join(f.dir, 'good.tfdiff');
    expect(await run(m, m.startExport({ pool: f.poolName, volume: 's2', path: good, format: 'stream', since: 's1' }))).toMatchObject({ state: 'succeeded' });
    const bytes = readFileSync(good);
    const file = await open(good, 'r');
    expect(await verifyDiffStream(good, file, bytes.length)).toMatchObject({ fileBytes: bytes.length });
    await file.close();
    const before = (await f.pool.list()).map((v) => v.name);
    const variants: Array<[string, Buffer, RegExp]> = [
      ['flipped', Buffer.from(bytes).fill(bytes[HEADER_BYTES + 40]! ^ 0xff, HEADER_BYTES + 40, HEADER_BYTES + 41), /corrupt record/],
      ['truncated', bytes.subarray(0, bytes.length - 10), /truncated/],
      ['cut at a record', bytes.subarray(0, bytes.length - 56), /truncated/],
      ['extended', Buffer.concat([bytes, Buffer.alloc(7)]), /after its end record/],
    ];
    for (const [label, data, why] of variants) {
      const path = join(f.dir, `${label.replace(/ /g, '-')}.tfdiff`);
      writeFileSync(path, data);
      const end = await run(m, m.startImport({ pool: f.poolName, volume: 'r', path, format: 'stream', onto: 's1' }));
      expect(end, label).toMatchObject({ state: 'failed', errorCode: 'BAD_STREAM' });
      expect(end.error, label).toMatch(why);
      expect(
        (await f.pool.list()).map((v) => v.name),
        label,
      ).toEqual(before);
    }
  });
});

describe('crash at every step', () => {
  /** Export (or import) crashed at step `n` in `mode`, then resumed after a reboot; checks the result. */
  async function crashOnce(kind: 'export' | 'import', n: number, mode: 'before' | 'after'): Promise<boolean> {
    const { f, frozenDir, managers } = await crashFixture(cleanups);
    const dir = await mkdtemp(join(tmpdir(), 'tf-diff-crash-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const snaps = await lineage(f, f.pool);
    const path = join(dir, 's2.tfdiff');
    if (kind === 'import') {
      const m0 = f.manager({ imageChunkBytes: BLOCK });
      expect(await run(m0, m0.startExport({ pool: f.poolName, volume: 's2', path, format: 'stream', since: 's1' }))).toMatchObject({ state: 'succeeded' });
      await m0.stop();
    }
    await f.pool.deactivate();
    const { plan, engine, frozenJobs } = freezingEngine(f, frozenDir, n, mode);
    await engine.activatePool(f.poolName, f.paths);
    const options = { stateDir: f.stateDir, engine, block: f.host.block, logger: silentLogger, imageChunkBytes: BLOCK, diffWindowBytes: 4 * BLOCK };
    const m = new JobManager(options);
    managers.push(m);
    const start =
      kind === 'export'
        ? (mm: JobManager) => mm.startExport({ pool: f.poolName, volume: 's2', path, format: 'stream', since: 's1' })
        : (mm: JobManager) => mm.startImport({ pool: f.poolName, volume: 'r', path, format: 'stream', onto: 's1' });
    const { job, first, label } = await firstRun(plan, m, start, n, mode);
    if (!plan.dead) {
      expect(first, label).toMatchObject({ state: 'succeeded' });
      return false;
    }
    const paths = await f.host.reboot();
    const engine2 = f.host.engine();
    // The rebooted host has a new block client (the old one saw the kernel before the reboot).
    const after = { ...options, engine: engine2, block: f.host.block };
    const m2 = new JobManager({ ...after, stateDir: join(frozenJobs, '..') });
    managers.push(m2);
    await m2.start();
    const pool2 = await engine2.activatePool(f.poolName, paths);
    const ending = settled(m2, job.id);
    await m2.poolActivated(f.poolName);
    const ended = await ending;
    expect(ended, `${label}: ${ended.error}`).toMatchObject({ state: 'succeeded' });
    expect(await pool2.reconcile(), label).toMatchObject({ consistent: true });
    if (kind === 'export') {
      expect(readdirSync(dir), label).toEqual(['s2.tfdiff']);
      const m3 = new JobManager({ ...after, stateDir: join(dir, 'state3') });
      managers.push(m3);
      await m3.start();
      expect(await run(m3, m3.startImport({ pool: f.poolName, volume: 'r', path, format: 'stream', onto: 's1' })), label).toMatchObject({ state: 'succeeded' });
    }
    const r = await pool2.show('r');
    expect(r, label).toMatchObject({ job: null, active: false });
    expect(sha(await content(f, pool2, 'r')), label).toBe(sha(snaps.s2));
    expect(sha(await content(f, pool2, 's1')), label).toBe(sha(snaps.s1));
    return true;
  }

  for (const kind of ['export', 'import'] as const) {
    it(`an incremental ${kind} resumes to the same result after a crash before or after any step`, async () => {
      let crashes = 0;
      for (let n = 1; n < 200; n++) {
        if (!(await crashOnce(kind, n, 'before'))) break;
        await crashOnce(kind, n, 'after');
        crashes += 2;
        for (const c of cleanups.splice(0).reverse()) await c();
      }
      expect(crashes).toBeGreaterThan(kind === 'export' ? 6 : 10);
    }, 300_000);
  }
});

describe('DiffVolumes over gRPC', () => {
  it('answers in pages up to max_ranges, and refuses bad fields naming them', async () => {
    const t = await startTestAgent();
    const c = rawClients(t.socketPath);
    cleanups.push(async () => {
      c.close();
      await t.dispose();
    });
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [t.sparseFile('d0', 64 * 1024 * KiB)] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'vm', sizeBytes: SIZE });
    await c.call(c.volume, 'SnapshotVolume', { pool: 'p', source: 'vm', name: 'old' });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'stranger', sizeBytes: SIZE });
    await c.call(c.volume, 'ActivateVolume', { pool: 'p', name: 'vm' });
    // Blocks 1, 3, 5, 7 and 9 written: five separate ranges, all right_only.
    for (const b of [1, 3, 5, 7, 9]) await c.call(c.volume, 'WriteVolume', { pool: 'p', name: 'vm', offsetBytes: b * BLOCK, data: pattern(b, BLOCK) });
    type Page = { ranges: Array<{ offsetBytes: number; lengthBytes: number; kind: string }>; blockBytes: number; sizeBytes: number; nextFromBytes: number };
    const all = await c.call<Page>(c.volume, 'DiffVolumes', { pool: 'p', name: 'old', other: 'vm' });
    expect(all).toMatchObject({ blockBytes: BLOCK, sizeBytes: SIZE, nextFromBytes: 0 });
    expect(all.ranges).toEqual([1, 3, 5, 7, 9].map((b) => ({ offsetBytes: b * BLOCK, lengthBytes: BLOCK, kind: 'DIFF_KIND_RIGHT_ONLY' })));
    const paged: Page['ranges'] = [];
    let fromBytes = 0;
    let pages = 0;
    do {
      const page = await c.call<Page>(c.volume, 'DiffVolumes', { pool: 'p', name: 'old', other: 'vm', fromBytes, maxRanges: 2 });
      expect(page.ranges.length).toBeLessThanOrEqual(2);
      paged.push(...page.ranges);
      fromBytes = page.nextFromBytes;
      pages += 1;
    } while (fromBytes !== 0);
    expect(pages).toBe(3);
    expect(paged).toEqual(all.ranges);
    // The other way round: left_only.
    expect((await c.call<Page>(c.volume, 'DiffVolumes', { pool: 'p', name: 'vm', other: 'old' })).ranges.map((r) => r.kind)).toEqual(Array(5).fill('DIFF_KIND_LEFT_ONLY'));

    /** The status code and tf-field of a refused call of VolumeService `method`. */
    const refusal = async (method: string, request: object): Promise<{ code: number; field: string | null }> => {
      const { code, field } = await failure(c.call(c.volume, method, request));
      return { code, field };
    };
    expect(await refusal('DiffVolumes', { pool: 'p', name: 'old', other: 'stranger' })).toEqual({ code: status.INVALID_ARGUMENT, field: 'other' });
    expect(await refusal('DiffVolumes', { pool: 'p', name: 'old', other: 'bad/name' })).toEqual({ code: status.INVALID_ARGUMENT, field: 'other' });
    expect(await refusal('DiffVolumes', { pool: 'p', name: 'old', other: 'nope' })).toMatchObject({ code: status.NOT_FOUND, field: 'other' });
    expect(await refusal('DiffVolumes', { pool: 'p', name: 'old', other: 'vm', maxRanges: 10_001 })).toEqual({ code: status.INVALID_ARGUMENT, field: 'max_ranges' });
    const out = join(t.stateDir, 'x.tfdiff');
    expect(await refusal('ExportVolume', { pool: 'p', name: 'vm', path: out, since: 'stranger' })).toEqual({ code: status.INVALID_ARGUMENT, field: 'since' });
    expect(await refusal('ExportVolume', { pool: 'p', name: 'vm', path: out, since: 'old', format: 'IMAGE_FORMAT_QCOW2' })).toEqual({ code: status.INVALID_ARGUMENT, field: 'format' });
    writeFileSync(out, Buffer.alloc(4096, 7));
    expect(await refusal('ImportVolume', { pool: 'p', name: 'r', path: out, onto: 'old' })).toEqual({ code: status.INVALID_ARGUMENT, field: 'path' });
    expect(await refusal('ImportVolume', { pool: 'p', name: 'r', path: out, onto: 'nope' })).toMatchObject({ code: status.NOT_FOUND, field: 'onto' });
    expect((await c.call<{ volumes: Array<{ name: string }> }>(c.volume, 'ListVolumes', { pool: 'p' })).volumes.map((v) => v.name).sort()).toEqual(['old', 'stranger', 'vm']);
  });
});
