/**
 * What a Pool tells callers outside the engine about itself without handing out its core:
 * devices, volume count, the external origins its volumes name, whether a volume's device is
 * open, and flushing its staged catalog records; Pool.list's keyset pages (afterName, limit):
 * name order, every volume unchanged during a walk exactly once while others come and go, a
 * page's cost independent of the pool's size. Simulated kernel (unit tier).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEngineError, volumeNamesAfter, type Engine, type Pool } from '@thinfleet/engine';
import { rng as seeded } from '../../../test/support/seeded.mjs';
import { EngineTestHost, SMALL_CATALOG } from './support/engine-test-host.js';
import { poolCore } from '../src/pool.js';

const MiB = 1024 * 1024;

let host: EngineTestHost;
let engine: Engine;

beforeEach(async () => {
  host = await EngineTestHost.open();
  engine = host.engine();
});

afterEach(async () => {
  await host.teardown();
});

describe('Pool queries', () => {
  it('reports its devices, its volume count and the external origins its volumes name', async () => {
    const paths = await host.devices(2);
    const pool = await engine.createPool({ name: host.poolName(), devices: paths, ...SMALL_CATALOG });
    const [image] = await host.devices(1, MiB);
    if (image === undefined) throw new Error('no image device');
    expect(pool.devicePaths).toEqual(paths);
    expect(pool.volumeCount).toBe(0);
    expect([...pool.externalOriginsInUse()]).toEqual([]);

    await pool.createVolume('plain', MiB);
    await pool.createExternal('vm1', image);
    await pool.snapshot('vm1', 'vm1-snap');
    expect(pool.volumeCount).toBe(3);
    expect([...pool.externalOriginsInUse()]).toEqual([image]);

    await pool.deleteVolume('vm1');
    expect([...pool.externalOriginsInUse()]).toEqual([image]);
    await pool.deleteVolume('vm1-snap');
    expect(pool.volumeCount).toBe(1);
    expect([...pool.externalOriginsInUse()]).toEqual([]);
  });

  it('counts the openers of a volume device and refuses an open one with the error a delete gets', async () => {
    const pool = await engine.createPool({ name: host.poolName(), devices: await host.devices(1), ...SMALL_CATALOG });
    const active = await pool.createVolume('vm', MiB, { activate: true });
    await pool.createVolume('idle', MiB);
    expect(await pool.volumeOpenCount('vm')).toBe(0);
    expect(await pool.volumeOpenCount('idle')).toBe(0);
    expect(await pool.volumeOpenCount('no-such-volume')).toBe(0);
    await pool.requireVolumeNotOpen('vm');

    const release = await host.holdOpen(active.devicePath ?? '');
    try {
      expect(await pool.volumeOpenCount('vm')).toBe(1);
      const refused = await pool.requireVolumeNotOpen('vm').then(
        () => null,
        (e: unknown) => e,
      );
      expect(isEngineError(refused, 'VOLUME_BUSY')).toBe(true);
      const byDelete = await pool.deleteVolume('vm').then(
        () => null,
        (e: unknown) => e,
      );
      expect(isEngineError(byDelete, 'VOLUME_BUSY')).toBe(true);
      // The same words; the delete's error also names its batch item.
      expect((byDelete as Error).message).toBe(`item "vm": ${(refused as Error).message}`);
      expect((refused as Error).message).toBe('volume "vm" is open (1 opener(s)); close it before deleting');
    } finally {
      await release();
    }
    await pool.requireVolumeNotOpen('vm');
    expect(pool.volumeCount).toBe(2);
  });

  it('writes staged commit records on flushCatalog, idempotently', async () => {
    const pool = await engine.createPool({ name: host.poolName(), devices: await host.devices(1), ...SMALL_CATALOG });
    await pool.createVolume('v', MiB);
    const catalog = poolCore(pool).catalog;
    expect(catalog.hasStaged).toBe(true);
    await pool.flushCatalog();
    expect(catalog.hasStaged).toBe(false);
    await pool.flushCatalog();
    expect(catalog.hasStaged).toBe(false);
    expect(catalog.state.pending).toBeNull();
  });
});

/** Walks every page of `pool` of `limit` volumes, calling `between` after each page. */
async function walk(pool: Pool, limit: number, between: (page: number) => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; ; page++) {
    const got = await pool.list({ afterName: after, limit });
    expect(got.length).toBeLessThanOrEqual(limit);
    seen.push(...got.map((v) => v.name));
    if (got.length < limit) return seen;
    after = got[got.length - 1]!.name;
    await between(page);
  }
}

