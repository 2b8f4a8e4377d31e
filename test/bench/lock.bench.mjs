#!/usr/bin/env node
// bench:lock — the per-pool cluster lock (@thinfleet/lock) on one local etcd. Run by
// `npm run bench:lock` on the host (no root, no VM: etcd is a plain process here); prints figures
// and PASS/BELOW against the lock's goals in design.md ("Numbers to beat"). A benchmark, not a
// test: a missed goal is printed, not an exit code; an error is an exit code.
//
//   node test/bench/lock.bench.mjs [options]
//     --n N               timed put/get round trips, and timed uncontended take+release
//                         (default 500)
//     --handovers H       timed handovers between the two nodes (default 200)
//     --failovers R       holders killed (default 3)
//     --ttl T             lease TTL in seconds of every session (default 5, at least 2)
//     --lock-delay D      lock delay in ms of the waiter, the wait after a grant that finds the
//                         previous holder died (default 1000)
//     --no-fsync          run etcd with --unsafe-no-fsync (as the tests do); the default keeps
//                         fsync on, as a real deployment has it
//
// One etcd (`etcd` from PATH, else /usr/bin/etcd; Debian's etcd-server) is started by startEtcd()
// of test/support/etcd-server.mjs, the tests' etcd, on 127.0.0.1 with free ports and a data dir in
// a new temporary directory, with the tests' settings (heartbeat 10 ms, election timeout 100 ms,
// warn-level logs) except for fsync; it runs under `setpriv --pdeathsig KILL` when setpriv
// exists, so it dies with the bench. Each node is an etcd client from connectEtcd() (what the
// coordinator uses) with a LockSession on it.
//
// Parts:
// 1. baseline: N bare `put` and N bare `get` of one small key through node A's etcd client,
//    p50/p99: the floor of one etcd round trip with (put) and without (get) a raft write.
// 2. uncontended: node A takes and releases one lock N times; p50/p99 of take() (enqueue txn,
//    grant txn, then the holder's queue watch and waiter count) and of release() (watch cancel,
//    release txn). Every take after the first must be clean (dirty = false).
// 3. handover: nodes A and B (two etcd clients, two sessions) pass one lock back and forth H
//    times: the waiter calls take() while the other holds; once the holder's lock reports the
//    contention, and 25 ms more so the waiter's watch on its predecessor is in place, the holder
//    calls release(); timed from that call to the waiter's take() resolving (its grant must be
//    dirty). Also the release() call alone.
// 4. failover: a child process (plain Node: this file with --holder) opens its own client and
//    session, takes the lock and reports its lease; node B queues behind it; then the child's
//    lease is renewed once from here (a LeaseKeepAlive of its id, as the holder itself does
//    every TTL/3) and the child is SIGKILLed at once — the worst case, a holder that dies just
//    after a renewal, so the lease lives its full TTL after the kill. Timed from the kill to
//    B's grant (which must say the previous holder died, and so includes the lock delay), and
//    from the kill to etcd deleting the child's queue key (the lease expiring). R times.
// Goals: take p50 <= 1.3x and handover p50 <= 3x the bare put's p50 of the same run (issue 16);
// take p50 <= 2 ms and p99 <= 10 ms; handover p50 <= 10 ms; failover <= TTL + 2 s
// (PASS/BELOW on the slowest of the R). At the end (also after an error) every session and
// client is closed, the child killed, etcd stopped and the temporary directory removed.
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { connectEtcd, LockSession, lockKeys } from '@thinfleet/lock';
import { walkArgs, wholeNumber } from '../support/args.mjs';
import { delay, ms, stats, verdict, within } from './bench-stats.mjs';
import { startEtcd, trackExit } from '../support/etcd-server.mjs';

/** Key prefix of the bench's locks. */
const PREFIX = 'bench/locks/';
/** The goals, from design.md. */
const TAKE_P50_GOAL_MS = 2;
const TAKE_P99_GOAL_MS = 10;
const HANDOVER_P50_GOAL_MS = 10;
/** The same goals as ratios to the bare put's p50 of the same run (issue 16). */
const TAKE_PUT_RATIO_GOAL = 1.3;
const HANDOVER_PUT_RATIO_GOAL = 3;
const FAILOVER_SLACK_MS = 2000;
/** Untimed rounds before each timed part (JIT, connections, etcd's caches). */
const WARM_UP = 20;
/** After the holder sees the waiter's queue key: time for the waiter's predecessor watch. */
const HANDOVER_SETTLE_MS = 25;
/** Any single lock or etcd step the bench waits on, except a failover grant. */
const STEP_TIMEOUT_MS = 15_000;

