/**
 * A cluster of processes: etcd, the coordinator, and two agents (separate hosts, simulated
 * device-mapper) sharing one pool on shared storage. Volumes are made through the coordinator;
 * the pool is handed over when another host asks for it, taken over after its holder is killed
 * or frozen; after every fault the lock's invariants hold and no agent accepted a write under a
 * stale token. A chunked delete started on one host is handed over with its pool and finished
 * by the next holder.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type RawClients } from '../../agent/test/support/raw-clients.js';
import { waitUntil } from '../../../test/support/wait-until.js';
import { startTestCluster, type TestCluster } from './support/cluster-processes.js';

const MiB = 1024 * 1024;
const TTL_SECONDS = 3;
const MARGIN_MS = 1000;
// The shortest the lock-delay rule allows for a 1 s watchdog: 1000 - MARGIN_MS + 1000.
const LOCK_DELAY_MS = 1000;

let cluster: TestCluster;
let via: RawClients;

beforeAll(async () => {
  cluster = await startTestCluster({ ttlSeconds: TTL_SECONDS, marginMs: MARGIN_MS, lockDelayMs: LOCK_DELAY_MS, watchdogTimeoutSeconds: 1 });
  via = cluster.viaCoordinator();
});
afterAll(async () => {
  await cluster?.dispose();
});

interface Grant {
  node: string;
  token: bigint;
  dirty: boolean;
  previousHolder: string | null;
  previousHolderDied: boolean;
}

/** Every grant of `pool` the coordinator logged, in order. */
function grants(pool: string): Grant[] {
  return cluster.coordinator.log
    .filter((l) => l['msg'] === 'lock granted' && l['pool'] === pool)
    .map((l) => ({
      node: String(l['node']),
      token: BigInt(String(l['token'])),
      dirty: l['dirty'] === true,
      previousHolder: (l['previousHolder'] as string | null) ?? null,
      previousHolderDied: l['previousHolderDied'] === true,
    }));
}

/** The lock's invariants over the whole history so far. */
function checkInvariants(pool: string): void {
  const history = grants(pool);
  for (let i = 1; i < history.length; i++) {
    const [before, after] = [history[i - 1]!, history[i]!];
    expect(after.token, `grant ${i} token`).toBeGreaterThan(before.token);
    // The grant names who held it last; dirty whenever that was another node.
    expect(after.previousHolder, `grant ${i} previous holder`).toBe(before.node);
    if (before.node !== after.node) expect(after.dirty, `grant ${i} dirty`).toBe(true);
  }
}

const names = async (pool: string): Promise<string[]> => (await via.call<{ volumes: Array<{ name: string }> }>(via.volume, 'ListVolumes', { pool })).volumes.map((v) => v.name).sort();