describe('Pool.list pages', () => {
  it('pages in name order; every volume unchanged during the walk appears exactly once while others come and go', async () => {
    const pool = await engine.createPool({ name: host.poolName(), devices: await host.devices(1), ...SMALL_CATALOG });
    const rng = seeded(16);
    const stable = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const name = `v${String(Math.floor(rng() * 1e6)).padStart(6, '0')}-${i}`;
      await pool.createVolume(name, MiB);
      stable.add(name);
    }
    // The first full list sorts the index; the walk below keeps it in step with the changes.
    expect((await pool.list()).map((v) => v.name)).toEqual([...stable].sort());
    const churn = new Set<string>();
    let n = 0;
    const seen = await walk(pool, 7, async () => {
      // New names before, inside and after the part walked so far, and deletes of some of them.
      for (const prefix of ['a', 'v5', 'w', 'v0']) {
        const name = `${prefix}-churn-${n++}`;
        await pool.createVolume(name, MiB);
        churn.add(name);
      }
      const victim = [...churn][Math.floor(rng() * churn.size)]!;
      await pool.deleteVolume(victim);
      churn.delete(victim);
    });
    const stableSeen = seen.filter((name) => stable.has(name));
    expect(stableSeen).toEqual([...stable].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    // The kept-in-step index equals a fresh sort of what the catalog holds.
    expect((await pool.list()).map((v) => v.name)).toEqual(
      Object.values(poolCore(pool).catalog.state.volumes)
        .map((v) => v.name)
        .sort(),
    );
  });

  it('keeps the sorted names in step with renames, deletes and a snapshot between pages', async () => {
    const pool = await engine.createPool({ name: host.poolName(), devices: await host.devices(1), ...SMALL_CATALOG });
    for (const name of ['b', 'd', 'f', 'h']) await pool.createVolume(name, MiB);
    expect((await pool.list({ limit: 2 })).map((v) => v.name)).toEqual(['b', 'd']);
    await pool.rename('h', 'c');
    await pool.deleteVolume('f');
    await pool.snapshot('b', 'e');
    expect((await pool.list({ afterName: 'b', limit: 10 })).map((v) => v.name)).toEqual(['c', 'd', 'e']);
    expect((await pool.list({ afterName: 'bb', limit: 1 })).map((v) => v.name)).toEqual(['c']);
    expect(await pool.list({ afterName: 'zz', limit: 5 })).toEqual([]);
    expect(await pool.list({ limit: 0 })).toEqual([]);
    // show: one volume, its usage read unless asked not to.
    expect((await pool.show('c', { usage: false })).mappedBytes).toBeNull();
    expect((await pool.show('c')).mappedBytes).toBe(0);
    await expect(pool.show('f', { usage: false })).rejects.toMatchObject({ code: 'NO_SUCH_VOLUME' });
  });

  it('costs the page, not the pool: a page of 10 from 20,000 names reads 10 of them', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `vol-${String(i).padStart(6, '0')}`);
    const volumes = Object.fromEntries(names.map((name, i) => [`u${i}`, { uuid: `u${i}`, name, thinId: i, sizeBytes: MiB }]));
    const state = { volumes } as unknown as Parameters<typeof volumeNamesAfter>[0];
    expect(volumeNamesAfter(state, null, 3)).toEqual(names.slice(0, 3));
    // A proxy over the sorted array counts the reads a later page makes.
    let reads = 0;
    const index = Object.getOwnPropertySymbols(state).map((s) => (state as unknown as Record<symbol, { sortedNames: string[] }>)[s]!)[0]!;
    const sorted = index.sortedNames;
    index.sortedNames = new Proxy(sorted, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(volumeNamesAfter(state, 'vol-012345', 10)).toEqual(names.slice(12_346, 12_356));
    expect(reads).toBeLessThan(60); // log2(20,000) ≈ 15 probes and the 10 of the page
  });
});