// ---- options -----------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { n: 500, handovers: 200, failovers: 3, ttl: 5, lockDelay: 1000, fsync: true };
  const rest = walkArgs(argv, (a, value) => {
    if (a === '--n') opts.n = wholeNumber(a, value(), 1);
    else if (a === '--handovers') opts.handovers = wholeNumber(a, value(), 1);
    else if (a === '--failovers') opts.failovers = wholeNumber(a, value(), 0);
    else if (a === '--ttl') opts.ttl = wholeNumber(a, value(), 2);
    else if (a === '--lock-delay') opts.lockDelay = wholeNumber(a, value(), 0);
    else if (a === '--no-fsync') opts.fsync = false;
    else throw new Error(`unknown option ${a}`);
  });
  if (rest.length > 0) throw new Error(`unexpected arguments after --: ${rest.join(' ')}`);
  return opts;
}

/** The session options of every node: the margin must stay below half the TTL. */
const sessionOptions = (opts, nodeId, etcd) => ({ etcd, nodeId, prefix: PREFIX, ttlSeconds: opts.ttl, marginMs: Math.min(2000, opts.ttl * 250), lockDelayMs: opts.lockDelay });

// ---- output ------------------------------------------------------------------------------

const started = performance.now();
const progress = (msg) => console.error(`[bench:lock +${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const out = (line = '') => console.log(line);

const secs = (x) => `${(x / 1000).toFixed(2)} s`;
const fmtStats = (s) => `p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, mean ${ms(s.mean)}, min ${ms(s.min)}, max ${ms(s.max)} (n=${s.n})`;
const pad = (s, n) => (s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length));
const row = (label, text) => out(`  ${pad(label, 44)}${text}`);

// ---- child processes ---------------------------------------------------------------------

/**
 * Every failover holder still running (kept by trackExit): SIGKILLed when this process exits, as
 * etcd-server.mjs does with etcd.
 */
const live = new Set();
/** The temporary directory, removed on exit if the normal cleanup did not get there. */
let tempDir = null;
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
});

// ---- part 1: bare etcd round trips --------------------------------------------------------

async function baseline(etcd, opts) {
  progress(`baseline: ${opts.n} puts and ${opts.n} gets`);
  const key = 'bench/baseline';
  const value = JSON.stringify({ holder: 'node-a', lease: '694d7a1b2c3d4e5f', released: true });
  for (let i = 0; i < WARM_UP; i++) {
    await etcd.put(key).value(value);
    await etcd.get(key).string();
  }
  const put = [];
  const get = [];
  for (let i = 0; i < opts.n; i++) {
    const t0 = performance.now();
    await etcd.put(key).value(value);
    const t1 = performance.now();
    const got = await etcd.get(key).string();
    const t2 = performance.now();
    if (got !== value) throw new Error(`get returned ${got}, expected what was put`);
    put.push(t1 - t0);
    get.push(t2 - t1);
  }
  await etcd.delete().key(key);
  return { put: stats(put), get: stats(get) };
}

// ---- part 2: uncontended take and release -------------------------------------------------

async function uncontended(session, opts) {
  progress(`uncontended: ${opts.n} take+release on one node`);
  const lock = session.lock('uncontended');
  for (let i = 0; i < WARM_UP; i++) {
    await within(STEP_TIMEOUT_MS, 'uncontended take', lock.take());
    await within(STEP_TIMEOUT_MS, 'uncontended release', lock.release());
  }
  const take = [];
  const release = [];
  for (let i = 0; i < opts.n; i++) {
    const t0 = performance.now();
    const grant = await within(STEP_TIMEOUT_MS, 'uncontended take', lock.take());
    const t1 = performance.now();
    const released = await within(STEP_TIMEOUT_MS, 'uncontended release', lock.release());
    const t2 = performance.now();
    if (grant.dirty) throw new Error(`uncontended take ${i} was dirty: no other node held the lock`);
    if (!released) throw new Error(`uncontended release ${i} released nothing`);
    take.push(t1 - t0);
    release.push(t2 - t1);
  }
  return { take: stats(take), release: stats(release) };
}

// ---- part 3: handover between two nodes ---------------------------------------------------

/** Resolves on `lock`'s next contention event. */
const nextContention = (lock) => new Promise((resolve) => lock.once('contention', resolve));

async function handovers(a, b, opts) {
  progress(`handover: ${opts.handovers} handovers between node A and node B (${WARM_UP} untimed first)`);
  const locks = [a.lock('handover'), b.lock('handover')];
  await within(STEP_TIMEOUT_MS, 'first take by node A', locks[0].take());
  let holder = 0;
  const handover = [];
  const release = [];
  for (let i = 0; i < WARM_UP + opts.handovers; i++) {
    const waiter = 1 - holder;
    const contended = nextContention(locks[holder]);
    const pending = locks[waiter].take();
    pending.catch(() => {}); // awaited below; a failure must not be unhandled meanwhile
    await within(STEP_TIMEOUT_MS, 'the holder seeing the waiter', contended);
    await delay(HANDOVER_SETTLE_MS);
    if (locks[waiter].current !== 'queued') throw new Error(`handover ${i}: the waiter is ${locks[waiter].current}, not queued, while the other node holds`);
    const t0 = performance.now();
    const released = await within(STEP_TIMEOUT_MS, 'handover release', locks[holder].release());
    const t1 = performance.now();
    const grant = await within(STEP_TIMEOUT_MS, "the waiter's grant", pending);
    const t2 = performance.now();
    if (!released) throw new Error(`handover ${i}: the holder's release released nothing`);
    if (!grant.dirty) throw new Error(`handover ${i}: the grant after the other node held was not dirty`);
    if (i >= WARM_UP) {
      handover.push(t2 - t0);
      release.push(t1 - t0);
    }
    holder = waiter;
  }
  await within(STEP_TIMEOUT_MS, 'last handover release', locks[holder].release());
  return { handover: stats(handover), release: stats(release) };
}

