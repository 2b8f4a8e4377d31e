#!/usr/bin/env node
/**
 * bench:failover (`npm run bench:failover`): on real kernels (two qemu guests, one shared disk,
 * etcd and the coordinator on the host), the time from kill -9 of the pool holder's agent, while
 * a writer writes into one of its volumes, to the other host serving the pool (the coordinator's
 * `pool ready` from it), without any client asking. Each round is the tier's kill scenario with
 * all its checks (a failover that lost a write is not a figure); a new guest A is booted for
 * every round, since the one before was powered off by its watchdog.
 *
 *   node test/vm/two-host/failover-bench.mjs [--rounds N] [--verbose]
 *
 * Prints each round's times and the median beside TTL, margin, watchdog timeout and lock delay,
 * and the goal TTL + watchdog timeout + 2 s with PASS (median at or under it) or BELOW. Exit code
 * 1 when a round's checks failed, 2 when something is not installed.
 */
import { rmSync } from 'node:fs';
import { walkArgs, wholeNumber } from '../../support/args.mjs';
import { secs } from './checks.mjs';
import { preparePool, runFenceScenario } from './scenario-fence.mjs';
import { newRunDir, requireTools, TIER_LOCK } from './tier-setup.mjs';
import { startTwoHost } from './two-host.mjs';

const opts = { rounds: 2, verbose: false };
walkArgs(process.argv.slice(2), (a, value) => {
  if (a === '--rounds') opts.rounds = wholeNumber(a, value());
  else if (a === '--verbose') opts.verbose = true;
  else throw new Error(`unknown option ${a}`);
});
requireTools('bench:failover');

const runDir = newRunDir('failover-bench');
const h = await startTwoHost({ runDir, imageCount: opts.rounds, lock: TIER_LOCK, verbose: opts.verbose });
const rounds = [];
let failed = false;
try {
  const b = await h.bootHost('b', 'host-b');
  for (let round = 1; round <= opts.rounds; round++) {
    const a = await h.bootHost(`a${round}`, `host-a${round}`);
    const pool = `tank${round}`;
    await preparePool(h, { holder: a, taker: b, pool, imageIndex: round - 1 });
    const { checks, times } = await runFenceScenario(h, {
      title: `round ${round}: kill -9 of ${a.nodeId}'s agent while it writes`,
      holder: a,
      taker: b,
      pool,
      imageIndex: round - 1,
      fault: 'SIGKILL',
      round,
    });
    failed ||= checks.failed;
    rounds.push({ round, ok: !checks.failed, ...times });
    await h.stopHost(a.name);
  }
} catch (err) {
  console.error(`bench:failover: ${err.stack ?? err}`);
  failed = true;
} finally {
  await h.dispose();
}

const { ttlSeconds, marginMs, watchdogTimeoutSeconds, lockDelayMs } = TIER_LOCK;
const goalMs = (ttlSeconds + watchdogTimeoutSeconds + 2) * 1000;
console.log(`\nbench:failover: TTL ${ttlSeconds} s, margin ${marginMs} ms, watchdog timeout ${watchdogTimeoutSeconds} s, lock delay ${lockDelayMs} ms (qemu TCG guests, Debian kernel)`);
console.log('  round  checks  kill->watchdog  kill->qemu exit  kill->grant  kill->served');
for (const r of rounds) {
  const cell = (ms, width) => secs(ms - r.killAtMs).padStart(width);
  console.log(
    `  ${String(r.round).padStart(5)}  ${(r.ok ? 'ok' : 'FAIL').padStart(6)}  ${cell(r.watchdogAtMs, 14)}  ${cell(r.qemuExitAtMs, 15)}  ${cell(r.grantAtMs, 11)}  ${cell(r.readyAtMs, 12)}`,
  );
}
const served = rounds.map((r) => r.readyAtMs - r.killAtMs).sort((x, y) => x - y);
if (served.length > 0) {
  const median = served[Math.floor(served.length / 2)]; // the upper median of an even count
  console.log(
    `  kill -9 of the holder's agent to the new holder serving the pool: median ${secs(median)}, max ${secs(served.at(-1))}; goal TTL + watchdog + 2 s = ${secs(goalMs)}: ${median <= goalMs ? 'PASS' : 'BELOW'}`,
  );
}
if (failed) console.log(`bench:failover: a round's checks FAILED; kept ${runDir}`);
else rmSync(runDir, { recursive: true, force: true });
process.exitCode = failed ? 1 : 0;
