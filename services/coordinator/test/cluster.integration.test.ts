/**
 * A cluster of processes: etcd, the coordinator, and two agents (separate hosts, simulated
 * device-mapper) sharing one pool on shared storage. Volumes are made through the coordinator;
 * the pool is handed over when another host asks for it, taken over after its holder is killed
 * or frozen; after every fault the lock's invariants hold and no agent accepted a write under a
 * stale token.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type RawClients } from '../../agent/test/support/raw-clients.js';
import { startTestCluster, waitFor, type TestCluster } from './support/cluster-processes.js';

const MiB = 1024 * 1024;
const TTL_SECONDS = 3;
const MARGIN_MS = 1000;
const LOCK_DELAY_MS = 300;

let cluster: TestCluster;
let via: RawClients;

beforeAll(async () => {
  cluster = await startTestCluster({ ttlSeconds: TTL_SECONDS, marginMs: MARGIN_MS, lockDelayMs: LOCK_DELAY_MS });
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

const names = async (pool: string): Promise<string[]> =>
  (await via.call<{ volumes: Array<{ name: string }> }>(via.volume, 'ListVolumes', { pool })).volumes.map((v) => v.name).sort();

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
    const [, second] = grants('tank');
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
    const granted = waitFor('the third grant', () => (grants('tank').length >= 3 ? performance.now() : null), 30_000);
    // The next change makes the coordinator hand the pool to the host still alive.
    await waitFor('a change to go through after the failover', async () => {
      try {
        await via.call(via.volume, 'CreateVolume', { pool: 'tank', name: 'v3', sizeBytes: 4 * MiB });
        return true;
      } catch (err) {
        if ((err as { code?: number }).code === status.ALREADY_EXISTS) return true;
        return null;
      }
    }, 30_000);
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
});
