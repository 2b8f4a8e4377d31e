#!/usr/bin/env node
// bench:cluster — one coordinator on one local etcd, carrying many hosts and pools. Run by
// `npm run bench:cluster` on the host (no root, no VM); prints figures beside their anchors from
// the same run, with PASS/BELOW against the goals of issue 16 item 6 and design.md ("Numbers to
// beat"). A benchmark, not a test: a missed goal is printed, an error is an exit code.
//
//   node test/bench/cluster.bench.mjs [options]
//     --hosts H            simulated hosts (default 100)
//     --pools P            pools (default 2000)
//     --victim-pools V     pools held by the host that is killed (default 100; the others are
//                          spread over the other hosts)
//     --ttl T              lease TTL in s (default 5); --lock-delay D in ms (default 1000)
//     --moves-per-minute M pool moves per minute in the moves part (default 1000)
//     --moves-seconds S    how long the moves part runs (default 30)
//     --routed N           routed and direct calls, each (default 300)
//     --lock-n N           timed puts and uncontended takes (default 300); --handovers N (default 100)
//     --keepalive-seconds S  how long the keepalive flood runs (default 5)
//     --no-fsync           etcd with --unsafe-no-fsync (default: fsync on, as deployed)
//
// What runs, on 127.0.0.1 and a unix socket: etcd (test/support/etcd-server.mjs, as bench:lock), the real
// coordinator as its own process (services/coordinator/bin/thinfleet-coordinator.mjs, so its CPU
// is not this process's), one fake agent gRPC server on a unix socket (VolumeService GetVolume and ListVolumes,
// PoolService GetPool: trivial answers, one active volume per pool) and the agents SIMULATED IN
// BULK by this process: each host is a real SessionService.Connect stream on its own channel,
// speaking proto/thinfleet/coordinator/v1/session.proto as services/agent/src/cluster does
// (Hello with the pools it reaches, KeepAlive every TTL/3, Take on Acquire, PoolReady on Granted,
// Release on Contention), but WITHOUT DEVICE WORK: a grant is reported ready at once, a release
// is sent at once. So the figures are the coordinator's and etcd's, not a pool's activation.
// Every simulated host gives the fake agent's address, so the coordinator's calls to owners
// (the index refresh after PoolReady, routed calls) all reach that one server.
//
// Parts:
// 1. lock vs put, before any load: bare etcd put p50, the lock's uncontended take and its
//    hand-over between two sessions (packages/lock, as bench:lock measures them).
// 2. sessions: H hosts say Hello at once; sessions per second = H / (last Welcome - first Hello).
// 3. initial grants: every host takes its pools one after another, as an agent starting up
//    activates them (all hosts at once: H takes in flight); Take -> Granted p50/p99, then the time
//    until all pools are served (an owner record in etcd for each).
// 4. keepalives: every host sends its next KeepAlive as soon as the last is acked, for S seconds:
//    acked keepalives per second (each one renews the host's etcd lease).
// 5. moves: M pool moves a minute for S seconds, each to another host that reaches the pool:
//    grant latency (the taker's Take -> its Granted) and hand-over latency (the holder's Release
//    -> the taker's Granted), p50/p99; etcd's requests, writes and WAL bytes per move, from its
//    /metrics before and after (a move = one Take, one Release, one PoolReady and the index
//    refresh the coordinator does after it).
// 6. routed calls: GetVolume straight to the fake agent and through the coordinator, N each,
//    interleaved; the overhead is the difference.
// 7. failover: the victim host's lease is renewed (worst case), then its channel is closed at
//    once (a killed agent); timed from the kill until every one of its pools has an owner
//    record naming another host. Goal: within TTL + lock delay + 2 s. Its steps, from a watch of
//    etcd: the lease's expiry (the victim's host record deleted), the coordinator's decisions
//    (acquire requests), the grants, the owner records; and how the pools were spread.
//
// Anchors without a goal of the issue: sessions per second against all hosts resuming within
// TTL - margin, keepalives against 3 per host per TTL, latencies under moves against the idle
// lock's, etcd's cost per grant against a bare put's (measured after part 1).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { credentials, Metadata, Server, ServerCredentials } from '@grpc/grpc-js';
import { connectEtcd, LockSession } from '@thinfleet/lock';
import { loadAgentApi, loadCoordinatorApi } from '@thinfleet/proto';
import { walkArgs, wholeNumber } from '../support/args.mjs';
import { startEtcd } from '../support/etcd-server.mjs';
import { delay, ms, stats, verdict, within } from './bench-stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COORDINATOR_BIN = join(ROOT, 'services/coordinator/bin/thinfleet-coordinator.mjs');
const PREFIX = 'thinfleet/';
const TAKE_GOAL = 1.3;
const HANDOVER_GOAL = 3;
const FAILOVER_SLACK_MS = 2000;
const WARM_UP = 20;
const STEP_TIMEOUT_MS = 60_000;
const PUT_COST_N = 100;

