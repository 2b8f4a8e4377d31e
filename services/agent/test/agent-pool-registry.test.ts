/**
 * The crash story of pool creation at the agent level (host-pools.ts): the registry entry is
 * written before the engine makes the pool and gets its uuid after. A crash between the steps
 * is recreated by writing the registry as the crash would have left it.
 */
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PoolRegistry } from '../src/pool-registry.js';
import { rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;

interface P {
  name: string;
  uuid: string;
  active: boolean;
  problem: string;
}

describe('pool registry crash story', () => {
  let t: TestAgent | null = null;
  let c: RawClients | null = null;

  afterEach(async () => {
    c?.close();
    await t?.dispose();
  });

  function disk(dir: string): string {
    const path = join(dir, 'disk0.img');
    writeFileSync(path, '');
    truncateSync(path, 128 * MiB);
    return path;
  }

  it('shows a create that crashed before the pool existed with its problem, and lets it run again', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'tf-agent-'));
    const path = disk(stateDir);
    await PoolRegistry.open(stateDir).put({ name: 'p', uuid: '', devices: [path], loops: {}, active: true });
    t = await startTestAgent({ stateDir });
    c = rawClients(t.socketPath);
    const listed = await c.call<{ pools: P[] }>(c.pool, 'ListPools', {});
    expect(listed.pools).toEqual([expect.objectContaining({ name: 'p', active: false, uuid: '' })]);
    expect(listed.pools[0]!.problem).toMatch(/no pool p/);
    const created = await c.call<{ pool: P }>(c.pool, 'CreatePool', { name: 'p', devices: [path] });
    expect(created.pool).toMatchObject({ name: 'p', active: true, problem: '' });
  });

  it('completes and records a create that crashed after the engine made the pool', async () => {
    t = await startTestAgent();
    c = rawClients(t.socketPath);
    const path = disk(t.stateDir);
    const created = await c.call<{ pool: P }>(c.pool, 'CreatePool', { name: 'p', devices: [path] });
    await c.call(c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: MiB });
    await t.stop();
    const registryFile = join(t.stateDir, 'pools.json');
    writeFileSync(registryFile, readFileSync(registryFile, 'utf8').replace(created.pool.uuid, ''));
    c.close();
    t = await startTestAgent({ stateDir: t.stateDir });
    c = rawClients(t.socketPath);
    const listed = await c.call<{ pools: P[] }>(c.pool, 'ListPools', {});
    expect(listed.pools).toEqual([expect.objectContaining({ name: 'p', active: true, uuid: created.pool.uuid })]);
    expect(PoolRegistry.open(t.stateDir).get('p')?.uuid).toBe(created.pool.uuid);
    expect((await c.call<{ volumes: Array<{ name: string }> }>(c.volume, 'ListVolumes', { pool: 'p' })).volumes.map((v) => v.name)).toEqual(['v']);
  });

  it('refuses to create over a known pool, and a failed create leaves no entry behind', async () => {
    t = await startTestAgent();
    c = rawClients(t.socketPath);
    const path = disk(t.stateDir);
    await c.call(c.pool, 'CreatePool', { name: 'p', devices: [path] });
    const tiny = join(t.stateDir, 'tiny.img');
    writeFileSync(tiny, '');
    truncateSync(tiny, 64 * 1024);
    await expect(c.call(c.pool, 'CreatePool', { name: 'p', devices: [tiny] })).rejects.toMatchObject({ code: 6 });
    await expect(c.call(c.pool, 'CreatePool', { name: 'q', devices: [tiny] })).rejects.toMatchObject({ code: 9 });
    expect(
      PoolRegistry.open(t.stateDir)
        .list()
        .map((p) => p.name),
    ).toEqual(['p']);
  });
});
