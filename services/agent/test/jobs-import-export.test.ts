/**
 * Import and export jobs on the simulated kernel (issue 15, item 4): a raw image goes in
 * sparsely (holes and zero blocks are not written) and comes back out as a sparse file with the
 * same bytes; a crash at every step of a raw import resumes to the same volume (or, cancelled,
 * to none); a cancelled or failed import leaves no volume, a failed export no file; hostile
 * requests are refused naming their field with nothing made; and the qemu-img formats run
 * through an injected command runner that stands in for qemu-img (the simulator's devices exist
 * only in this process).
 */
import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlockClient } from '@thinfleet/devmapper';
import type { Pool } from '@thinfleet/engine';
import { JobManager, QemuImg, type CommandRunner, type JobRecord } from '../src/jobs/index.js';
import { crashingBlock, crashingDm, type CrashMode } from '../../../packages/engine/test/support/crash-plan.js';
import { FreezingPlan, resumeAfterCrash } from './support/freezing-plan.js';
import { Gate, jobFixture, KiB, MiB, ScriptedBlock, settled, silentLogger, type JobFixture } from './support/job-harness.js';
import { rawClients } from './support/raw-clients.js';
import { startTestAgent } from './support/test-agent.js';

const BLOCK = 64 * KiB;
const CHUNK = 256 * KiB;
const IMAGE_BYTES = 2 * MiB + 3 * 512; // not a whole number of blocks

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fixture(): Promise<JobFixture & { dir: string }> {
  const f = await jobFixture();
  const dir = await mkdtemp(join(tmpdir(), 'tf-imex-'));
  cleanups.push(async () => {
    await f.teardown();
    await rm(dir, { recursive: true, force: true });
  });
  return { ...f, dir };
}

/**
 * A sparse raw image: data in blocks 0, 3 and 9 (block 3 only its last byte), block 5 written
 * with zeros, a hole elsewhere, and a short data tail. Returns its bytes and how many data
 * blocks hold a non-zero byte.
 */
function sparseImage(path: string): { bytes: Buffer; dataBlocks: number } {
  const bytes = Buffer.alloc(IMAGE_BYTES);
  bytes.fill(0xa1, 0, BLOCK);
  bytes[4 * BLOCK - 1] = 0x7e;
  for (let i = 9 * BLOCK; i < 10 * BLOCK; i++) bytes[i] = (i * 31) & 0xff || 1;
  bytes.fill(0x5c, IMAGE_BYTES - 700, IMAGE_BYTES);
  writeFileSync(path, Buffer.alloc(0));
  // Written piece by piece so that the unwritten ranges stay holes in the file.
  const write = (from: number, to: number): void => {
    const h = openSync(path, 'r+');
    writeSync(h, bytes, from, to - from, from);
    closeSync(h);
  };
  write(0, BLOCK);
  write(3 * BLOCK, 4 * BLOCK);
  write(5 * BLOCK, 6 * BLOCK); // zeros, written
  write(9 * BLOCK, 10 * BLOCK);
  write(IMAGE_BYTES - 700, IMAGE_BYTES);
  return { bytes, dataBlocks: 4 };
}

const mapped = async (pool: Pool, name: string): Promise<number> => (await pool.show(name)).mappedBytes ?? -1;

async function volumeBytes(f: JobFixture, pool: Pool, name: string, length: number): Promise<Buffer> {
  const was = (await pool.show(name)).active;
  const device = (await pool.activateVolume(name)).devicePath!;
  const data = await f.host.block.read(device, 0, Math.ceil(length / 512) * 512);
  if (!was) await pool.deactivateVolume(name);
  return data.subarray(0, length);
}