function parseArgs(argv) {
  const o = {
    hosts: 100,
    pools: 2000,
    victimPools: 100,
    ttl: 5,
    lockDelay: 1000,
    movesPerMinute: 1000,
    movesSeconds: 30,
    routed: 300,
    lockN: 300,
    handovers: 100,
    keepaliveSeconds: 5,
    fsync: true,
  };
  const rest = walkArgs(argv, (a, value) => {
    if (a === '--hosts') o.hosts = wholeNumber(a, value(), 4);
    else if (a === '--pools') o.pools = wholeNumber(a, value(), 4);
    else if (a === '--victim-pools') o.victimPools = wholeNumber(a, value(), 1);
    else if (a === '--ttl') o.ttl = wholeNumber(a, value(), 2);
    else if (a === '--lock-delay') o.lockDelay = wholeNumber(a, value(), 1000);
    else if (a === '--moves-per-minute') o.movesPerMinute = wholeNumber(a, value(), 1);
    else if (a === '--moves-seconds') o.movesSeconds = wholeNumber(a, value(), 1);
    else if (a === '--routed') o.routed = wholeNumber(a, value(), 1);
    else if (a === '--lock-n') o.lockN = wholeNumber(a, value(), 1);
    else if (a === '--handovers') o.handovers = wholeNumber(a, value(), 1);
    else if (a === '--keepalive-seconds') o.keepaliveSeconds = wholeNumber(a, value(), 1);
    else if (a === '--no-fsync') o.fsync = false;
    else throw new Error(`unknown option ${a}`);
  });
  if (rest.length > 0) throw new Error(`unexpected arguments after --: ${rest.join(' ')}`);
  if (o.victimPools >= o.pools) throw new Error('--victim-pools must be below --pools');
  return o;
}

// ---- output ------------------------------------------------------------------------------