describe('a cluster of processes sharing a pool', () => {
  it('routes volume calls to the host holding the pool, with its token', async () => {
    const a = await cluster.startAgent('node-a');
    await cluster.startAgent('node-b');
    const disk = cluster.sharedDisk('tank0.img', 256 * MiB);
    await a.clients.call(a.clients.pool, 'CreatePool', { name: 'tank', devices: [disk] });
    await via.call(via.volume, 'CreateVolume', { pool: 'tank', name: 'v1', sizeBytes: 4 * MiB });
    expect(await names('tank')).toEqual(['v1']);
    expect(grants('tank').map((g) => g.node)).toEqual(['node-a']);
    // A local call without the token cannot bypass the lock.
    expect(await failure(a.clients.call(a.clients.volume, 'CreateVolume', { pool: 'tank', name: 'sneaky', sizeBytes: MiB }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      errorCode: 'TOKEN_REQUIRED',
    });
  });

  it('hands the pool over when another host asks for it, and the new holder sees every volume', async () => {
    const b = cluster.agents.get('node-b')!;
    const disk = `${cluster.sharedDir}/tank0.img`;
    await b.clients.call(b.clients.pool, 'ActivatePool', { name: 'tank', devices: [disk] });
    // The coordinator's log line may arrive after the agent's answer: wait for it.
    const second = await waitUntil('the second grant in the log', () => grants('tank')[1] ?? null, 20_000);
    expect(second).toMatchObject({ node: 'node-b', dirty: true, previousHolder: 'node-a', previousHolderDied: false });
    await via.call(via.volume, 'CreateVolume', { pool: 'tank', name: 'v2', sizeBytes: 4 * MiB });
    expect(await names('tank')).toEqual(['v1', 'v2']);
    // node-a let go: its old token is refused there now.
    const a = cluster.agents.get('node-a')!;
    const stale = await failure(a.clients.call(a.clients.volume, 'CreateVolume', { pool: 'tank', name: 'stale', sizeBytes: MiB }, { 'tf-lock-token': String(grants('tank')[0]!.token) }));
    expect(stale.code).toBe(status.FAILED_PRECONDITION);
    expect(['STALE_TOKEN', 'NOT_OWNER']).toContain(stale.errorCode);
    checkInvariants('tank');
  });

  it('after kill -9 of the holder, another host is granted the pool within TTL + lock delay + 2 s and nothing is lost', async () => {
    const b = cluster.agents.get('node-b')!;
    b.kill('SIGKILL');
    const killedAt = performance.now();
    await b.exited;
    const granted = waitUntil('the third grant', () => (grants('tank').length >= 3 ? performance.now() : null), 30_000);
    // The next change makes the coordinator hand the pool to the host still alive.
    await waitUntil(
      'a change to go through after the failover',
      async () => {
        try {
          await via.call(via.volume, 'CreateVolume', { pool: 'tank', name: 'v3', sizeBytes: 4 * MiB });
          return true;
        } catch (err) {
          if ((err as { code?: number }).code === status.ALREADY_EXISTS) return true;
          return null;
        }
      },
      30_000,
    );
    const third = grants('tank')[2]!;
    expect(third).toMatchObject({ node: 'node-a', dirty: true, previousHolder: 'node-b', previousHolderDied: true });
    const grantedAt = await granted;
    expect(grantedAt - killedAt).toBeLessThan(TTL_SECONDS * 1000 + LOCK_DELAY_MS + 2000);
    expect(await names('tank')).toEqual(['v1', 'v2', 'v3']);
    checkInvariants('tank');
  });

  it('a holder frozen past its lease is fenced: the pool moves, and when it wakes its stale token is refused', async () => {
    const a = cluster.agents.get('node-a')!;
    const oldToken = grants('tank').at(-1)!.token;
    const b = await cluster.startAgent('node-b2');
    const disk = `${cluster.sharedDir}/tank0.img`;
    a.kill('SIGSTOP');
    await b.clients.call(b.clients.pool, 'ActivatePool', { name: 'tank', devices: [disk] });
    const taken = grants('tank').at(-1)!;
    expect(taken).toMatchObject({ node: 'node-b2', dirty: true, previousHolder: 'node-a', previousHolderDied: true });
    a.kill('SIGCONT');
    // Awake again, node-a's deadline has long passed: it refuses writes under its old grant.
    const refused = await failure(a.clients.call(a.clients.volume, 'CreateVolume', { pool: 'tank', name: 'late', sizeBytes: MiB }, { 'tf-lock-token': String(oldToken) }));
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    await via.call(via.volume, 'CreateVolume', { pool: 'tank', name: 'v4', sizeBytes: 4 * MiB });
    expect(await names('tank')).toEqual(['v1', 'v2', 'v3', 'v4']);
    checkInvariants('tank');
  });

  it('a chunked delete goes with its pool: handed over mid-way when another host asks, finished by the new holder', async () => {
    const holder = cluster.agents.get('node-b2')!;
    const other = cluster.agents.get('node-a')!;
    // node-a lost its session while frozen in the test before: wait for its new one, so that
    // the hand-over below starts while the delete is still early on.
    await waitUntil(
      'node-a to open a new session',
      () => {
        const lost = other.log.findLastIndex((l) => l['msg'] === 'coordinator session lost');
        const opened = other.log.findLastIndex((l) => l['msg'] === 'coordinator session established');
        return opened > lost ? true : null;
      },
      20_000,
    );
    const disk = cluster.sharedDisk('jobs0.img', 256 * MiB);
    await holder.clients.call(holder.clients.pool, 'CreatePool', { name: 'jobs', devices: [disk] });
    await via.call(via.volume, 'CreateVolume', { pool: 'jobs', name: 'keep', sizeBytes: 4 * MiB });
    await via.call(via.volume, 'CreateVolume', { pool: 'jobs', name: 'big', sizeBytes: 2048 * MiB });
    const { jobId } = await via.call<{ jobId: string }>(via.volume, 'DeleteVolume', { pool: 'jobs', name: 'big', mode: 'DELETE_MODE_CHUNKED' });
    type Job = { job: { state: string; doneBytes: string; totalBytes: string } };
    await waitUntil(
      'the delete to make progress',
      async () => {
        const { job } = await holder.clients.call<Job>(holder.clients.job, 'GetJob', { id: jobId });
        return Number(job.doneBytes) > 0 ? true : null;
      },
      20_000,
    );

    // A watch through the coordinator follows the job from host to host to its end.
    const watch = (via.job as unknown as { WatchJob(r: unknown): NodeJS.EventEmitter }).WatchJob({ id: jobId });
    const watched: Array<{ state: string; doneBytes: string }> = [];
    const watchEnd = new Promise<Error | null>((resolve) => {
      watch.on('data', (m: { job: { state: string; doneBytes: string } }) => watched.push(m.job));
      watch.on('error', (err: Error) => resolve(err));
      watch.on('end', () => resolve(null));
    });

    // Another host activates the pool: the holder stops the job after its chunk and lets go.
    // (UNAVAILABLE says retry, as a client would.)
    await waitUntil(
      'node-a to activate the pool',
      async () => {
        try {
          await other.clients.call(other.clients.pool, 'ActivatePool', { name: 'jobs', devices: [disk] });
          return true;
        } catch (err) {
          if ((err as { code?: number }).code === status.UNAVAILABLE) return null;
          throw err;
        }
      },
      20_000,
    );
    expect(grants('jobs').map((g) => g.node)).toEqual(['node-b2', 'node-a']);
    const handed = holder.log.find((l) => l['msg'] === 'job handed over with its pool' && l['job'] === jobId);
    expect(handed, 'the holder logged the hand-over').toBeDefined();
    const handedAtBytes = Number(handed!['doneBytes']);
    expect(handedAtBytes).toBeGreaterThan(0);
    expect(handedAtBytes).toBeLessThan(2048 * MiB);
    console.log(`delete handed over at ${handedAtBytes / MiB} of 2048 MiB`);
    expect(await failure(holder.clients.call(holder.clients.job, 'GetJob', { id: jobId }))).toMatchObject({ errorCode: 'NO_SUCH_JOB' });

    // The new holder adopted the job from the pool (same id, from the checkpoint) and ends it.
    const adopted = await waitUntil('the new holder to adopt the job', () => other.log.find((l) => l['msg'] === 'delete job adopted from the pool' && l['job'] === jobId) ?? null, 20_000);
    expect(Number(adopted['doneBytes'])).toBe(handedAtBytes);
    const done = await waitUntil(
      'the delete to finish on the new holder',
      async () => {
        const { job } = await via.call<Job>(via.job, 'GetJob', { id: jobId });
        return job.state === 'JOB_STATE_SUCCEEDED' ? job : null;
      },
      60_000,
    );
    expect(Number(done.doneBytes)).toBe(2048 * MiB);
    expect(await watchEnd).toBeNull();
    expect(watched.at(-1)).toMatchObject({ state: 'JOB_STATE_SUCCEEDED' });
    expect(watched.some((j) => Number(j.doneBytes) > handedAtBytes && Number(j.doneBytes) < 2048 * MiB)).toBe(true);
    expect(await names('jobs')).toEqual(['keep']);
    checkInvariants('jobs');
  });
});
