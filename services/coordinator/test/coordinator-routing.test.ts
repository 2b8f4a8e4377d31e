/**
 * Routing through the coordinator to a real agent (in this process, simulated device-mapper):
 * a change to a pool nobody holds makes a host take it, goes to that host with the grant's
 * token, and rewrites the cluster's volume index; reads of a free pool come from the index;
 * placement picks a pool; the agent refuses a token older than the grant it was last given.
 * The session side of the agent is played by a scripted stream, so this tests the coordinator
 * alone; the agent's own cluster mode is tested end to end elsewhere.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { Etcd3 } from 'etcd3';
import { connectEtcd } from '@thinfleet/lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTrailerValue } from '@thinfleet/proto';
import { startEtcd, type EtcdServer } from '../../../test/support/etcd-server.mjs';
import { failure, rawClients, type RawClients } from '../../agent/test/support/raw-clients.js';
import { startTestAgent, type TestAgent } from '../../agent/test/support/test-agent.js';
import type { Coordinator } from '../src/coordinator.js';
import { ClusterRegistry } from '../src/registry.js';
import { connectScriptedAgent, type ScriptedAgent } from './support/scripted-agent.js';
import { startTestCoordinator, testPrefix } from './support/test-coordinator.js';

const MiB = 1024 * 1024;
let etcd: EtcdServer;
let etcdClient: Etcd3;
let agent: TestAgent;
let direct: RawClients;
let coordinator: Coordinator;
let viaCoordinator: RawClients;
let session: ScriptedAgent;
let registry: ClusterRegistry;
let uuid: string;
const grants: string[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  etcdClient = connectEtcd({ endpoints: [etcd.endpoint] });
  const prefix = testPrefix();
  registry = new ClusterRegistry(etcdClient, prefix);
  coordinator = await startTestCoordinator({ endpoint: etcd.endpoint, prefix, acquireTimeoutMs: 5000 });
  agent = await startTestAgent();
  direct = rawClients(agent.socketPath);
  const disk = join(agent.stateDir, 'disk0.img');
  writeFileSync(disk, '');
  truncateSync(disk, 128 * MiB);
  uuid = (await direct.call<{ pool: { uuid: string } }>(direct.pool, 'CreatePool', { name: 'tank', devices: [disk] })).pool.uuid;
  session = connectScriptedAgent(coordinator.address);
  await session.hello('node-a', {
    address: `unix:${agent.socketPath}`,
    pools: [{ name: 'tank', uuid, devices: [disk], active: true, dataSizeBytes: 100 * MiB, dataUsedBytes: 0 }],
  });
  session.startKeepAlive(500);
  // The agent's part: take what the coordinator asks for and report it ready under the grant.
  void (async () => {
    for (;;) {
      const acquire = await session.next('acquire', 60_000).catch(() => null);
      if (acquire === null) return;
      const grant = await session.take(acquire.pool);
      grants.push(grant.token);
      session.send({ poolReady: { pool: acquire.pool, token: grant.token, volumeCount: 0 } });
    }
  })();
  viaCoordinator = rawClients(coordinator.address);
});

afterAll(async () => {
  viaCoordinator.close();
  session.close();
  direct.close();
  await coordinator.stop();
  await agent.dispose();
  etcdClient.close();
  await etcd.dispose();
});

describe('routing through the coordinator', () => {
  it('a change to a free pool makes its host take it and goes there with the grant token', async () => {
    const created = await viaCoordinator.call<{ volume: { pool: string; name: string } }>(viaCoordinator.volume, 'CreateVolume', { pool: 'tank', name: 'v1', sizeBytes: MiB });
    expect(created.volume).toMatchObject({ pool: 'tank', name: 'v1' });
    expect(grants).toHaveLength(1);
    expect(await registry.owner('tank')).toMatchObject({ nodeId: 'node-a', token: grants[0] });
    // The agent saw the token: an older one is refused now.
    expect(await failure(direct.call(direct.volume, 'CreateVolume', { pool: 'tank', name: 'x', sizeBytes: MiB }, { 'tf-lock-token': String(BigInt(grants[0]!) - 1n) }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      errorCode: 'STALE_TOKEN',
    });
  });

  it('rewrites the cluster index after a change; reads of a pool nobody holds come from it', async () => {
    await viaCoordinator.call(viaCoordinator.volume, 'SnapshotVolume', { pool: 'tank', source: 'v1', name: 'v1-snap' });
    const all = await viaCoordinator.call<{ volumes: Array<{ pool: string; name: string }> }>(viaCoordinator.volume, 'ListVolumes', { pool: '' });
    expect(all.volumes.map((v) => `${v.pool}/${v.name}`)).toEqual(['tank/v1', 'tank/v1-snap']);
    await session.release('tank');
    expect(await registry.owner('tank')).toBeNull();
    const fromIndex = await viaCoordinator.call<{ volume: { name: string; sizeBytes: number } }>(viaCoordinator.volume, 'GetVolume', { pool: 'tank', name: 'v1' });
    expect(fromIndex.volume).toMatchObject({ name: 'v1', sizeBytes: MiB });
    expect(grants).toHaveLength(1); // reading did not make anyone take the pool
    expect(await failure(viaCoordinator.call(viaCoordinator.volume, 'GetVolume', { pool: 'tank', name: 'nope' }))).toMatchObject({ code: status.NOT_FOUND, errorCode: 'NO_SUCH_VOLUME' });
  });

  it('places a volume with no pool on a pool the hinted host reaches, taking it again with a newer token', async () => {
    const created = await viaCoordinator.call<{ volume: { pool: string } }>(viaCoordinator.volume, 'CreateVolume', { pool: '', name: 'placed', sizeBytes: MiB }, { 'tf-host': 'node-a' });
    expect(created.volume.pool).toBe('tank');
    expect(grants).toHaveLength(2);
    expect(BigInt(grants[1]!)).toBeGreaterThan(BigInt(grants[0]!));
    expect(await failure(viaCoordinator.call(viaCoordinator.volume, 'CreateVolume', { pool: '', name: 'p2', sizeBytes: MiB }, { 'tf-host': 'node-z' }))).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      errorCode: 'NO_PLACEMENT',
    });
  });

  it('refuses pool changes (they go to an agent) and pools no live host reaches', async () => {
    expect(await failure(viaCoordinator.call(viaCoordinator.pool, 'DestroyPool', { name: 'tank' }))).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'AGENT_ONLY' });
    for (const [method, request] of [
      ['ExtendPool', { name: 'tank', device: '/dev/sdz' }],
      ['SetPool', { name: 'tank', noSpaceMode: 'error' }],
    ] as const) {
      expect(await failure(viaCoordinator.call(viaCoordinator.pool, method, request)), method).toMatchObject({ code: status.FAILED_PRECONDITION, errorCode: 'AGENT_ONLY' });
    }
    expect(await failure(viaCoordinator.call(viaCoordinator.volume, 'CreateVolume', { pool: 'elsewhere', name: 'v', sizeBytes: MiB }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      errorCode: 'NO_HOST',
    });
    const pools = await viaCoordinator.call<{ pools: Array<{ name: string; active: boolean; volumes: number }> }>(viaCoordinator.pool, 'ListPools', {});
    expect(pools.pools).toEqual([expect.objectContaining({ name: 'tank', active: true, volumes: 3 })]);
  });

  it("relays the agent's tf-* trailers as it encoded them, and its own statuses always fit the trailers", async () => {
    const batch = await failure(viaCoordinator.call(viaCoordinator.volume, 'Batch', { pool: 'tank', ops: [{ item: 'é %', delete: { name: 'missing' } }] }));
    expect(batch).toMatchObject({ code: status.NOT_FOUND, errorCode: 'NO_SUCH_VOLUME' });
    expect(decodeTrailerValue(batch.item!)).toBe('é %');
    const long = await failure(viaCoordinator.call(viaCoordinator.volume, 'GetVolume', { pool: 'x'.repeat(200_000), name: 'v' }));
    expect(long).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'pool' });
    expect(Buffer.byteLength(long.details)).toBeLessThanOrEqual(1024);
  });

  it('pool list says what pool show says, metadata included, and the index keeps it for when the owner is away', async () => {
    type PoolMessage = { name: string; dataBlockBytes: string; dataTotalBytes: string; metadataTotalBytes: string; metadataUsedBytes: string };
    const listed = (await viaCoordinator.call<{ pools: PoolMessage[] }>(viaCoordinator.pool, 'ListPools', {})).pools.find((p) => p.name === 'tank')!;
    const shown = (await viaCoordinator.call<{ pool: PoolMessage }>(viaCoordinator.pool, 'GetPool', { name: 'tank' })).pool;
    expect(Number(shown.metadataTotalBytes)).toBeGreaterThan(0);
    expect(Number(shown.metadataUsedBytes)).toBeGreaterThan(0);
    expect(listed).toMatchObject({
      metadataTotalBytes: shown.metadataTotalBytes,
      metadataUsedBytes: shown.metadataUsedBytes,
      dataBlockBytes: shown.dataBlockBytes,
      dataTotalBytes: shown.dataTotalBytes,
    });
    const record = (await registry.pools()).find((p) => p.name === 'tank')!;
    expect(record.metadataSizeBytes).toBe(Number(shown.metadataTotalBytes));
  });
});