describe('raw import and export', () => {
  it('imports a sparse file writing only its data blocks, and exports it back as a sparse file with the same bytes', async () => {
    const f = await fixture();
    const image = join(f.dir, 'in.raw');
    const { bytes, dataBlocks } = sparseImage(image);
    const m = f.manager({ imageChunkBytes: CHUNK });
    const job = await m.startImport({ pool: f.poolName, volume: 'img', path: image, format: 'raw' });
    expect(job).toMatchObject({ kind: 'import', state: 'running', volume: 'img', totalBytes: IMAGE_BYTES, chunkBytes: CHUNK, phase: 'create' });
    const end = await settled(m, job.id);
    expect(end).toMatchObject({ state: 'succeeded', doneBytes: IMAGE_BYTES });

    const v = await f.pool.show('img');
    expect(v).toMatchObject({ active: false, job: null, sizeBytes: Math.ceil(IMAGE_BYTES / BLOCK) * BLOCK });
    expect(end.volumeUuid).toBe(v.uuid);
    // Holes and the block of written zeros were not written: only the data blocks are mapped.
    expect(await mapped(f.pool, 'img')).toBe(dataBlocks * BLOCK);
    expect(sha(await volumeBytes(f, f.pool, 'img', IMAGE_BYTES))).toBe(sha(bytes));

    const out = join(f.dir, 'out.raw');
    const ex = await m.startExport({ pool: f.poolName, volume: 'img', path: out, format: 'raw' });
    expect(await settled(m, ex.id)).toMatchObject({ kind: 'export', state: 'succeeded', doneBytes: v.sizeBytes });
    const written = readFileSync(out);
    expect(written.length).toBe(v.sizeBytes);
    expect(sha(written.subarray(0, IMAGE_BYTES))).toBe(sha(bytes));
    expect(written.subarray(IMAGE_BYTES).every((b) => b === 0)).toBe(true);
    // Sparse: only the data blocks take room.
    const st = statSync(out);
    expect(st.blocks * 512).toBeLessThan(st.size / 2);
    expect(st.mode & 0o777).toBe(0o600);
    expect(readdirSync(f.dir).sort()).toEqual(['in.raw', 'out.raw']);
    // The export left the volume as it found it: inactive.
    expect((await f.pool.show('img')).active).toBe(false);
  });

  it('refuses hostile starts with the field named, making nothing', async () => {
    const f = await fixture();
    const image = join(f.dir, 'in.raw');
    sparseImage(image);
    const m = f.manager();
    const refused = async (p: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> =>
      p.then(
        () => {
          throw new Error('accepted');
        },
        (err: { code: string; field?: string; message: string }) => err,
      );
    expect(await refused(m.startImport({ pool: f.poolName, volume: 'x', path: join(f.dir, 'missing.raw'), format: 'raw' }))).toMatchObject({ code: 'BAD_REQUEST', field: 'path' });
    expect(await refused(m.startImport({ pool: f.poolName, volume: 'x', path: f.dir, format: 'raw' }))).toMatchObject({ code: 'BAD_REQUEST', field: 'path' });
    const empty = join(f.dir, 'empty.raw');
    writeFileSync(empty, '');
    expect(await refused(m.startImport({ pool: f.poolName, volume: 'x', path: empty, format: 'raw' }))).toMatchObject({ code: 'BAD_REQUEST', field: 'path' });
    const huge = await refused(m.startImport({ pool: f.poolName, volume: 'x', path: image, format: 'raw', sizeBytes: 2 ** 52 }));
    expect(huge).toMatchObject({ code: 'BAD_REQUEST', field: 'size_bytes' });
    await f.pool.createVolume('taken', MiB);
    expect(await refused(m.startImport({ pool: f.poolName, volume: 'taken', path: image, format: 'raw' }))).toMatchObject({ code: 'NAME_EXISTS' });
    expect(await refused(m.startExport({ pool: f.poolName, volume: 'taken', path: image, format: 'raw' }))).toMatchObject({ code: 'FILE_EXISTS', field: 'path' });
    expect(await refused(m.startExport({ pool: f.poolName, volume: 'taken', path: join(f.dir, 'no-dir', 'out.raw'), format: 'raw' }))).toMatchObject({ code: 'BAD_REQUEST', field: 'path' });
    expect(await refused(m.startExport({ pool: f.poolName, volume: 'nope', path: join(f.dir, 'o.raw'), format: 'raw' }))).toMatchObject({ code: 'NO_SUCH_VOLUME' });
    expect((await f.pool.list()).map((v) => v.name)).toEqual(['taken']);
    expect(m.list()).toEqual([]);
    expect(readdirSync(f.dir).sort()).toEqual(['empty.raw', 'in.raw']);
  });
});

/** A block client whose writes (numbered from 1) can be held or failed. */
class GatedBlock extends ScriptedBlock {
  beforeWrite: ((n: number) => Promise<void> | void) | null = null;
  beforeRead: ((n: number) => Promise<void> | void) | null = null;
  private writes = 0;
  private reads = 0;
  override async write(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    await this.beforeWrite?.(++this.writes);
    return super.write(path, offsetBytes, data);
  }
  override async read(path: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    await this.beforeRead?.(++this.reads);
    return super.read(path, offsetBytes, lengthBytes);
  }
}

/** A raw import of a 1 MiB image into `img` whose second write is held. */
async function heldImport(): Promise<{ f: JobFixture & { dir: string }; image: string; m: JobManager; job: JobRecord; gate: Gate }> {
  const f = await fixture();
  const image = join(f.dir, 'in.raw');
  writeFileSync(image, Buffer.alloc(MiB, 0x42));
  const block = new GatedBlock(f.host.block);
  const gate = new Gate();
  block.beforeWrite = (n) => (n === 2 ? gate.hold() : undefined);
  const m = f.manager({ block, imageChunkBytes: CHUNK });
  const job = await m.startImport({ pool: f.poolName, volume: 'img', path: image, format: 'raw' });
  await gate.reached;
  return { f, image, m, job, gate };
}

describe('an import or export that does not finish', () => {
  it('a cancelled import leaves no volume, and its volume took no other change while it ran', async () => {
    const { f, m, job, gate } = await heldImport();
    expect(m.jobOnVolume(f.poolName, 'img')?.id).toBe(job.id);
    expect((await f.pool.show('img')).job).toMatchObject({ kind: 'import', jobId: job.id });
    const cancelling = m.cancel(job.id);
    gate.open();
    const end = await cancelling;
    expect(end.state).toBe('cancelled');
    expect(end.error).toMatch(/^cancelled: the import stopped after \d+ of the image's 1048576 bytes; the partial volume is deleted$/);
    expect(await f.pool.list()).toEqual([]);
  });

  it('a failed import deletes its volume; a failed export removes its partial file', async () => {
    const f = await fixture();
    const image = join(f.dir, 'in.raw');
    writeFileSync(image, Buffer.alloc(MiB, 0x42));
    const block = new GatedBlock(f.host.block);
    block.beforeWrite = (n) => {
      if (n === 3) throw Object.assign(new Error('injected EIO'), { code: 'EIO' });
    };
    const m = f.manager({ block, imageChunkBytes: CHUNK });
    const job = await m.startImport({ pool: f.poolName, volume: 'img', path: image, format: 'raw' });
    const end = await settled(m, job.id);
    expect(end).toMatchObject({ state: 'failed', errorCode: 'EIO' });
    expect(end.error).toMatch(/the partial volume is deleted$/);
    expect(await f.pool.list()).toEqual([]);

    block.beforeWrite = null;
    const ok = await m.startImport({ pool: f.poolName, volume: 'img', path: image, format: 'raw' });
    expect(await settled(m, ok.id)).toMatchObject({ state: 'succeeded' });
    block.beforeRead = (n) => {
      if (n === 2) throw Object.assign(new Error('injected EIO'), { code: 'EIO' });
    };
    const out = join(f.dir, 'out.raw');
    const ex = await m.startExport({ pool: f.poolName, volume: 'img', path: out, format: 'raw' });
    const exEnd = await settled(m, ex.id);
    expect(exEnd).toMatchObject({ state: 'failed', errorCode: 'EIO' });
    expect(exEnd.error).toMatch(/no file was made at its path$/);
    expect(readdirSync(f.dir)).toEqual(['in.raw']);
    expect((await f.pool.show('img')).active).toBe(false);
  });

  it('an import whose file changed while the agent was down fails and leaves no volume', async () => {
    const { f, image, m, job, gate } = await heldImport();
    const stopping = m.stop();
    gate.open();
    await stopping;
    writeFileSync(image, Buffer.alloc(MiB / 2, 0x43));
    const m2 = f.manager({ imageChunkBytes: CHUNK });
    await m2.start();
    const end = await settled(m2, job.id);
    expect(end).toMatchObject({ state: 'failed', errorCode: 'FILE_CHANGED' });
    expect(await f.pool.list()).toEqual([]);
  });
});

/** One raw import crashed at step `n`, then restarted; `cancel`: the restarted job is cancelled. */
async function crashImport(n: number, mode: CrashMode, cancel: boolean): Promise<{ crashed: boolean; log: string[] }> {
  const f = await fixture();
  const frozenDir = await mkdtemp(join(tmpdir(), 'tf-imex-frozen-'));
  cleanups.push(() => rm(frozenDir, { recursive: true, force: true }));
  const image = join(f.dir, 'in.raw');
  const { bytes, dataBlocks } = sparseImage(image);
  const liveJobs = join(f.stateDir, 'jobs');
  const plan = new FreezingPlan(n, mode, () => {
    if (existsSync(liveJobs)) cpSync(liveJobs, join(frozenDir, 'jobs'), { recursive: true });
    else mkdirSync(join(frozenDir, 'jobs'));
  });
  await f.pool.deactivate();
  const engine = f.host.engine({ dm: crashingDm(f.host.dm, plan), block: crashingBlock(f.host.block, plan) });
  await engine.activatePool(f.poolName, f.paths);
  const m = new JobManager({ stateDir: f.stateDir, engine, block: crashingBlock(f.host.block, plan), logger: silentLogger, imageChunkBytes: CHUNK });
  cleanups.push(() => m.stop());
  await m.start();
  plan.arm();
  const job = await m.startImport({ pool: f.poolName, volume: 'img', path: image, format: 'raw' });
  const first = await settled(m, job.id);
  const label = `crash ${mode} at step ${n} (${plan.log[n - 1] ?? 'none'})`;
  if (!plan.dead) {
    expect(first, label).toMatchObject({ state: 'succeeded' });
    return { crashed: false, log: plan.log };
  }
  const frozen = JSON.parse(readFileSync(join(frozenDir, 'jobs', `${job.id}.json`), 'utf8')) as JobRecord;
  expect(frozen.state, label).toBe('running');

  const paths = await f.host.reboot();
  const engine2 = f.host.engine();
  const m2 = new JobManager({ stateDir: frozenDir, engine: engine2, block: f.host.block, logger: silentLogger, imageChunkBytes: CHUNK });
  cleanups.push(() => m2.stop());
  const { pool: pool2, end } = await resumeAfterCrash(m2, engine2, { name: f.poolName, paths }, job.id, cancel, label);
  const left = await pool2.list();
  if (cancel && (left.length === 0 || frozen.doneBytes < IMAGE_BYTES)) {
    expect(left, label).toEqual([]);
  } else {
    // Not cancelled, or cancelled after the import had committed its finished volume (its mark
    // cleared): the volume is the image's, complete, and the job's message says it may remain.
    if (cancel) expect(end.error, label).toMatch(/had copied all \d+ bytes of the image; if it had committed its volume/);
    else expect(end, label).toMatchObject({ state: 'succeeded', doneBytes: IMAGE_BYTES });
    const v = await pool2.show('img');
    expect(v, label).toMatchObject({ job: null, active: false });
    expect(await mapped(pool2, 'img'), label).toBe(dataBlocks * BLOCK);
    expect(sha(await volumeBytes(f, pool2, 'img', IMAGE_BYTES)), label).toBe(sha(bytes));
  }
  return { crashed: true, log: plan.log };
}

describe('raw import crash at every step', () => {
  it('resumes to the same volume, or none once cancelled, after a crash before, after or inside any step', async () => {
    let crashes = 0;
    const labels: string[] = [];
    for (let n = 1; ; n++) {
      const outcome = await crashImport(n, 'before', n % 3 === 0);
      if (!outcome.crashed) break;
      labels.push(outcome.log[n - 1]!);
      await crashImport(n, 'after', n % 3 === 1);
      crashes += 2;
      for (const c of cleanups.splice(0).reverse()) await c();
    }
    // The plan covered the volume's transaction and every data write.
    expect(labels.filter((l) => l.startsWith('block.write')).length).toBeGreaterThan(4);
    expect(crashes).toBeGreaterThan(10);
  }, 300_000);
});

/**
 * A stand-in for qemu-img over the simulator: `info` reports the file's size as its virtual
 * size, `convert` copies raw bytes between files and the simulator's devices (through the block
 * client) and prints qemu-img's progress lines. Records every command line.
 */
function fakeQemuImg(block: BlockClient, calls: string[][], fail: { convert?: string } = {}): CommandRunner {
  return async (command, args, options) => {
    calls.push([command, ...args]);
    if (args[0] === '--version') return { exitCode: 0, stdout: 'qemu-img version 7.2.0\n', stderr: '' };
    if (args[0] === 'info') {
      const path = args.at(-1)!;
      if (!existsSync(path)) return { exitCode: 1, stdout: '', stderr: `qemu-img: Could not open '${path}'\n` };
      return { exitCode: 0, stdout: JSON.stringify({ 'virtual-size': statSync(path).size, format: args[3] }), stderr: '' };
    }
    if (fail.convert !== undefined) return { exitCode: 1, stdout: '', stderr: `${fail.convert}\n` };
    const [src, dst] = args.slice(-2) as [string, string];
    const progress = (p: number): void => options.onStdout?.(`    (${p.toFixed(2)}/100%)\r`);
    progress(0);
    if (src.startsWith('/dev/')) {
      const size = await block.sizeBytes(src);
      writeFileSync(dst, await block.read(src, 0, size));
    } else {
      const data = readFileSync(src);
      const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
      data.copy(padded);
      await block.write(dst, 0, padded);
    }
    progress(50);
    progress(100);
    return { exitCode: 0, stdout: '', stderr: '' };
  };
}

describe('qemu-img formats (an injected runner)', () => {
  it('imports and exports qcow2 through qemu-img convert with the agreed flags, progress saved', async () => {
    const f = await fixture();
    const image = join(f.dir, 'in.qcow2');
    const bytes = Buffer.alloc(MiB, 0x33);
    writeFileSync(image, bytes);
    const calls: string[][] = [];
    const m = f.manager({ qemuImg: new QemuImg(fakeQemuImg(f.host.block, calls), '/usr/bin/qemu-img') });
    const seen: number[] = [];
    const job = await m.startImport({ pool: f.poolName, volume: 'img', path: image, format: 'qcow2', sizeBytes: 2 * MiB });
    m.watch(job.id, (j) => seen.push(j.doneBytes));
    expect(await settled(m, job.id)).toMatchObject({ state: 'succeeded', totalBytes: MiB, doneBytes: MiB });
    expect(seen).toContain(MiB / 2);
    const device = calls.find((c) => c[1] === 'convert')!.at(-1)!;
    expect(calls.map((c) => c.slice(0, -1))).toEqual([
      ['/usr/bin/qemu-img', 'info', '--output=json', '-f', 'qcow2'],
      ['/usr/bin/qemu-img', 'convert', '-p', '-n', '--target-is-zero', '-t', 'none', '-f', 'qcow2', '-O', 'raw', image],
    ]);
    expect(device).toMatch(/^\/dev\//);
    expect(await f.pool.show('img')).toMatchObject({ sizeBytes: 2 * MiB, job: null, active: false });
    expect(sha(await volumeBytes(f, f.pool, 'img', MiB))).toBe(sha(bytes));

    calls.length = 0;
    const out = join(f.dir, 'out.vmdk');
    const ex = await m.startExport({ pool: f.poolName, volume: 'img', path: out, format: 'vmdk' });
    expect(await settled(m, ex.id)).toMatchObject({ state: 'succeeded' });
    const convert = calls.find((c) => c[1] === 'convert')!;
    expect(convert.slice(0, 7)).toEqual(['/usr/bin/qemu-img', 'convert', '-p', '-f', 'raw', '-O', 'vmdk']);
    expect(convert.at(-1)).toBe(join(f.dir, `.tf-export-${ex.id}.part`));
    expect(sha(readFileSync(out).subarray(0, MiB))).toBe(sha(bytes));
    expect(readdirSync(f.dir).sort()).toEqual(['in.qcow2', 'out.vmdk']);
  });

  it('a failed conversion leaves no volume; a missing qemu-img is refused saying how to install it', async () => {
    const f = await fixture();
    const image = join(f.dir, 'in.vdi');
    writeFileSync(image, Buffer.alloc(MiB, 0x33));
    const m = f.manager({ qemuImg: new QemuImg(fakeQemuImg(f.host.block, [], { convert: 'qemu-img: error while reading sector 0' })) });
    const job = await m.startImport({ pool: f.poolName, volume: 'img', path: image, format: 'vdi' });
    const end = await settled(m, job.id);
    expect(end).toMatchObject({ state: 'failed', errorCode: 'TOOL_FAILED' });
    expect(end.error).toContain('error while reading sector 0');
    expect(await f.pool.list()).toEqual([]);

    const missing: CommandRunner = () => Promise.reject(Object.assign(new Error('spawn qemu-img ENOENT'), { code: 'ENOENT' }));
    const m2 = f.manager({ qemuImg: new QemuImg(missing) });
    await expect(m2.startImport({ pool: f.poolName, volume: 'img', path: image, format: 'vhdx' })).rejects.toMatchObject({
      code: 'TOOL_MISSING',
      message: expect.stringContaining('apt-get install qemu-utils'),
    });
    await f.pool.createVolume('v', MiB);
    await expect(m2.startExport({ pool: f.poolName, volume: 'v', path: join(f.dir, 'o.qcow2'), format: 'qcow2' })).rejects.toMatchObject({ code: 'TOOL_MISSING' });
    expect((await f.pool.list()).map((v) => v.name)).toEqual(['v']);
  });
});

describe('ImportVolume and ExportVolume over gRPC', () => {
  it('refuse hostile requests naming the field, and make nothing', async () => {
    const t = await startTestAgent();
    const c = rawClients(t.socketPath);
    cleanups.push(async () => {
      c.close();
      await t.dispose();
    });
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [t.sparseFile('d0', 64 * MiB)] });
    const image = join(t.stateDir, 'img.raw');
    writeFileSync(image, Buffer.alloc(MiB, 1));
    const failure = async (method: string, request: object): Promise<{ code: number; field: string | undefined }> => {
      try {
        await c.call(c.volume, method, request);
      } catch (err) {
        const e = err as ServiceError;
        return { code: e.code, field: e.metadata.get('tf-field')[0]?.toString() };
      }
      throw new Error(`${method} accepted ${JSON.stringify(request).slice(0, 80)}`);
    };
    const base = { pool: 'p', name: 'v', path: image };
    expect(await failure('ImportVolume', { ...base, path: 'img.raw' })).toEqual({ code: status.INVALID_ARGUMENT, field: 'path' });
    expect(await failure('ImportVolume', { ...base, path: `/${'a'.repeat(5000)}` })).toEqual({ code: status.INVALID_ARGUMENT, field: 'path' });
    expect(await failure('ImportVolume', { ...base, path: '/tmp/a\u0000b' })).toEqual({ code: status.INVALID_ARGUMENT, field: 'path' });
    expect(await failure('ImportVolume', { ...base, format: 99 })).toEqual({ code: status.INVALID_ARGUMENT, field: 'format' });
    expect(await failure('ImportVolume', { ...base, sizeBytes: 2 ** 53 })).toEqual({ code: status.INVALID_ARGUMENT, field: 'size_bytes' });
    expect(await failure('ImportVolume', { ...base, path: join(t.stateDir, 'missing.raw') })).toEqual({ code: status.INVALID_ARGUMENT, field: 'path' });
    expect(await failure('ImportVolume', { ...base, name: 'bad/name' })).toEqual({ code: status.INVALID_ARGUMENT, field: 'name' });
    expect(await failure('ExportVolume', { ...base, name: 'nope', path: join(t.stateDir, 'o.raw') })).toMatchObject({ code: status.NOT_FOUND });
    const listed = await c.call<{ volumes: unknown[] }>(c.volume, 'ListVolumes', { pool: 'p' });
    expect(listed.volumes).toEqual([]);

    const started = await c.call<{ job: { id: string; kind: string } }>(c.volume, 'ImportVolume', { ...base, format: 'IMAGE_FORMAT_RAW' });
    expect(started.job.kind).toBe('import');
    for (;;) {
      const { job } = await c.call<{ job: { state: string } }>(c.job, 'GetJob', { id: started.job.id });
      if (job.state === 'JOB_STATE_SUCCEEDED') break;
      expect(job.state).toBe('JOB_STATE_RUNNING');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await failure('ExportVolume', { ...base, path: image })).toEqual({ code: status.ALREADY_EXISTS, field: 'path' });
    expect(await failure('ExportVolume', { ...base, path: join(t.stateDir, 'o.raw'), format: 7 })).toEqual({ code: status.INVALID_ARGUMENT, field: 'format' });
  });

  it('confines images to imageDirectories when set, symbolic links resolved', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tf-imex-dirs-'));
    const images = join(root, 'images');
    mkdirSync(images);
    const t = await startTestAgent({ config: { imageDirectories: [images] } });
    const c = rawClients(t.socketPath);
    cleanups.push(async () => {
      c.close();
      await t.dispose();
      await rm(root, { recursive: true, force: true });
    });
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [t.sparseFile('d0', 64 * MiB)] });
    writeFileSync(join(root, 'outside.raw'), Buffer.alloc(MiB, 1));
    symlinkSync(join(root, 'outside.raw'), join(images, 'link.raw'));
    symlinkSync(root, join(images, 'up'));
    const field = async (method: string, path: string): Promise<string | undefined> =>
      c.call(c.volume, method, { pool: 'p', name: 'v', path }).then(
        () => 'accepted',
        (err: ServiceError) => err.metadata.get('tf-field')[0]?.toString(),
      );
    expect(await field('ImportVolume', join(root, 'outside.raw'))).toBe('path');
    expect(await field('ImportVolume', join(images, 'link.raw'))).toBe('path');
    expect(await field('ImportVolume', join(images, '..', 'outside.raw'))).toBe('path');
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: MiB });
    expect(await field('ExportVolume', join(images, 'up', 'out.raw'))).toBe('path');
    expect(await field('ExportVolume', join(root, 'out.raw'))).toBe('path');
    expect(readdirSync(root).sort()).toEqual(['images', 'outside.raw']);
    writeFileSync(join(images, 'in.raw'), Buffer.alloc(MiB, 1));
    const started = await c.call<{ job: { kind: string } }>(c.volume, 'ImportVolume', { pool: 'p', name: 'w', path: join(images, 'in.raw') });
    expect(started.job.kind).toBe('import');
  });
});
