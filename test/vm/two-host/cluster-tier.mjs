#!/usr/bin/env node
/**
 * The two-host tier (`npm run test:cluster-kernel`): two qemu guests on one shared disk, each with
 * its own agent and watchdog, etcd and the coordinator on the host (see test/vm/README.md).
 *
 *   node test/vm/two-host/cluster-tier.mjs [--only NAME[,NAME]] [--verbose] [--keep]
 *
 * Without --only: every scenario.
 *
 * Scenarios, in the order run: handover (A to B and back with volumes, snapshots and a delete
 * job in flight), coordinator (the coordinator killed while both hosts hold pools; a second one
 * takes over), kill (kill -9 of the holder's agent while it writes), stop (SIGSTOP of the
 * holder's agent), cut (the holder cut from the coordinator). Prints every check and the
 * failover times. Exit code: 0 when every check
 * passed, 1 otherwise, 2 when qemu, the kernel, busybox-static, etcd or thin-provisioning-tools
 * are missing. The run directory (.cache/two-host/<run id>: images, metadata copies, logs) is
 * removed after a clean run, kept otherwise or with --keep.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { walkArgs } from '../../support/args.mjs';
import { secs } from './checks.mjs';
import { runCoordinatorScenario } from './scenario-coordinator.mjs';
import { runHandoverScenario } from './scenario-handover.mjs';
import { preparePool, runFenceScenario } from './scenario-fence.mjs';
import { newRunDir, requireTools, TIER_LOCK } from './tier-setup.mjs';
import { startTwoHost } from './two-host.mjs';

const ALL = ['handover', 'coordinator', 'kill', 'stop', 'cut'];
const DEFAULT = ALL;

async function main() {
  const opts = { only: DEFAULT, verbose: false, keep: false };
  walkArgs(process.argv.slice(2), (a, value) => {
    if (a === '--only') opts.only = value().split(',');
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '--keep') opts.keep = true;
    else throw new Error(`unknown option ${a}`);
  });
  for (const name of opts.only) if (!ALL.includes(name)) throw new Error(`--only: no scenario ${name} (${ALL.join(', ')})`);
  requireTools();

  const started = Date.now();
  const runDir = newRunDir('two-host');
  console.log(`two-host tier: run directory ${runDir}`);
  const h = await startTwoHost({ runDir, imageCount: 6, lock: TIER_LOCK, verbose: opts.verbose });
  console.log(
    `two-host tier: TTL ${TIER_LOCK.ttlSeconds} s, margin ${TIER_LOCK.marginMs} ms, watchdog ${TIER_LOCK.watchdogTimeoutSeconds} s, lock delay ${TIER_LOCK.lockDelayMs} ms; watchdog support in the build: ${h.watchdog ? 'yes' : 'NO'}, several coordinator endpoints: ${h.multiEndpoint ? 'yes' : 'no'}`,
  );
  const results = [];
  const failovers = [];
  try {
    const bootAt = Date.now();
    let [a, b] = await Promise.all([h.bootHost('a', 'host-a'), h.bootHost('b', 'host-b')]);
    console.log(`two-host tier: both guests up and their agents in the cluster after ${secs(Date.now() - bootAt)}`);

    if (opts.only.includes('handover')) results.push(await runHandoverScenario(h, { a, b, pool: 'hand', imageIndex: 0 }));
    if (opts.only.includes('coordinator')) results.push(await runCoordinatorScenario(h, { a, b, imageIndexes: [4, 5] }));

    let round = 0;
    // Disks 1-3: one per fence scenario.
    for (const [name, fault, what] of [
      ['kill', 'SIGKILL', "SIGKILL of the holder's agent"],
      ['stop', 'SIGSTOP', "SIGSTOP of the holder's agent"],
      ['cut', 'cut', 'the holder cut from the coordinator'],
    ]) {
      if (!opts.only.includes(name)) continue;
      round++;
      if (a === undefined) {
        const bootAt2 = Date.now();
        a = await h.bootHost(`a${round}`, `host-a${round}`);
        console.log(`two-host tier: a new guest A (${a.nodeId}) up after ${secs(Date.now() - bootAt2)}`);
      }
      // A pool and disk of its own per scenario: one scenario's damage is not the next one's.
      const pool = `tank${round}`;
      const imageIndex = round;
      await preparePool(h, { holder: a, taker: b, pool, imageIndex });
      const title = `${name}: ${what} while it writes`;
      const { checks, times } = await runFenceScenario(h, { title, holder: a, taker: b, pool, imageIndex, fault, round });
      results.push(checks);
      failovers.push({ name, ...times });
      await h.stopHost(a.name);
      a = undefined;
    }
  } catch (err) {
    console.error(`two-host tier: ${err.stack ?? err}`);
    results.push({ scenario: 'harness', failed: true, results: [{ name: err.message, ok: false }] });
  } finally {
    await h.dispose();
  }

  console.log('\ntwo-host tier: summary');
  for (const c of results) console.log(`  ${c.failed ? 'FAIL' : 'ok  '} ${c.scenario} (${c.results.filter((r) => r.ok).length}/${c.results.length} checks)`);
  for (const f of failovers) {
    console.log(
      `  failover (${f.name}): fault to watchdog ${secs(f.watchdogAtMs - f.killAtMs)}, to qemu exit ${secs(f.qemuExitAtMs - f.killAtMs)}, ` +
        `to grant ${secs(f.grantAtMs - f.killAtMs)}, to the new holder serving ${secs(f.readyAtMs - f.killAtMs)} ` +
        `(goal TTL + watchdog + 2 s = ${TIER_LOCK.ttlSeconds + TIER_LOCK.watchdogTimeoutSeconds + 2} s)`,
    );
  }
  const failed = results.length === 0 || results.some((c) => c.failed);
  console.log(`two-host tier: ${failed ? 'FAILED' : 'passed'} in ${secs(Date.now() - started)}`);
  writeFileSync(join(runDir, 'results.json'), JSON.stringify({ results, failovers }, null, 2));
  if (!failed && !opts.keep) rmSync(runDir, { recursive: true, force: true });
  else console.log(`two-host tier: kept ${runDir}`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
