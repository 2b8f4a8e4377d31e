#!/usr/bin/env node
// bench:dm — cost of one thin-pool create_snap message through NativeDmClient (one ioctl off
// the JS thread) against one `dmsetup message` process per message, on a real kernel. Run by
// `npm run bench:dm` inside the test VM; prints per-message times and the ratio. A benchmark,
// not a test: it asserts nothing about speed.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NativeBlockClient, NativeDmClient, NO_THIN_POOL_FEATURES, ThinPoolControl, thinId, toTargetLines } from '@thinfleet/devmapper';

const COUNT = Number(process.env.BENCH_COUNT ?? 200);
const MiB = 1024 * 1024;
const dm = new NativeDmClient();
const block = new NativeBlockClient();
const dir = await mkdtemp(join(tmpdir(), 'thinfleet-bench-'));
const pool = `tfbench-pool-${process.pid}`;
const loops = [];

async function sparse(name, sizeBytes) {
  const path = join(dir, name);
  await writeFile(path, '');
  await truncate(path, sizeBytes);
  const loop = await block.attachLoop(path);
  loops.push(loop);
  return loop;
}

function stats(samplesMs) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const mean = samplesMs.reduce((s, x) => s + x, 0) / samplesMs.length;
  return { mean, p50: q(0.5), p99: q(0.99) };
}

try {
  const meta = await sparse('meta', 64 * MiB);
  const data = await sparse('data', 1024 * MiB);
  await dm.create(pool);
  await dm.load(
    pool,
    toTargetLines([
      {
        startSector: 0,
        lengthSectors: (1024 * MiB) / 512,
        target: { type: 'thin-pool', metadataDevice: meta, dataDevice: data, dataBlockSectors: 128, lowWaterMarkBlocks: 0, features: NO_THIN_POOL_FEATURES },
      },
    ]),
  );
  await dm.resume(pool);
  const control = new ThinPoolControl(dm, pool);
  await control.createThin(thinId(0));

  const native = [];
  for (let i = 1; i <= COUNT; i++) {
    const t0 = performance.now();
    await control.createSnap(thinId(i), thinId(0));
    native.push(performance.now() - t0);
  }
  const proc = [];
  for (let i = COUNT + 1; i <= 2 * COUNT; i++) {
    const t0 = performance.now();
    const r = spawnSync('dmsetup', ['message', pool, '0', `create_snap ${i} 0`], { stdio: 'inherit' });
    proc.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`dmsetup message failed with ${r.status}`);
  }
  const n = stats(native);
  const p = stats(proc);
  const fmt = (s) => `mean ${s.mean.toFixed(3)} ms, p50 ${s.p50.toFixed(3)} ms, p99 ${s.p99.toFixed(3)} ms`;
  console.log(`bench:dm create_snap x${COUNT} (qemu TCG guest unless THINFLEET_KERNEL_TIER=host)`);
  console.log(`  NativeDmClient.message      ${fmt(n)}`);
  console.log(`  dmsetup message process     ${fmt(p)}`);
  console.log(`  ratio (dmsetup / native)    ${(p.mean / n.mean).toFixed(1)}x by mean, ${(p.p50 / n.p50).toFixed(1)}x by p50`);
} finally {
  await dm.remove(pool).catch(() => undefined);
  for (const loop of loops) await block.detachLoop(loop).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}
