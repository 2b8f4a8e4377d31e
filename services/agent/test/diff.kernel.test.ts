/**
 * Kernel tier (issue 15, item 5): incremental backup on the real device-mapper, the engine and
 * the job manager in this process on the native clients.
 * (a) Pool.diffVolumes equals `thin_delta`'s answer (thin-provisioning-tools, run on the live
 *     pool's metadata snapshot with --metadata-snap) for a volume and two snapshots written with
 *     a seeded pattern of writes, overwrites, partial writes, discards and untouched ranges.
 * (b) a full stream and two incremental ones (export --since), restored with import and import
 *     --onto twice: the last volume reads exactly as the source's last snapshot; the raw export
 *     and import of item 4 still round-trip too.
 * The pool's kernel metadata is left for the tier's thin_check.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolDeviceNames, type Engine, type Pool, type VolumeDiffRange } from '@thinfleet/engine';
import { rng } from '../../../test/support/seeded.mjs';
import { JobManager } from '../src/jobs/index.js';
import { EngineTestHost, pattern, SMALL_CATALOG } from '../../../packages/engine/test/support/engine-test-host.js';
import { settled, silentLogger } from './support/job-harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 64 * KiB;
const SIZE = 16 * MiB;
const BLOCKS = SIZE / BLOCK;
const tool = (name: string): string => ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].map((d) => join(d, name)).find(existsSync) ?? name;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function run(cmd: string, args: string[]): string {
  const r = spawnSync(tool(cmd), args, { encoding: 'utf8', env: { ...process.env, DM_DISABLE_UDEV: '1' }, maxBuffer: 64 * MiB });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** thin_delta's ranges (not `same`), in bytes, adjacent ranges of one kind merged. */
function thinDelta(pool: string, leftId: number, rightId: number): VolumeDiffRange[] {
  const names = poolDeviceNames(pool);
  run('dmsetup', ['message', names.pool, '0', 'reserve_metadata_snap']);
  let xml: string;
  try {
    xml = run('thin_delta', ['--metadata-snap', '--snap1', String(leftId), '--snap2', String(rightId), `/dev/mapper/${names.meta}`]);
  } finally {
    run('dmsetup', ['message', names.pool, '0', 'release_metadata_snap']);
  }
  const blockSectors = Number(/data_block_size="(\d+)"/.exec(xml)?.[1]);
  expect(blockSectors * 512).toBe(BLOCK);
  const out: Array<{ offsetBytes: number; lengthBytes: number; kind: VolumeDiffRange['kind'] }> = [];
  for (const m of xml.matchAll(/<(different|left_only|right_only|same) begin="(\d+)" length="(\d+)"\/>/g)) {
    if (m[1] === 'same') continue;
    const kind = m[1] as VolumeDiffRange['kind'];
    const offsetBytes = Number(m[2]) * BLOCK;
    const lengthBytes = Number(m[3]) * BLOCK;
    const last = out.at(-1);
    if (last !== undefined && last.kind === kind && last.offsetBytes + last.lengthBytes === offsetBytes) last.lengthBytes += lengthBytes;
    else out.push({ offsetBytes, lengthBytes, kind });
  }
  return out;
}