const started = performance.now();
const progress = (msg) => console.error(`[bench:cluster +${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const out = (line = '') => console.log(line);
const fmt = (s) => `p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, max ${ms(s.max)} (n=${s.n})`;
const row = (label, text) => out(`  ${label.padEnd(46)}${text}`);
// ---- etcd metrics ------------------------------------------------------------------------

/** The counters of etcd's /metrics that say what a grant costs (Debian's etcd 3.4 has these). */
async function etcdCounters(endpoint) {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  const c = { requests: 0, puts: 0, deletes: 0, txns: 0, ranges: 0, walBytes: 0, proposals: 0 };
  for (const line of text.split('\n')) {
    const [name, value] = line.split(' ');
    const v = Number(value);
    if (name.startsWith('grpc_server_started_total{') && name.includes('grpc_type="unary"')) c.requests += v;
    else if (name === 'etcd_mvcc_put_total') c.puts = v;
    else if (name === 'etcd_mvcc_delete_total') c.deletes = v;
    else if (name === 'etcd_mvcc_txn_total') c.txns = v;
    else if (name === 'etcd_mvcc_range_total') c.ranges = v;
    else if (name === 'etcd_disk_wal_write_bytes_total') c.walBytes = v;
    else if (name === 'etcd_server_proposals_committed_total') c.proposals = v;
  }
  return c;
}

// ---- the fake agent ----------------------------------------------------------------------

/** A trivial agent API: one active volume per pool; answers carry no device work. */
async function startFakeAgent(dir) {
  const api = loadAgentApi();
  const server = new Server();
  const volume = (pool) => ({ name: 'vm-1', uuid: `00000000-0000-4000-8000-${pool.slice(-12).padStart(12, '0')}`, pool, sizeBytes: 1073741824, active: true });
  server.addService(api.VolumeService.service, {
    GetVolume: (call, cb) => cb(null, { volume: volume(call.request.pool) }),
    ListVolumes: (call, cb) => cb(null, { volumes: [volume(call.request.pool)] }),
  });
  server.addService(api.PoolService.service, {
    GetPool: (call, cb) => cb(null, { pool: { name: call.request.name, uuid: poolUuid(call.request.name), dataTotalBytes: 1 << 30, dataUsedBytes: 1 << 20, dataBlockBytes: 65536 } }),
  });
  // A unix socket, as agents serve the coordinator without TLS (TCP needs mutual TLS).
  const address = `unix:${join(dir, 'agent.sock')}`;
  await new Promise((resolve, reject) => server.bindAsync(address, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return { server, address, api };
}

const poolName = (i) => `p${String(i).padStart(5, '0')}`;
const hostName = (i) => `host-${String(i).padStart(3, '0')}`;
function poolUuid(name) {
  const n = name.slice(1).padStart(12, '0');
  return `11111111-2222-4333-8444-${n}`;
}

// ---- simulated hosts -----------------------------------------------------------------------

/**
 * One simulated agent: a SessionService.Connect stream on its own channel. Reacts as the agent's
 * cluster node does, minus the devices: Acquire -> Take; Granted -> PoolReady; Contention ->
 * Release of a pool it holds.
 */
class SimHost {
  constructor(api, coordinator, nodeId, reaches, agentAddress, world) {
    this.nodeId = nodeId;
    this.reaches = reaches;
    this.world = world;
    this.client = new api.SessionService(coordinator, credentials.createInsecure());
    this.stream = this.client.Connect();
    this.agentAddress = agentAddress;
    this.requestId = 0;
    this.pending = new Map(); // requestId -> {resolve, reject, at}
    this.seq = 0;
    this.acks = new Map(); // seq -> resolve
    this.keepaliveTimer = null;
    this.dead = false;
    this.releasing = new Set();
    this.stream.on('data', (m) => this.onMessage(m));
    this.stream.on('error', () => {});
  }

  send(message) {
    if (!this.dead) this.stream.write(message);
  }

  hello() {
    const pools = this.reaches.map((name) => ({ name, uuid: poolUuid(name), devices: [`/dev/disk/by-id/${name}`], active: false, dataSizeBytes: 1 << 30, dataUsedBytes: 0 }));
    this.welcome = new Promise((resolve) => (this.onWelcome = resolve));
    this.send({ hello: { nodeId: this.nodeId, address: this.agentAddress, pools, version: 'bench', fencing: 'watchdog', watchdogTimeoutSeconds: 1 } });
    return this.welcome;
  }

  keepAlive() {
    const seq = ++this.seq;
    const acked = new Promise((resolve) => this.acks.set(seq, resolve));
    this.send({ keepAlive: { seq } });
    return acked;
  }

  take(pool) {
    const id = ++this.requestId;
    const answer = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, at: performance.now() }));
    this.send({ take: { requestId: id, pool } });
    return answer;
  }

  onMessage(m) {
    switch (m.message) {
      case 'welcome':
        // As the agent does: a keepalive at once, then every TTL/3.
        void this.keepAlive();
        this.keepaliveTimer = setInterval(() => void this.keepAlive(), Math.floor((m.welcome.ttlSeconds * 1000) / 3));
        this.onWelcome(m.welcome);
        return;
      case 'keepAliveAck': {
        const seq = Number(m.keepAliveAck.seq);
        this.acks.get(seq)?.();
        this.acks.delete(seq);
        return;
      }
      case 'acquire':
        // The coordinator asks (a routed call or a failover): take it, as the agent does.
        void this.take(m.acquire.pool).catch(() => {});
        return;
      case 'granted': {
        const g = m.granted;
        const at = performance.now();
        this.world.owner.set(g.pool, this);
        this.send({ poolReady: { pool: g.pool, token: g.token, volumeCount: 1 } });
        const p = this.pending.get(Number(g.requestId));
        this.pending.delete(Number(g.requestId));
        p?.resolve({ ...g, grantMs: at - p.at, at });
        this.world.onGranted?.(g, this, at);
        return;
      }
      case 'contention': {
        const pool = m.contention.pool;
        if (this.world.owner.get(pool) !== this || this.releasing.has(pool)) return;
        this.releasing.add(pool);
        this.world.onRelease?.(pool, this, performance.now());
        this.send({ release: { requestId: ++this.requestId, pool } });
        return;
      }
      case 'released':
        this.releasing.delete(m.released.pool);
        return;
      case 'failed': {
        const p = this.pending.get(Number(m.failed.requestId));
        this.pending.delete(Number(m.failed.requestId));
        p?.reject(new Error(`${this.nodeId} ${m.failed.pool}: ${m.failed.code} ${m.failed.message}`));
        return;
      }
      case 'sessionLost':
        this.world.lost.push(`${this.nodeId}: ${m.sessionLost.reason}`);
        return;
      default:
    }
  }

  /** A killed agent: no more keepalives, its connection gone at once. */
  kill() {
    this.dead = true;
    clearInterval(this.keepaliveTimer);
    this.stream.cancel();
    this.client.close();
  }

  close() {
    if (this.dead) return;
    clearInterval(this.keepaliveTimer);
    this.dead = true;
    this.stream.end();
    this.client.close();
  }
}

// ---- part 1: the lock beside a bare put ---------------------------------------------------------

async function lockVsPut(endpoint, o) {
  progress(`lock vs put: ${o.lockN} puts, ${o.lockN} uncontended take+release, ${o.handovers} hand-overs`);
  const ea = connectEtcd({ endpoints: [endpoint] });
  const eb = connectEtcd({ endpoints: [endpoint] });
  const opts = (nodeId, etcd) => ({ etcd, nodeId, prefix: 'bench/locks/', ttlSeconds: 10, lockDelayMs: 1000 });
  const a = await LockSession.open(opts('a', ea));
  const b = await LockSession.open(opts('b', eb));
  try {
    const value = JSON.stringify({ holder: 'node-a', lease: '694d7a1b2c3d4e5f', released: true });
    const put = [];
    const take = [];
    for (let i = 0; i < WARM_UP + o.lockN; i++) {
      const t0 = performance.now();
      await ea.put('bench/put').value(value);
      const t1 = performance.now();
      await a.lock('u').take();
      const t2 = performance.now();
      await a.lock('u').release();
      if (i >= WARM_UP) (put.push(t1 - t0), take.push(t2 - t1));
    }
    const locks = [a.lock('h'), b.lock('h')];
    await locks[0].take();
    let holder = 0;
    const handover = [];
    for (let i = 0; i < WARM_UP + o.handovers; i++) {
      const waiter = 1 - holder;
      const contended = new Promise((r) => locks[holder].once('contention', r));
      const pending = locks[waiter].take();
      await within(STEP_TIMEOUT_MS, 'contention', contended);
      await delay(25); // the waiter's watches are set up, as bench:lock waits
      const t0 = performance.now();
      await locks[holder].release();
      const grant = await within(STEP_TIMEOUT_MS, 'hand-over grant', pending);
      if (!grant.dirty) throw new Error('a hand-over grant was not dirty');
      if (i >= WARM_UP) handover.push(performance.now() - t0);
      holder = waiter;
    }
    await locks[holder].release();
    // What one bare put costs etcd, the anchor of the cost of a grant (part 5).
    const before = await etcdCounters(endpoint);
    for (let i = 0; i < PUT_COST_N; i++) await ea.put('bench/put').value(value);
    const after = await etcdCounters(endpoint);
    const putCost = { requests: (after.requests - before.requests) / PUT_COST_N, walBytes: (after.walBytes - before.walBytes) / PUT_COST_N };
    return { put: stats(put), take: stats(take), handover: stats(handover), putCost };
  } finally {
    await a.close();
    await b.close();
    ea.close();
    eb.close();
  }
}

// ---- the coordinator process -------------------------------------------------------------

async function startCoordinator(dir, etcdEndpoint, o) {
  const config = join(dir, 'coordinator.json');
  writeFileSync(
    config,
    JSON.stringify({
      listen: '127.0.0.1:0',
      metricsListen: '127.0.0.1:0',
      stateDir: join(dir, 'coordinator'),
      coordinatorId: 'bench',
      etcd: { endpoints: [etcdEndpoint], tls: null, prefix: PREFIX },
      lock: { ttlSeconds: o.ttl, marginMs: Math.min(2000, o.ttl * 200), lockDelayMs: o.lockDelay, watchdogTimeoutSeconds: 1 },
      logLevel: 'warn',
    }),
  );
  const logFile = join(dir, 'coordinator.log');
  const fd = openSync(logFile, 'a');
  // info level only for the one line that says where it serves: warn keeps the log small.
  const child = spawn(process.execPath, [COORDINATOR_BIN, '--config', config, '--log-level', 'info'], { stdio: ['ignore', fd, fd] });
  process.on('exit', () => child.kill('SIGKILL'));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = readFileSync(logFile, 'utf8')
      .split('\n')
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return null;
        }
      })
      .find((l) => l?.msg === 'coordinator serving');
    if (line) return { child, address: line.address, logFile };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the coordinator did not start: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    await delay(50);
  }
}

// ---- main ----------------------------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const load0 = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'thinfleet-bench-cluster-'));
  const cleanups = [];
  const r = {};
  try {
    progress(`starting etcd (fsync ${o.fsync ? 'on' : 'off'})`);
    const etcdServer = await startEtcd({ name: 'bench', dataDir: join(dir, 'etcd'), fsync: o.fsync });
    cleanups.push(() => etcdServer.dispose());
    r.etcdVersion = spawnSync(etcdServer.binary, ['--version'], { encoding: 'utf8' }).stdout?.match(/etcd Version: (\S+)/)?.[1] ?? 'unknown';

    r.lock = await lockVsPut(etcdServer.endpoint, o);

    const agent = await startFakeAgent(dir);
    cleanups.push(() => agent.server.forceShutdown());
    const coord = await startCoordinator(dir, etcdServer.endpoint, o);
    cleanups.push(() => coord.child.kill('SIGKILL'));
    progress(`coordinator serving on ${coord.address} (pid ${coord.child.pid}); fake agent on ${agent.address}`);
    const observer = connectEtcd({ endpoints: [etcdServer.endpoint] });
    cleanups.push(() => observer.close());

    // Who reaches and who first holds each pool: the victim holds the first V pools, the others
    // are dealt round-robin over the other hosts; each pool is reached by its holder and the
    // next two hosts (shared storage), which is where moves and failover can send it.
    const holderOf = (i) => (i < o.victimPools ? 0 : 1 + ((i - o.victimPools) % (o.hosts - 1)));
    const reaches = Array.from({ length: o.hosts }, () => []);
    for (let i = 0; i < o.pools; i++) for (let k = 0; k < 3; k++) reaches[(holderOf(i) + k) % o.hosts].push(poolName(i));
    const world = { owner: new Map(), lost: [] };
    const coordinatorApi = loadCoordinatorApi();

    // Part 2: sessions.
    progress(`sessions: ${o.hosts} hosts say Hello at once`);
    const hosts = reaches.map((pools, i) => new SimHost(coordinatorApi, coord.address, hostName(i), pools, agent.address, world));
    cleanups.push(async () => hosts.forEach((h) => h.close()));
    const t0 = performance.now();
    await within(STEP_TIMEOUT_MS, 'welcomes', Promise.all(hosts.map((h) => h.hello())));
    r.sessionsPerSecond = o.hosts / ((performance.now() - t0) / 1000);

    // Part 3: initial grants.
    progress(`initial grants: ${o.pools} pools taken by their first holders, each host one pool after another`);
    const t1 = performance.now();
    const grants = [];
    await within(
      STEP_TIMEOUT_MS * 3,
      'initial grants',
      Promise.all(
        hosts.map(async (h, hi) => {
          for (let i = 0; i < o.pools; i++) if (holderOf(i) === hi) grants.push(await h.take(poolName(i)));
        }),
      ),
    );
    const grantedAll = performance.now() - t1;
    const ownersCount = async () => (await observer.getAll().prefix(`${PREFIX}owners/`).keys()).length;
    for (const dl = Date.now() + STEP_TIMEOUT_MS; (await ownersCount()) < o.pools;) {
      if (Date.now() > dl) throw new Error('not every pool got an owner record');
      await delay(100);
    }
    r.initial = { grant: stats(grants.map((g) => g.grantMs)), allGrantedMs: grantedAll, allServedMs: performance.now() - t1 };

    // Part 4: keepalive flood.
    progress(`keepalives: each host back to back for ${o.keepaliveSeconds} s`);
    let acked = 0;
    const kaEnd = performance.now() + o.keepaliveSeconds * 1000;
    const t2 = performance.now();
    await Promise.all(
      hosts.map(async (h) => {
        while (performance.now() < kaEnd) {
          await within(STEP_TIMEOUT_MS, 'keepalive ack', h.keepAlive());
          acked += 1;
        }
      }),
    );
    r.keepalivesPerSecond = acked / ((performance.now() - t2) / 1000);

    // Part 5: moves.
    const moves = Math.round((o.movesPerMinute * o.movesSeconds) / 60);
    progress(`moves: ${moves} moves over ${o.movesSeconds} s (${o.movesPerMinute}/min)`);
    const releasedAt = new Map();
    world.onRelease = (pool, _host, at) => releasedAt.set(pool, at);
    const before = await etcdCounters(etcdServer.endpoint);
    const moving = new Set();
    const grantMs = [];
    const handoverMs = [];
    const movesDone = [];
    const intervalMs = 60_000 / o.movesPerMinute;
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const t3 = performance.now();
    for (let m = 0; m < moves; m++) {
      const due = t3 + m * intervalMs;
      if (performance.now() < due) await delay(due - performance.now());
      let i;
      do i = o.victimPools + Math.floor(random() * (o.pools - o.victimPools));
      while (moving.has(i));
      const pool = poolName(i);
      const from = world.owner.get(pool);
      const candidates = hosts.filter((h) => h !== from && h.reaches.includes(pool));
      const to = candidates[Math.floor(random() * candidates.length)];
      moving.add(i);
      movesDone.push(
        to.take(pool).then((g) => {
          moving.delete(i);
          grantMs.push(g.grantMs);
          const rel = releasedAt.get(pool);
          if (rel !== undefined) handoverMs.push(g.at - rel);
          releasedAt.delete(pool);
          if (!g.dirty) throw new Error(`move of ${pool}: the grant was not dirty`);
        }),
      );
    }
    await within(STEP_TIMEOUT_MS, 'the last moves', Promise.all(movesDone));
    const movesWallMs = performance.now() - t3;
    await delay(500); // the last PoolReady and index refreshes
    const after = await etcdCounters(etcdServer.endpoint);
    const per = (k) => (after[k] - before[k]) / moves;
    r.moves = { n: moves, wallS: movesWallMs / 1000, grant: stats(grantMs), handover: stats(handoverMs), per: Object.fromEntries(Object.keys(before).map((k) => [k, per(k)])) };

    // Part 6: routed calls.
    progress(`routed calls: ${o.routed} GetVolume direct and through the coordinator`);
    const direct = new agent.api.VolumeService(agent.address, credentials.createInsecure());
    const routed = new agent.api.VolumeService(coord.address, credentials.createInsecure());
    cleanups.push(async () => (direct.close(), routed.close()));
    const call = (client, pool) =>
      new Promise((resolve, reject) => client.GetVolume({ pool, name: 'vm-1' }, new Metadata(), { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res))));
    const d = [];
    const rt = [];
    for (let k = 0; k < WARM_UP + o.routed; k++) {
      const pool = poolName(o.victimPools + (k % (o.pools - o.victimPools)));
      const a0 = performance.now();
      await call(direct, pool);
      const a1 = performance.now();
      await call(routed, pool);
      const a2 = performance.now();
      if (k >= WARM_UP) (d.push(a1 - a0), rt.push(a2 - a1));
    }
    r.routed = { direct: stats(d), routed: stats(rt) };

    // Part 7: failover of every pool of one killed host.
    const victim = hosts[0];
    const victimPools = new Set(Array.from({ length: o.victimPools }, (_, i) => poolName(i)));
    progress(`failover: ${victim.nodeId} (${victimPools.size} pools) renewed, then killed`);
    const served = new Map();
    const watcher = await observer.watch().prefix(`${PREFIX}owners/`).create();
    cleanups.push(() => watcher.cancel());
    let tKill = 0;
    const allServed = new Promise((resolve) =>
      watcher.on('put', (kv) => {
        const pool = kv.key.toString().slice(`${PREFIX}owners/`.length);
        if (!victimPools.has(pool) || tKill === 0) return;
        if (JSON.parse(kv.value.toString()).nodeId === victim.nodeId) return;
        if (!served.has(pool)) served.set(pool, performance.now() - tKill);
        if (served.size === victimPools.size) resolve();
      }),
    );
    // The failover's steps, seen from etcd: the lease's expiry (the victim's host record deleted
    // with it), each pool's acquire request (the coordinator's decision), its owner record.
    const steps = { expiredMs: null, asked: [], granted: [], servedBy: new Map() };
    world.onGranted = (g, _host, at) => {
      if (tKill !== 0 && victimPools.has(g.pool)) steps.granted.push(at - tKill);
    };
    const stepWatcher = await observer.watch().prefix(PREFIX).create();
    cleanups.push(() => stepWatcher.cancel());
    stepWatcher.on('delete', (kv) => {
      if (tKill !== 0 && steps.expiredMs === null && kv.key.toString() === `${PREFIX}hosts/${victim.nodeId}`) steps.expiredMs = performance.now() - tKill;
    });
    stepWatcher.on('put', (kv) => {
      const key = kv.key.toString();
      if (tKill === 0) return;
      if (key.startsWith(`${PREFIX}acquire/`) && victimPools.has(key.slice(key.lastIndexOf('/') + 1))) steps.asked.push(performance.now() - tKill);
      if (key.startsWith(`${PREFIX}owners/`) && victimPools.has(key.slice(`${PREFIX}owners/`.length))) {
        const node = JSON.parse(kv.value.toString()).nodeId;
        if (node !== victim.nodeId) steps.servedBy.set(node, (steps.servedBy.get(node) ?? 0) + 1);
      }
    });
    await within(STEP_TIMEOUT_MS, 'victim keepalive', victim.keepAlive());
    tKill = performance.now();
    victim.kill();
    await within(o.ttl * 1000 + o.lockDelay + 60_000, 'every victim pool served again', allServed);
    r.failover = {
      pools: victimPools.size,
      served: stats([...served.values()]),
      expiredMs: steps.expiredMs,
      asked: stats(steps.asked),
      granted: stats(steps.granted),
      servedBy: [...steps.servedBy].sort(),
    };
    r.lost = world.lost.filter((l) => !l.startsWith(victim.nodeId));
  } finally {
    r.load = [load0, loadavg()];
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // cleanup is best effort
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  report(r, o);
}

function report(r, o) {
  const [l0, l1] = r.load;
  out(`bench:cluster on this host, node ${process.version}, etcd ${r.etcdVersion}, fsync ${o.fsync ? 'ON' : 'OFF'}; ${o.hosts} simulated hosts, ${o.pools} pools`);
  out(`  load average at start ${l0.map((x) => x.toFixed(2)).join(' ')}, at end ${l1.map((x) => x.toFixed(2)).join(' ')} (shared 2-core machine: figures move with it)`);
  out(`  TTL ${o.ttl} s, lock delay ${o.lockDelay} ms; agents simulated without device work (see the header)`);
  out();
  out('lock beside a bare etcd put (same etcd, before the load)');
  row('bare put', fmt(r.lock.put));
  row('take() uncontended', `${fmt(r.lock.take)}  = ${(r.lock.take.p50 / r.lock.put.p50).toFixed(2)}x put`);
  row("hand-over (release() -> waiter's grant)", `${fmt(r.lock.handover)}  = ${(r.lock.handover.p50 / r.lock.put.p50).toFixed(2)}x put`);
  out();
  const marginMs = Math.min(2000, o.ttl * 200);
  // Anchors: every host of a coordinator that died must be welcomed again (resumed) within its
  // deadline, TTL - margin; every host renews 3 times per TTL.
  const sessionsNeeded = o.hosts / ((o.ttl * 1000 - marginMs) / 1000);
  const keepalivesNeeded = (o.hosts * 3) / o.ttl;
  out('sessions and keepalives');
  row('sessions opened per second', `${r.sessionsPerSecond.toFixed(0)} /s (${o.hosts} Hellos at once)`);
  row(
    '  anchor: all hosts again within TTL - margin',
    `${sessionsNeeded.toFixed(0)} /s -> ${(r.sessionsPerSecond / sessionsNeeded).toFixed(1)}x ${verdict(r.sessionsPerSecond >= sessionsNeeded)}`,
  );
  row('keepalives acked per second', `${r.keepalivesPerSecond.toFixed(0)} /s (each renews an etcd lease)`);
  row('  anchor: 3 per host per TTL', `${keepalivesNeeded.toFixed(0)} /s -> ${(r.keepalivesPerSecond / keepalivesNeeded).toFixed(1)}x ${verdict(r.keepalivesPerSecond >= keepalivesNeeded)}`);
  out();
  out(`initial grants of ${o.pools} free pools (each host one after another, all hosts at once)`);
  row('Take -> Granted', fmt(r.initial.grant));
  row('all granted / all served (owner records)', `${(r.initial.allGrantedMs / 1000).toFixed(2)} s / ${(r.initial.allServedMs / 1000).toFixed(2)} s`);
  out();
  out(`moves: ${r.moves.n} in ${r.moves.wallS.toFixed(1)} s (${o.movesPerMinute}/min asked)`);
  row('grant: Take -> Granted', `${fmt(r.moves.grant)}  = ${(r.moves.grant.p50 / r.lock.take.p50).toFixed(1)}x the idle take (p50)`);
  row('hand-over: Release -> Granted', `${fmt(r.moves.handover)}  = ${(r.moves.handover.p50 / r.lock.handover.p50).toFixed(1)}x the idle hand-over (p50)`);
  row('  goal', 'none set by the issue: anchored on the lock alone, same run (lock beside a bare put)');
  const p = r.moves.per;
  const pc = r.lock.putCost;
  row('etcd per grant (a move: Take, Release,', '');
  row(
    '  PoolReady, index refresh): requests',
    `${p.requests.toFixed(1)} (txn ${p.txns.toFixed(1)}, range ${p.ranges.toFixed(1)}, put ${p.puts.toFixed(1)}, delete ${p.deletes.toFixed(1)}) = ${(p.requests / pc.requests).toFixed(0)}x a bare put's ${pc.requests.toFixed(1)}`,
  );
  row(
    '  raft proposals, WAL bytes written',
    `${p.proposals.toFixed(1)}, ${p.walBytes.toFixed(0)} B = ${(p.walBytes / pc.walBytes).toFixed(0)}x a bare put's ${pc.walBytes.toFixed(0)} B (no goal set)`,
  );
  out();
  out('routed call overhead (GetVolume)');
  row('direct to the agent', fmt(r.routed.direct));
  row('through the coordinator', fmt(r.routed.routed));
  row('overhead', `p50 ${ms(r.routed.routed.p50 - r.routed.direct.p50)}, p99 ${ms(r.routed.routed.p99 - r.routed.direct.p99)} (no goal set)`);
  out();
  const goalMs = o.ttl * 1000 + o.lockDelay + FAILOVER_SLACK_MS;
  out(`failover: ${r.failover.pools} pools of one killed host (lease renewed just before the kill)`);
  row('kill -> pool served by another host', fmt(r.failover.served));
  const f = r.failover;
  row('  kill -> lease expired (host record deleted)', f.expiredMs === null ? 'not seen' : `${(f.expiredMs / 1000).toFixed(2)} s (TTL ${o.ttl} s)`);
  row('  lease expired -> host asked (acquire written)', f.expiredMs === null ? '' : `first ${ms(f.asked.min - f.expiredMs)}, last ${ms(f.asked.max - f.expiredMs)}`);
  row('  asked -> Granted (Take, lock delay)', `first ${ms(f.granted.min - f.asked.min)}, last ${ms(f.granted.max - f.asked.max)} (lock delay ${o.lockDelay} ms)`);
  row('  Granted -> served (PoolReady, owner record)', `last pool ${ms(f.served.max - f.granted.max)}`);
  row('  pools per new holder', f.servedBy.map(([node, n]) => `${node} ${n}`).join(', '));
  if (r.lost.length > 0) row('sessions lost besides the victim', r.lost.slice(0, 5).join('; '));
  out();
  out('goals');
  row(`take p50 <= ${TAKE_GOAL}x put`, `${(r.lock.take.p50 / r.lock.put.p50).toFixed(2)}x ${verdict(r.lock.take.p50 <= TAKE_GOAL * r.lock.put.p50)}`);
  row(`hand-over p50 <= ${HANDOVER_GOAL}x put`, `${(r.lock.handover.p50 / r.lock.put.p50).toFixed(2)}x ${verdict(r.lock.handover.p50 <= HANDOVER_GOAL * r.lock.put.p50)}`);
  row(`failover <= TTL + lock delay + 2 s = ${(goalMs / 1000).toFixed(1)} s`, `last pool ${(r.failover.served.max / 1000).toFixed(2)} s ${verdict(r.failover.served.max <= goalMs)}`);
}

try {
  await main();
  process.exit(0);
} catch (err) {
  console.error(`bench:cluster FAILED: ${err?.stack ?? err}`);
  process.exit(1);
}
