/**
 * `CreatePool{force}` in cluster mode (issue 11, item 1): a label of a pool that the cluster's
 * registry lists is never overwritten, and when the registry cannot be asked the create is
 * refused rather than guessed. HostPools over the simulated device-mapper, with the registry
 * question answered by the test; then the real question, asked of a ClusterService on loopback.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Engine } from '@thinfleet/engine';
import { loadCoordinatorApi } from '@thinfleet/proto';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentError } from '../src/agent-error.js';
import { clusterPoolLookup, type RegistryPool } from '../src/cluster/cluster-pool-lookup.js';
import { openDmBackend, type DmBackend } from '../src/dm-backend.js';
import { HostPools } from '../src/host-pools.js';
import { PoolRegistry } from '../src/pool-registry.js';

const MiB = 1024 * 1024;

async function rejection(promise: Promise<unknown>): Promise<AgentError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return err as AgentError;
  }
  throw new Error('expected a rejection');
}

describe('CreatePool{force} and the cluster registry', () => {
  let dir: string;
  let backend: DmBackend;
  let pools: HostPools;
  let answer: () => Promise<RegistryPool[]>;
  let asked: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tf-hostpools-'));
    backend = await openDmBackend('sim', dir);
    const logger = pino({ level: 'silent' });
    const engine = new Engine({ dm: backend.dm, block: backend.block, logger });
    asked = 0;
    answer = async () => [];
    pools = new HostPools(engine, PoolRegistry.open(dir), backend.block, logger, async () => {}, {
      dm: backend.dm,
      clusterPools: () => {
        asked++;
        return answer();
      },
    });
  });

  afterEach(() => {
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string): string => {
    const path = join(dir, name);
    writeFileSync(path, '');
    truncateSync(path, 64 * MiB);
    return path;
  };

  /** A file carrying the label of pool `old`, which this host no longer knows. */
  async function labelledByAnotherHost(): Promise<{ path: string; uuid: string }> {
    const path = file('shared.img');
    const { pool } = await pools.create({ name: 'old', devices: [path] });
    await pools.deactivate('old');
    await pools.forget('old');
    return { path, uuid: pool.uuid };
  }

  it('refuses a label of a pool the registry lists, and refuses when the registry cannot be asked', async () => {
    const { path, uuid } = await labelledByAnotherHost();
    answer = async () => [{ name: 'old', uuid }];
    const listed = await rejection(pools.create({ name: 'new', devices: [path], force: true }));
    expect(listed).toMatchObject({ code: 'DEVICE_IN_USE', field: 'devices[0]' });
    expect(listed.message).toContain("cluster's registry");

    answer = async () => Promise.reject(new AgentError('CLUSTER_UNAVAILABLE', 'cannot ask the cluster registry which pools exist'));
    expect((await rejection(pools.create({ name: 'new', devices: [path], force: true }))).code).toBe('CLUSTER_UNAVAILABLE');
    expect((await pools.list()).map((p) => p.name)).toEqual([]);
    expect((await pools.discover([path])).map((p) => p.name)).toEqual(['old']);

    answer = async () => [{ name: 'elsewhere', uuid: 'another-uuid' }];
    const created = await pools.create({ name: 'new', devices: [path], force: true });
    expect(created.overwritten).toEqual([{ device: path, poolName: 'old', poolUuid: uuid, deviceIndex: 0 }]);
  });

  it('does not ask the registry when nothing would be overwritten', async () => {
    answer = async () => Promise.reject(new AgentError('CLUSTER_UNAVAILABLE', 'down'));
    const created = await pools.create({ name: 'fresh', devices: [file('fresh.img')], force: true });
    expect(created.overwritten).toEqual([]);
    expect(asked).toBe(0);
  });
});

describe('clusterPoolLookup', () => {
  it("lists the pools of the coordinator's ClusterStatus", async () => {
    const server = new Server();
    server.addService(loadCoordinatorApi().ClusterService.service, {
      ClusterStatus: (_call: unknown, callback: (err: null, res: unknown) => void) => callback(null, { pools: [{ name: 'tank', uuid: 'u-1', owner: 'node-a' }], hosts: [] }),
      FindVolume: (_call: unknown, callback: (err: null, res: unknown) => void) => callback(null, { locations: [] }),
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    const dead = new Server();
    const deadPort = await new Promise<number>((resolve, reject) => dead.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    dead.forceShutdown();
    try {
      expect(await clusterPoolLookup({ coordinators: [`127.0.0.1:${port}`], tls: null })()).toEqual([{ name: 'tank', uuid: 'u-1' }]);
      // Several coordinators: one that does not answer is passed over.
      expect(await clusterPoolLookup({ coordinators: [`127.0.0.1:${deadPort}`, `127.0.0.1:${port}`], tls: null })()).toEqual([{ name: 'tank', uuid: 'u-1' }]);
    } finally {
      server.forceShutdown();
    }
  });

  it('rejects with CLUSTER_UNAVAILABLE when the coordinator does not answer', async () => {
    const server = new Server();
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    server.forceShutdown(); // the port is free again: nothing listens there
    const err = await rejection(clusterPoolLookup({ coordinators: [`127.0.0.1:${port}`], tls: null })());
    expect(err.code).toBe('CLUSTER_UNAVAILABLE');
  });
});
