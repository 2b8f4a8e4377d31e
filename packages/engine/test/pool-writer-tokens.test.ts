/**
 * Writer tokens in the engine (docs/engine.md, "Writer tokens"): a pool activated under a grant
 * (Engine.setPoolWriter) writes its catalog with the grant's token and node id; an activation
 * that finds a token newer than its own grant, or tokens going backwards, refuses the pool
 * (SPLIT_BRAIN) before touching a device; delete marks carry their owner's token and a stale
 * owner may not write one (STALE_OWNER). Two engines over one simulated kernel and disk play two
 * hosts.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogStore, readLabel, type CatalogWriter } from '@thinfleet/catalog';
import { isEngineError, type Engine } from '@thinfleet/engine';
import { blockCatalogDevice } from '../src/block-catalog-device.js';
import { reduceCatalog } from '../src/catalog-state.js';
import { EngineTestHost, SMALL_CATALOG } from './support/engine-test-host.js';

const MiB = 1024 * 1024;
const A = { token: 10n, nodeId: 'node-a' };
const B = { token: 20n, nodeId: 'node-b' };
const C = { token: 30n, nodeId: 'node-c' };

const hosts: EngineTestHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.teardown();
});

async function setup() {
  const host = await EngineTestHost.open();
  hosts.push(host);
  const devices = await host.devices(1, 32 * MiB);
  const name = host.poolName('w');
  return { host, devices, name };
}

/** A new pool with volume `v`, created by a fresh engine under `writer`. */
async function poolWrittenBy(writer: CatalogWriter) {
  const { host, devices, name } = await setup();
  const engine = host.engine();
  engine.setPoolWriter(name, writer);
  const pool = await engine.createPool({ name, devices, ...SMALL_CATALOG });
  await pool.createVolume('v', MiB);
  return { host, devices, name, engine, pool };
}