describe('incremental backup on the real kernel', () => {
  let host: EngineTestHost;
  let engine: Engine;
  let pool: Pool;
  let dir: string;
  let jobs: JobManager;

  /** Seeded writes (whole blocks, partial blocks, zeros), overwrites and discards (whole and partial blocks) into active volume `vm`. */
  async function churn(seed: number, steps: number): Promise<void> {
    const random = rng(seed);
    const device = (await pool.show('vm')).devicePath!;
    // Only the first three quarters are ever touched: the last quarter stays unmapped everywhere.
    const touched = Math.floor((BLOCKS * 3) / 4);
    for (let s = 0; s < steps; s++) {
      const block = Math.floor(random() * touched);
      const roll = random();
      if (roll < 0.15) await host.block.discard(device, block * BLOCK, BLOCK * (1 + Math.floor(random() * 3)));
      else if (roll < 0.2) await host.block.discard(device, block * BLOCK + 4 * KiB, 8 * KiB);
      else if (roll < 0.3) await host.block.write(device, block * BLOCK, Buffer.alloc(BLOCK));
      else if (roll < 0.6) await host.block.write(device, block * BLOCK, pattern(seed * 10_000 + s, BLOCK * (1 + Math.floor(random() * 2))));
      else await host.block.write(device, block * BLOCK + 8 * KiB, pattern(seed * 10_000 + s, 4 * KiB));
    }
  }

  /** The SHA-256 of a volume's content; the volume is left inactive unless it is `vm`. */
  async function checksum(name: string): Promise<string> {
    const data = await host.block.read((await pool.activateVolume(name)).devicePath!, 0, SIZE);
    if (name !== 'vm') await pool.deactivateVolume(name);
    return sha(data);
  }

  beforeAll(async () => {
    [host, dir] = await Promise.all([EngineTestHost.open(), mkdtemp(join(tmpdir(), 'tf-diff-kernel-'))]);
    engine = host.engine();
    pool = await engine.createPool({ name: host.poolName('df'), devices: await host.devices(1, 256 * MiB), dataBlockBytes: BLOCK, ...SMALL_CATALOG });
    // The job records live in the test's directory, beside the streams.
    jobs = new JobManager({ stateDir: join(dir, 'state'), engine, block: host.block, logger: silentLogger, imageChunkBytes: MiB, diffWindowBytes: 4 * MiB });
    await jobs.start();
    await pool.createVolume('vm', SIZE, { activate: true });
    await churn(1, 200);
    await pool.snapshot('vm', 's1');
    await churn(2, 80);
    await pool.snapshot('vm', 's2');
    await churn(3, 80);
    await pool.snapshot('vm', 's3');
    await churn(4, 40);
  });

  afterAll(async () => {
    await jobs?.stop();
    if (pool?.isActive) await pool.deactivate();
    await host?.teardown();
    await rm(dir, { recursive: true, force: true });
  });

  it("equals thin_delta's ranges for snapshots and the live volume, either way round", async () => {
    const ids = Object.fromEntries((await pool.list()).map((v) => [v.name, v.thinId]));
    const pairs: Array<[string, string]> = [
      ['s1', 's2'],
      ['s2', 's3'],
      ['s1', 's3'],
      ['s3', 's1'],
      ['s2', 'vm'],
    ];
    const kinds = new Set<string>();
    for (const [a, b] of pairs) {
      const ours = await pool.diffVolumes(a, b);
      const theirs = thinDelta(pool.name, ids[a]!, ids[b]!);
      expect(ours.ranges, `${a} → ${b}`).toEqual(theirs);
      for (const r of ours.ranges) kinds.add(r.kind);
    }
    // The pattern made every class appear somewhere.
    expect([...kinds].sort()).toEqual(['different', 'left_only', 'right_only']);
  });

  it('restores the last snapshot from a full stream and two incremental ones, and raw export and import still round-trip', async () => {
    const expected = { s1: await checksum('s1'), s2: await checksum('s2'), s3: await checksum('s3') };
    const path = (name: string): string => join(dir, `${name}.tfdiff`);
    const done = async (start: Promise<{ id: string }>): Promise<void> => {
      const job = await start;
      const end = await settled(jobs, job.id);
      expect(end, end.error ?? '').toMatchObject({ state: 'succeeded' });
    };
    await done(jobs.startExport({ pool: pool.name, volume: 's1', path: path('s1'), format: 'stream' }));
    await done(jobs.startExport({ pool: pool.name, volume: 's2', path: path('s2'), format: 'stream', since: 's1' }));
    await done(jobs.startExport({ pool: pool.name, volume: 's3', path: path('s3'), format: 'stream', since: 's2' }));
    await done(jobs.startImport({ pool: pool.name, volume: 'r1', path: path('s1'), format: 'stream' }));
    await done(jobs.startImport({ pool: pool.name, volume: 'r2', path: path('s2'), format: 'stream', onto: 'r1' }));
    await done(jobs.startImport({ pool: pool.name, volume: 'r3', path: path('s3'), format: 'stream', onto: 'r2' }));
    expect(await checksum('r1')).toBe(expected.s1);
    expect(await checksum('r2')).toBe(expected.s2);
    expect(await checksum('r3')).toBe(expected.s3);
    // The older volumes were not touched by the imports onto them.
    expect(await checksum('r1')).toBe(expected.s1);

    const raw = join(dir, 's3.raw');
    await done(jobs.startExport({ pool: pool.name, volume: 's3', path: raw, format: 'raw' }));
    await done(jobs.startImport({ pool: pool.name, volume: 'fromraw', path: raw, format: 'raw' }));
    expect(await checksum('fromraw')).toBe(expected.s3);
  });
});
