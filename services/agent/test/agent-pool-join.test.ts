/**
 * JoinPool on a standalone agent (the cluster side is in the coordinator's integration tier): a
 * second agent records a pool it finds on shared devices as known and inactive, reading labels
 * only; bad requests are refused naming the field and record nothing; a repeat only changes the
 * preference; the recorded devices then activate the pool.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolRegistry } from '../src/pool-registry.js';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;
let first: TestAgent;
let second: TestAgent;
let one: RawClients;
let two: RawClients;
let disk: string;

beforeAll(async () => {
  first = await startTestAgent();
  second = await startTestAgent();
  one = rawClients(first.socketPath);
  two = rawClients(second.socketPath);
  disk = join(first.stateDir, 'shared0.img');
  writeFileSync(disk, '');
  truncateSync(disk, 128 * MiB);
  await one.call(one.pool, 'CreatePool', { name: 'tank', devices: [disk] });
  await one.call(one.volume, 'CreateVolume', { pool: 'tank', name: 'v1', sizeBytes: MiB });
  await one.call(one.pool, 'DeactivatePool', { name: 'tank' });
});
afterAll(async () => {
  one?.close();
  two?.close();
  await first?.dispose();
  await second?.dispose();
});

type P = { pool: { name: string; active: boolean; uuid: string; devices: string[] } };

describe('JoinPool', () => {
  it('refuses what it cannot join, naming the field, and records nothing', async () => {
    expect(await failure(two.call(two.pool, 'JoinPool', { name: 'tank', devices: [] }))).toMatchObject({ code: 3, field: 'devices' });
    expect(await failure(two.call(two.pool, 'JoinPool', { name: 'bad name', devices: [disk] }))).toMatchObject({ code: 3, field: 'name' });
    expect(await failure(two.call(two.pool, 'JoinPool', { name: 'other', devices: [disk] }))).toMatchObject({ code: 5, errorCode: 'NO_SUCH_POOL' });
    expect(PoolRegistry.open(second.stateDir).list()).toEqual([]);
  });

  it('records the pool as known and inactive, and a repeat only sets the preference', async () => {
    const joined = await two.call<P>(two.pool, 'JoinPool', { name: 'tank', devices: [disk] });
    expect(joined.pool).toMatchObject({ name: 'tank', active: false, devices: [disk] });
    const shown = await one.call<P>(one.pool, 'GetPool', { name: 'tank' });
    expect(joined.pool.uuid).toBe(shown.pool.uuid);
    expect(PoolRegistry.open(second.stateDir).get('tank')).toMatchObject({ uuid: shown.pool.uuid, devices: [disk], active: false, preferred: false });
    await two.call<P>(two.pool, 'JoinPool', { name: 'tank', devices: [disk], prefer: true });
    expect(PoolRegistry.open(second.stateDir).get('tank')).toMatchObject({ uuid: shown.pool.uuid, active: false, preferred: true });
  });

  it('lets the joined host activate the pool from the recorded devices', async () => {
    const activated = await two.call<P>(two.pool, 'ActivatePool', { name: 'tank', devices: [] });
    expect(activated.pool).toMatchObject({ name: 'tank', active: true });
    const listed = await two.call<{ volumes: Array<{ name: string }> }>(two.volume, 'ListVolumes', { pool: 'tank' });
    expect(listed.volumes.map((v) => v.name)).toEqual(['v1']);
  });
});