// ---- part 4: failover after kill -9 -------------------------------------------------------

const SELF = fileURLToPath(import.meta.url);

/** The failover child: take the lock, report the lease, hold until killed (or orphaned). */
async function holderMain() {
  const [endpoint, ttl, lockDelay] = process.argv.slice(3);
  process.on('disconnect', () => process.exit(2)); // the bench died: do not outlive it
  const etcd = connectEtcd({ endpoints: [endpoint] });
  const session = await LockSession.open(sessionOptions({ ttl: Number(ttl), lockDelay: Number(lockDelay) }, 'holder', etcd));
  const grant = await session.lock('failover').take();
  process.send({ held: true, leaseId: session.leaseId, leaseHex: session.leaseHex, token: grant.token.toString() });
}

/** One renewal of lease `leaseId` (as its holder's keepalive would); resolves on etcd's answer. */
async function renewLease(etcd, leaseId) {
  const stream = await etcd.leaseClient.leaseKeepAlive();
  try {
    const response = await within(
      STEP_TIMEOUT_MS,
      'lease keepalive',
      new Promise((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
        stream.write({ ID: leaseId });
      }),
    );
    if (Number(response.TTL) <= 0) throw new Error(`lease ${leaseId} had expired before the kill`);
    return Number(response.TTL);
  } finally {
    stream.end();
  }
}

