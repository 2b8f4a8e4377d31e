/**
 * Brings the demo cluster up once its processes run: waits for the coordinator to answer and for
 * every host's session, then makes sure each demo pool exists on the shared storage, that every
 * host has joined it (knows its devices, so the coordinator can hand it to any of them), and that
 * its home host serves it.
 *
 * Idempotent: a second start finds the pools in the hosts' records and only asks each home host
 * to serve its pool again. Crash story: each step is one agent call with its own crash story
 * (docs/agent.md); a start interrupted between steps continues at the next start from what the
 * hosts report (a pool file without a pool on it is created again only when no host knows the
 * pool; a host that has not joined yet joins).
 */
import { truncateSync, writeFileSync, existsSync } from 'node:fs';
import { AgentCallError, AgentClient, CoordinatorClient } from '@thinfleet/client';
import { DEMO_HOSTS, DEMO_POOLS, type DemoLayout, type DemoPool } from './demo-layout.js';
import { logTail, type DemoProcess } from './demo-processes.js';

/** How long the cluster may take to come up before the demo gives up. */
const READY_TIMEOUT_MS = 60_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Fails (with the tail of its log) as soon as one of `watched` has exited. */
function checkAlive(watched: readonly DemoProcess[]): void {
  for (const p of watched) {
    const how = p.exit();
    if (how !== null) throw new Error(`${p.name} (pid ${p.pid}) exited during start-up (${how}); the end of ${p.logFile}:\n${logTail(p.logFile)}`);
  }
}

/**
 * Polls `probe` every 200 ms until it returns true; throws after READY_TIMEOUT_MS, or at once
 * when one of `watched` exits.
 */
async function waitUntil(what: string, watched: readonly DemoProcess[], probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    checkAlive(watched);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${READY_TIMEOUT_MS / 1000} s waiting for ${what}; see the logs in ${watched.map((p) => p.logFile).join(', ')}`);
    await sleep(200);
  }
}

/** Waits until the coordinator answers and every demo host has a live session with it. */
export async function waitForSessions(coordinatorAddress: string, processes: readonly DemoProcess[]): Promise<void> {
  const coordinator = await CoordinatorClient.connect(coordinatorAddress, { deadlineMs: 2_000 });
  try {
    await waitUntil('every host to join the coordinator', processes, async () => {
      const status = await coordinator.clusterStatus();
      const live = new Set(status.hosts.map((h) => h.nodeId));
      return DEMO_HOSTS.every((host) => live.has(host));
    });
  } finally {
    coordinator.close();
  }
}

/**
 * Waits until the coordinator reports every demo pool served (owner ready) by its home host: the
 * agent reports a pool ready on its session stream a moment after its activation returns.
 */
export async function waitForPoolsServed(coordinatorAddress: string, processes: readonly DemoProcess[]): Promise<void> {
  const coordinator = await CoordinatorClient.connect(coordinatorAddress, { deadlineMs: 2_000 });
  try {
    await waitUntil('every pool to be served by its home host', processes, async () => {
      const status = await coordinator.clusterStatus();
      return DEMO_POOLS.every((pool) => status.pools.some((p) => p.name === pool.name && p.ready && p.owner === pool.home));
    });
  } finally {
    coordinator.close();
  }
}

/**
 * Runs `call` until it succeeds, retrying while the answer is UNAVAILABLE (the pool is being
 * handed over, or a session is reconnecting) for up to READY_TIMEOUT_MS.
 */
async function retryUnavailable<T>(what: string, watched: readonly DemoProcess[], call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    checkAlive(watched);
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof AgentCallError) || !err.isUnavailable || Date.now() > deadline) {
        throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
      }
    }
    await sleep(250);
  }
}

/** Creates the sparse pool file when it is not there yet. */
function ensurePoolFile(layout: DemoLayout, pool: DemoPool): void {
  const path = layout.poolFile(pool);
  if (existsSync(path)) return;
  writeFileSync(path, '', { mode: 0o600, flag: 'wx' });
  truncateSync(path, pool.sizeBytes);
}

/**
 * Makes sure `pool` exists, every host has joined it (`pool join ... --prefer`: it knows the
 * devices and offers to serve the pool, so the coordinator hands the pool to a live one of them
 * on its own when its holder dies), and its home host serves it.
 */
async function setUpPool(layout: DemoLayout, pool: DemoPool, agents: ReadonlyMap<string, AgentClient>, processes: readonly DemoProcess[]): Promise<void> {
  const knows = new Map<string, boolean>();
  for (const host of DEMO_HOSTS) {
    const listed = await agents.get(host)!.listPools();
    knows.set(
      host,
      listed.pools.some((p) => p.name === pool.name),
    );
  }
  const devices = [layout.poolFile(pool)];
  if (![...knows.values()].some(Boolean)) {
    ensurePoolFile(layout, pool);
    await retryUnavailable(`creating pool ${pool.name} on ${pool.home}`, processes, () => agents.get(pool.home)!.createPool({ name: pool.name, devices }));
  }
  // Joining is idempotent and takes no lock: every start makes sure every host offers to serve.
  for (const host of DEMO_HOSTS) {
    await retryUnavailable(`${host} joining pool ${pool.name}`, processes, () => agents.get(host)!.joinPool({ name: pool.name, devices, prefer: true }));
  }
  // The home host is asked every start: the pool is served from the start, not at the first call.
  await retryUnavailable(`pool ${pool.name} on ${pool.home}`, processes, () => agents.get(pool.home)!.activatePool({ name: pool.name }));
}

/** Sets every demo pool up (see setUpPool), through each host's own agent socket. */
export async function setUpPools(layout: DemoLayout, processes: readonly DemoProcess[]): Promise<void> {
  const agents = new Map<string, AgentClient>();
  try {
    for (const host of DEMO_HOSTS) agents.set(host, await AgentClient.connect(layout.hostSocket(host), { deadlineMs: 30_000 }));
    for (const pool of DEMO_POOLS) await setUpPool(layout, pool, agents, processes);
  } finally {
    for (const client of agents.values()) client.close();
  }
}
