/**
 * Kernel tier (issue 15, item 4): import and export on the real device-mapper, the engine and
 * the job manager in this process on the native clients, with the real qemu-img. A qcow2 made
 * by `qemu-img create` and written with `qemu-io` is imported (only its data maps blocks: the
 * conversion runs with --target-is-zero into the fresh thin volume), exported back to raw
 * (sparse, same bytes) and to qcow2 (`qemu-img compare` finds them equal); a raw image goes in
 * and out sparsely too. The pool's kernel metadata is left for the tier's thin_check.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Pool } from '@thinfleet/engine';
import { JobManager } from '../src/jobs/index.js';
import { EngineTestHost, SMALL_CATALOG } from '../../../packages/engine/test/support/engine-test-host.js';
import { settled, silentLogger } from './support/job-harness.js';

const MiB = 1024 * 1024;
const BLOCK = 64 * 1024;
const IMAGE_BYTES = 24 * MiB;
const tool = (name: string): string => ['/usr/bin', '/usr/sbin', '/bin'].map((d) => join(d, name)).find(existsSync) ?? name;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function run(cmd: string, args: string[]): string {
  const r = spawnSync(tool(cmd), args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

describe('import and export on the real kernel with qemu-img', () => {
  let host: EngineTestHost;
  let engine: Engine;
  let pool: Pool;
  let dir: string;
  let stateDir: string;
  let jobs: JobManager;
  const qcow2 = (): string => join(dir, 'src.qcow2');
  const expectedRaw = (): string => join(dir, 'expected.raw');

  beforeAll(async () => {
    host = await EngineTestHost.open();
    dir = await mkdtemp(join(tmpdir(), 'tf-imex-kernel-'));
    stateDir = await mkdtemp(join(tmpdir(), 'tf-imex-state-'));
    const [device] = await host.devices(1, 256 * MiB);
    engine = host.engine();
    pool = await engine.createPool({ name: host.poolName('ie'), devices: [device!], dataBlockBytes: BLOCK, ...SMALL_CATALOG });
    jobs = new JobManager({ stateDir, engine, block: host.block, logger: silentLogger });
    await jobs.start();
    // A qcow2 with data at 1 MiB (2 MiB of 0xab), at 17 MiB (64 KiB of 0x5c) and a few bytes at
    // its last block; the rest is unallocated.
    run('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2(), String(IMAGE_BYTES)]);
    run('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 1M 2M', '-c', 'write -P 0x5c 17M 64k', '-c', `write -P 0x11 ${IMAGE_BYTES - 512} 512`, qcow2()]);
    run('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2(), expectedRaw()]);
  });

  afterAll(async () => {
    await jobs?.stop();
    if (pool?.isActive) await pool.deactivate();
    await host?.teardown();
    await rm(dir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  async function volumeBytes(name: string): Promise<Buffer> {
    const v = await pool.activateVolume(name);
    try {
      return await host.block.read(v.devicePath!, 0, v.sizeBytes);
    } finally {
      await pool.deactivateVolume(name);
    }
  }

  it('imports a qcow2 writing only its data, and exports it back to raw and to qcow2 with the same content', async () => {
    const job = await jobs.startImport({ pool: pool.name, volume: 'fromq', path: qcow2(), format: 'qcow2' });
    expect(await settled(jobs, job.id)).toMatchObject({ state: 'succeeded', totalBytes: IMAGE_BYTES, doneBytes: IMAGE_BYTES });
    const v = await pool.show('fromq');
    expect(v).toMatchObject({ sizeBytes: IMAGE_BYTES, active: false, job: null });
    // Only the written ranges are mapped: 2 MiB + 64 KiB + one block, not 24 MiB.
    expect(v.mappedBytes).toBe(2 * MiB + 64 * 1024 + BLOCK);
    const expected = readFileSync(expectedRaw());
    expect(sha(await volumeBytes('fromq'))).toBe(sha(expected));

    const raw = join(dir, 'out.raw');
    const ex = await jobs.startExport({ pool: pool.name, volume: 'fromq', path: raw, format: 'raw' });
    expect(await settled(jobs, ex.id)).toMatchObject({ state: 'succeeded' });
    expect(sha(readFileSync(raw))).toBe(sha(expected));
    expect(statSync(raw).blocks * 512).toBeLessThan(IMAGE_BYTES / 2);

    const q = join(dir, 'out.qcow2');
    const exq = await jobs.startExport({ pool: pool.name, volume: 'fromq', path: q, format: 'qcow2' });
    expect(await settled(jobs, exq.id)).toMatchObject({ state: 'succeeded' });
    expect(JSON.parse(run('qemu-img', ['info', '--output=json', q])) as { format: string }).toMatchObject({ format: 'qcow2' });
    run('qemu-img', ['compare', '-f', 'qcow2', '-F', 'qcow2', qcow2(), q]);
  });

  it('imports a raw image sparsely and refuses to overwrite an existing file', async () => {
    const job = await jobs.startImport({ pool: pool.name, volume: 'fromraw', path: expectedRaw(), format: 'raw', sizeBytes: 32 * MiB });
    expect(await settled(jobs, job.id)).toMatchObject({ state: 'succeeded' });
    const v = await pool.show('fromraw');
    expect(v).toMatchObject({ sizeBytes: 32 * MiB, mappedBytes: 2 * MiB + 64 * 1024 + BLOCK });
    expect(sha((await volumeBytes('fromraw')).subarray(0, IMAGE_BYTES))).toBe(sha(readFileSync(expectedRaw())));
    await expect(jobs.startExport({ pool: pool.name, volume: 'fromraw', path: expectedRaw(), format: 'raw' })).rejects.toMatchObject({ code: 'FILE_EXISTS' });
  });
});
