/**
 * What a Pool tells callers outside the engine about itself without handing out its core:
 * devices, volume count, the external origins its volumes name, whether a volume's device is
 * open, and flushing its staged catalog records. Simulated kernel (unit tier).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isEngineError, type Engine } from '@thinfleet/engine';
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
