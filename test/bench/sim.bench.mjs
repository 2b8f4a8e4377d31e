#!/usr/bin/env node
// bench:sim — the simulated device-mapper at scale (issue 16, item 4), on any host (no root, no
// kernel): the cost of one create must not grow with the number of volumes in the pool. Prints
// 1000 single creates through the engine on SimDm into a pool that already holds 1,000 volumes,
// then into one that holds 10,000, each pool made fresh, and the ratio with PASS/BELOW against
// the goal (<= 1.5x). A benchmark, not a test: a missed goal is printed, not an exit code.
//
//   node test/bench/sim.bench.mjs [--creates N] [--small V] [--large V] [--runs R]
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openSimHost } from '@thinfleet/devmapper';
import { Engine } from '@thinfleet/engine';
import { walkArgs, wholeNumber } from '../support/args.mjs';

const MiB = 1024 * 1024;
const GOAL_RATIO = 1.5;
const opts = { creates: 1000, small: 1000, large: 10_000, runs: 5 };
walkArgs(process.argv.slice(2), (a, value) => {
  if (a === '--creates') opts.creates = wholeNumber(a, value(), 1);
  else if (a === '--small') opts.small = wholeNumber(a, value(), 0);
  else if (a === '--large') opts.large = wholeNumber(a, value(), 1);
  else if (a === '--runs') opts.runs = wholeNumber(a, value(), 1);
  else throw new Error(`unknown option ${a}`);
});

/** Milliseconds of `opts.creates` single creates into a fresh SimDm pool that holds `base` volumes. */
async function createsAt(base) {
  const dir = await mkdtemp(join(tmpdir(), 'thinfleet-bench-sim-'));
  const sim = await openSimHost(join(dir, 'kernel'));
  try {
    const img = join(dir, 'pool.img');
    await writeFile(img, '');
    await truncate(img, 64 * 1024 * MiB);
    const loop = await sim.block.attachLoop(img);
    const engine = new Engine({ dm: sim.dm, block: sim.block });
    const pool = await engine.createPool({ name: 'simbench', devices: [loop], metadataBytes: 1024 * MiB });
    for (let i = 0; i < base; i += 1000) {
      const n = Math.min(1000, base - i);
      await pool.batch(Array.from({ length: n }, (_, j) => ({ item: `b${i + j}`, op: 'create', volume: `b${i + j}`, sizeBytes: MiB })));
    }
    const t0 = performance.now();
    for (let i = 0; i < opts.creates; i++) await pool.createVolume(`v${i}`, MiB);
    return performance.now() - t0;
  } finally {
    sim.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const small = [];
const large = [];
// Interleaved, so a change in the host's load hits both sizes.
for (let r = 0; r < opts.runs; r++) {
  small.push(await createsAt(opts.small));
  large.push(await createsAt(opts.large));
}
const [s, l] = [median(small), median(large)];
const ratio = l / s;
const fmt = (ms) => `${ms.toFixed(0)} ms (${(ms / opts.creates).toFixed(2)} ms per create)`;
process.stdout.write(
  [
    `bench:sim on this host, node ${process.version}: ${opts.creates} single creates through the engine on SimDm, median of ${opts.runs} runs each`,
    `  into a pool of ${opts.small} volumes (anchor)   ${fmt(s)}`,
    `  into a pool of ${opts.large} volumes            ${fmt(l)}`,
    `  ratio ${ratio.toFixed(2)}x   goal <= ${GOAL_RATIO}x: ${ratio <= GOAL_RATIO ? 'PASS' : 'BELOW'}`,
    '',
  ].join('\n'),
);