async function refusal(promise: Promise<unknown>, code: string): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isEngineError(err), `expected EngineError ${code}, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  return (err as Error).message;
}

/** The writers of the pool's catalog as a fresh load reports them. */
async function catalogWriters(host: EngineTestHost, device: string) {
  const label = await readLabel(blockCatalogDevice(host.block, device));
  const store = await CatalogStore.open({ device: blockCatalogDevice(host.block, device), layout: label!.catalog!, reduce: reduceCatalog });
  return store.loadReport.writers;
}

/** Hands the pool from one engine to another the clean way: deactivate, then activate under `writer`. */
async function handTo(from: Engine, to: Engine, name: string, devices: string[], writer: CatalogWriter) {
  await from.pool(name).deactivate();
  to.setPoolWriter(name, writer);
  return to.activatePool(name, devices);
}

describe('writer tokens in the engine', () => {
  it('writes every catalog frame with the grant token and node id of the activation', async () => {
    const { host, devices, name, engine: a, pool } = await poolWrittenBy(A);
    expect(pool.writer).toEqual(A);
    const b = host.engine();
    const again = await handTo(a, b, name, devices, B);
    await again.createVolume('w', MiB);
    await again.deactivate();
    const report = await catalogWriters(host, devices[0]!);
    expect(report.regression).toBeNull();
    expect(report.newestToken).toBe(20n);
    expect(report.writers.map((w) => [w.writer.nodeId, w.writer.token])).toEqual([
      ['node-a', 10n],
      ['node-b', 20n],
    ]);
  });

  it('refuses to serve a pool whose catalog holds a token newer than the activating grant, changing nothing', async () => {
    const { host, devices, name, pool } = await poolWrittenBy(B);
    await pool.deactivate();
    const dmBefore = (await host.dm.list()).map((d) => d.name).sort();
    const a = host.engine();
    a.setPoolWriter(name, A);
    const message = await refusal(a.activatePool(name, devices), 'SPLIT_BRAIN');
    expect(message).toContain('node "node-a"');
    expect(message).toContain('"node-b" token 20');
    expect((await host.dm.list()).map((d) => d.name).sort()).toEqual(dmBefore);
    // The newest grant serves it.
    a.setPoolWriter(name, C);
    expect((await a.activatePool(name, devices)).volumeCount).toBe(1);
  });

  it('refuses a pool that two holders wrote at once, naming both', async () => {
    const { host, devices, name, pool: poolA } = await poolWrittenBy(A);
    await poolA.flushCatalog();
    // B is granted the pool and activates it while A (stalled, never fenced) still has it open.
    const b = host.engine();
    b.setPoolWriter(name, B);
    const poolB = await b.activatePool(name, devices);
    // A wakes up and goes on writing; then B writes at its own tail, over A's first frame.
    await poolA.pin('v', true);
    await poolA.pin('v', false);
    await poolA.flushCatalog();
    await poolB.pin('v', true).catch(() => undefined);
    await poolB.flushCatalog().catch(() => undefined);
    const c = host.engine();
    c.setPoolWriter(name, C);
    const message = await refusal(c.activatePool(name, devices), 'SPLIT_BRAIN');
    expect(message).toMatch(/by node "node-a" with token 10 follows frame seq \d+ \(journal byte \d+\) by node "node-b" with token 20/);
  });

  it('stamps delete marks with the owner token, and refuses a stale owner', async () => {
    const { host, devices, name, pool: poolA } = await poolWrittenBy(A);
    const mark = { jobId: 'job1', doneBytes: 0, chunkBytes: 65536, createdMs: 1 };
    expect((await poolA.markDelete('v', mark)).deleting).toEqual({ ...mark, ownerToken: '10' });
    expect(poolA.jobOwnerToken('job1')).toBe(10n);
    await poolA.flushCatalog();
    // B is granted the pool while A is stalled, and adopts the job: the mark is B's now.
    const b = host.engine();
    b.setPoolWriter(name, B);
    const poolB = await b.activatePool(name, devices);
    expect((await poolB.markDelete('v', mark)).deleting).toEqual({ ...mark, ownerToken: '20' });
    // A wakes up and would write its job's checkpoint: the catalog on the disk says it is stale.
    const message = await refusal(poolA.markDelete('v', { ...mark, doneBytes: 65536 }), 'STALE_OWNER');
    expect(message).toContain('another writer has used this catalog');
    expect(message).toContain('token 20');
    // B cancels the job (mark cleared): the owner token stays recorded, for the pool's next holders.
    await poolB.markDelete('v', null);
    expect(poolB.jobOwnerToken('job1')).toBe(20n);
    const c = host.engine();
    const poolC = await handTo(b, c, name, devices, C);
    expect(poolC.jobOwnerToken('job1')).toBe(20n);
    expect((await poolC.show('v')).deleting).toBeNull();
    // An older grant may not become the writer of a pool that has seen a newer one.
    expect(() => c.setPoolWriter(name, B)).toThrow(expect.objectContaining({ code: 'STALE_OWNER' }) as Error);
    expect(poolC.writer).toEqual(C);
  });

  it('serves a pool moved to a new lock space whose tokens restarted, with a warning naming both cluster ids', async () => {
    const X = { token: 900n, nodeId: 'node-a', clusterId: 'cluster-x' };
    const Y = { token: 5n, nodeId: 'node-b', clusterId: 'cluster-y' };
    const { host, devices, name, engine: a } = await poolWrittenBy(X);
    const logged: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
    const b = host.engine({ logger });
    const moved = await handTo(a, b, name, devices, Y);
    expect(moved.writer).toEqual(Y);
    expect(logged).toMatchObject([{ level: 40, pool: name, fromClusterId: 'cluster-x', fromToken: '900', clusterId: 'cluster-y', token: '5' }]);
    // The new holder writes, delete marks included.
    await moved.createVolume('w', MiB);
    const mark = { jobId: 'job1', doneBytes: 0, chunkBytes: 65536, createdMs: 1 };
    expect((await moved.markDelete('w', mark)).deleting).toEqual({ ...mark, ownerToken: '5' });
    await moved.deactivate();
    expect(await catalogWriters(host, devices[0]!)).toMatchObject({ newestToken: 5n, clusterId: 'cluster-y', regression: null });
    // A later grant of the same lock space activates it without a warning.
    b.setPoolWriter(name, { ...Y, token: 6n });
    const again = await b.activatePool(name, devices);
    expect(again.volumeCount).toBe(2);
    expect(logged).toHaveLength(1);
  });

  it('lets the new lock space resume a delete job whose mark an older lock space wrote with a higher token', async () => {
    const X = { token: 900n, nodeId: 'node-a', clusterId: 'cluster-x' };
    const Y = { token: 5n, nodeId: 'node-b', clusterId: 'cluster-y' };
    const { host, devices, name, engine: a } = await poolWrittenBy(X);
    const before = await a.activatePool(name, devices);
    await before.createVolume('w', MiB);
    const mark = { jobId: 'job1', doneBytes: 0, chunkBytes: 65536, createdMs: 1 };
    await before.markDelete('w', mark);
    expect(before.jobOwnerToken('job1')).toBe(900n);
    const moved = await handTo(a, host.engine(), name, devices, Y);
    // Token 900 belongs to the old lock space: it does not outrank this one's 5.
    expect(moved.jobOwnerToken('job1')).toBe(0n);
    const resumed = { ...mark, doneBytes: 65536 };
    expect((await moved.markDelete('w', resumed)).deleting).toEqual({ ...resumed, ownerToken: '5' });
    expect(moved.jobOwnerToken('job1')).toBe(5n);
  });

  it('leaves a standalone pool as it was: no owner token on marks', async () => {
    const { host, devices, name } = await setup();
    const pool = await host.engine().createPool({ name, devices, ...SMALL_CATALOG });
    await pool.createVolume('v', MiB);
    const mark = { jobId: 'job1', doneBytes: 0, chunkBytes: 65536, createdMs: 1 };
    expect((await pool.markDelete('v', mark)).deleting).toEqual(mark);
    expect(pool.jobOwnerToken('job1')).toBe(0n);
    expect(pool.writer).toEqual({ token: 0n, nodeId: '' });
  });
});