async function failoverOnce(ctx, b, opts, round) {
  // The holder.
  const child = fork(SELF, ['--holder', ctx.etcdServer.endpoint, String(opts.ttl), String(opts.lockDelay)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const proc = trackExit(child, live);
  ctx.children.add(child);
  try {
    const held = await within(
      STEP_TIMEOUT_MS,
      'the child taking the lock',
      new Promise((resolve, reject) => {
        child.once('message', resolve);
        proc.exited.then(() => reject(new Error(`the failover child exited (${proc.description()}) before it held the lock`)));
      }),
    );

    // Watch the child's queue key: its deletion is the lease expiring in etcd.
    const queueKey = lockKeys(PREFIX, 'failover').queueKey(held.leaseHex);
    const watcher = await ctx.bare.watch().key(queueKey).create();
    let expiredAt = null;
    watcher.on('delete', () => (expiredAt ??= performance.now()));
    try {
      // Node B queues behind the child.
      const lock = b.lock('failover');
      const pending = lock.take();
      pending.catch(() => {}); // awaited below
      for (const deadline = Date.now() + STEP_TIMEOUT_MS; ;) {
        const queued = await ctx.bare.getAll().prefix(lockKeys(PREFIX, 'failover').queuePrefix.toString()).keys();
        if (queued.length >= 2) break;
        if (Date.now() >= deadline) throw new Error('node B did not queue behind the failover child');
        await delay(10);
      }
      await delay(100); // B's watch on its predecessor

      // Worst case: the lease renewed just before the holder dies.
      const ttlAfterRenewal = await renewLease(ctx.bare, held.leaseId);
      const t0 = performance.now();
      child.kill('SIGKILL');
      const grant = await within(opts.ttl * 1000 + opts.lockDelay + 30_000, "the waiter's grant after the kill", pending);
      const t1 = performance.now();
      await within(STEP_TIMEOUT_MS, 'the killed child exiting', proc.exited);
      if (!grant.previousHolderDied) throw new Error(`failover ${round}: the grant did not see that the holder died`);
      if (!grant.dirty) throw new Error(`failover ${round}: the grant after a dead holder was not dirty`);
      if (grant.previousHolder !== 'holder') throw new Error(`failover ${round}: previous holder ${grant.previousHolder}, expected the child`);
      if (expiredAt === null) throw new Error(`failover ${round}: the grant came before etcd deleted the dead holder's queue key`);
      await within(STEP_TIMEOUT_MS, 'release after the failover', lock.release());
      return { grantMs: t1 - t0, expiryMs: expiredAt - t0, ttlAfterRenewal };
    } finally {
      await watcher.cancel().catch(() => {});
    }
  } finally {
    if (!proc.hasExited()) child.kill('SIGKILL');
    await proc.exited;
    ctx.children.delete(child);
  }
}

async function failovers(ctx, b, opts) {
  const results = [];
  for (let i = 1; i <= opts.failovers; i++) {
    progress(`failover ${i}/${opts.failovers}: child takes the lock, node B waits, lease renewed, kill -9 (TTL ${opts.ttl} s, lock delay ${opts.lockDelay} ms)`);
    const r = await failoverOnce(ctx, b, opts, i);
    progress(`failover ${i}: grant ${secs(r.grantMs)} after the kill (lease expired after ${secs(r.expiryMs)})`);
    results.push(r);
  }
  return results;
}

// ---- main -------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  tempDir = mkdtempSync(join(tmpdir(), 'thinfleet-bench-lock-'));
  const dataDir = join(tempDir, 'etcd');
  const fsType = spawnSync('stat', ['-f', '-c', '%T', tempDir], { encoding: 'utf8' }).stdout.trim() || 'unknown';
  const ctx = { cleanups: [], children: new Set(), etcdServer: null, bare: null };
  const run = async (what, fn) => {
    try {
      await fn();
    } catch (err) {
      progress(`cleanup (${what}): ${err?.message ?? err}`);
    }
  };
  let results;
  try {
    progress(`starting etcd (fsync ${opts.fsync ? 'on' : 'off'}) in ${dataDir}`);
    const server = await startEtcd({ name: 'bench', dataDir, fsync: opts.fsync });
    ctx.etcdServer = server;
    ctx.cleanups.push(['etcd', () => server.dispose()]);

    const client = (label) => {
      const etcd = connectEtcd({ endpoints: [server.endpoint] });
      ctx.cleanups.push([`${label} client`, () => etcd.close()]);
      return etcd;
    };
    const session = async (label, etcd) => {
      const s = await within(STEP_TIMEOUT_MS, `${label} session`, LockSession.open(sessionOptions(opts, label, etcd)));
      ctx.cleanups.push([`${label} session`, () => within(STEP_TIMEOUT_MS, `closing ${label}`, s.close())]);
      return s;
    };
    const etcdA = client('node-a');
    const etcdB = client('node-b');
    ctx.bare = client('observer');
    ctx.cleanups.push([
      'failover children',
      async () => {
        for (const child of ctx.children) child.kill('SIGKILL');
      },
    ]);
    const a = await session('node-a', etcdA);
    const b = await session('node-b', etcdB);

    results = { server, fsType };
    results.baseline = await baseline(etcdA, opts);
    results.uncontended = await uncontended(a, opts);
    results.handover = await handovers(a, b, opts);
    results.failover = opts.failovers > 0 ? await failovers(ctx, b, opts) : [];
  } finally {
    for (const [what, cleanup] of ctx.cleanups.reverse()) await run(what, cleanup);
    rmSync(tempDir, { recursive: true, force: true });
    tempDir = null;
  }

  const { server, baseline: base, uncontended: u, handover: h, failover: f } = results;
  const version = spawnSync(server.binary, ['--version'], { encoding: 'utf8' }).stdout?.match(/etcd Version: (\S+)/)?.[1] ?? 'unknown';
  out(`bench:lock on this host, node ${process.version}, etcd ${version} (${server.binary}${server.underSetpriv ? ', under setpriv --pdeathsig' : ''})`);
  out(`  one member on 127.0.0.1, data dir on ${fsType} in ${tmpdir()}, fsync ${opts.fsync ? 'ON (every raft write is fsynced: realistic)' : 'OFF (--unsafe-no-fsync, as the tests run)'},`);
  out(`  heartbeat 10 ms, election timeout 100 ms; sessions with TTL ${opts.ttl} s, lock delay ${opts.lockDelay} ms; clients from connectEtcd()`);
  out();
  out("bare etcd round trips (node A's client)");
  row('put (one raft write)', fmtStats(base.put));
  row('get (linearizable read)', fmtStats(base.get));
  out();
  out('lock, uncontended (one node, one lock)');
  row('take()', `${fmtStats(u.take)}  = ${(u.take.p50 / base.put.p50).toFixed(1)}x put by p50`);
  row('release()', `${fmtStats(u.release)}  = ${(u.release.p50 / base.put.p50).toFixed(1)}x put by p50`);
  out();
  out(`lock, handover between two nodes (waiter queued, holder releases; ${WARM_UP} untimed first)`);
  row("release() call -> waiter's take() resolves", `${fmtStats(h.handover)}  = ${(h.handover.p50 / base.put.p50).toFixed(1)}x put by p50`);
  row('  of which the release() call', fmtStats(h.release));
  out();
  if (f.length > 0) {
    out(`lock, failover after kill -9 of the holder (its lease renewed just before the kill: worst case; TTL ${opts.ttl} s, lock delay ${opts.lockDelay} ms)`);
    f.forEach((r, i) =>
      row(
        `failover ${i + 1}: kill -> grant`,
        `${secs(r.grantMs)}  (kill -> lease expired in etcd ${secs(r.expiryMs)}; then ${secs(r.grantMs - r.expiryMs)} to the grant, lock delay included)`,
      ),
    );
  } else {
    out('lock, failover: not measured (--failovers 0)');
  }
  out();
  out('goals (design.md, "Numbers to beat"), beside bare put / get');
  row(`take p50 <= ${TAKE_PUT_RATIO_GOAL}x put`, `${(u.take.p50 / base.put.p50).toFixed(2)}x ${verdict(u.take.p50 <= TAKE_PUT_RATIO_GOAL * base.put.p50)}`);
  row(`handover p50 <= ${HANDOVER_PUT_RATIO_GOAL}x put`, `${(h.handover.p50 / base.put.p50).toFixed(2)}x ${verdict(h.handover.p50 <= HANDOVER_PUT_RATIO_GOAL * base.put.p50)}`);
  row(`take p50 <= ${TAKE_P50_GOAL_MS} ms`, `${ms(u.take.p50)} ${verdict(u.take.p50 <= TAKE_P50_GOAL_MS)}   (put p50 ${ms(base.put.p50)}, get p50 ${ms(base.get.p50)})`);
  row(`take p99 <= ${TAKE_P99_GOAL_MS} ms`, `${ms(u.take.p99)} ${verdict(u.take.p99 <= TAKE_P99_GOAL_MS)}   (put p99 ${ms(base.put.p99)}, get p99 ${ms(base.get.p99)})`);
  row(`handover p50 <= ${HANDOVER_P50_GOAL_MS} ms`, `${ms(h.handover.p50)} ${verdict(h.handover.p50 <= HANDOVER_P50_GOAL_MS)}   (p99 ${ms(h.handover.p99)})`);
  if (f.length > 0) {
    const worst = Math.max(...f.map((r) => r.grantMs));
    const goal = opts.ttl * 1000 + FAILOVER_SLACK_MS;
    row(`failover <= TTL + 2 s = ${secs(goal)}`, `slowest of ${f.length} ${secs(worst)} ${verdict(worst <= goal)}   (lock delay ${opts.lockDelay} ms inside it)`);
  }
  out(`  etcd fsync was ${opts.fsync ? 'ON' : 'OFF (--no-fsync)'} for every figure above`);
}

if (process.argv[2] === '--holder') {
  // Internal: the failover child (see part 4). Any error is its exit code.
  holderMain().catch((err) => {
    console.error(`bench:lock holder FAILED: ${err?.stack ?? err}`);
    process.exit(1);
  });
} else {
  try {
    await main();
  } catch (err) {
    console.error(`bench:lock FAILED: ${err?.stack ?? err}`);
    process.exitCode = 1;
  }
}
