/**
 * The catalog's write descriptor is kept open across appends (block-catalog-device.ts,
 * BlockClient.keepOpen): one keepOpen per activation or creation, every catalog append a plain
 * write, and the release when the pool is deactivated, fenced or fails to activate. On the
 * simulated kernel, with a block client that counts keepOpen and release.
 */
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSimHost, type BlockClient, type SimHost } from '@thinfleet/devmapper';
import { Engine } from '@thinfleet/engine';
import { blockCatalogDevice } from '../src/block-catalog-device.js';
import { SMALL_CATALOG } from './support/engine-test-host.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
const sims: SimHost[] = [];

afterEach(async () => {
  for (const s of sims.splice(0)) s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** `target` with `overrides` in place of some of its members; its own methods keep their `this`. */
function withOverrides<T extends object>(target: T, overrides: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(target, {
    get: (t, key) => {
      if (key in overrides) return overrides[key as keyof T];
      const value: unknown = Reflect.get(t, key);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/** `block` with keepOpen/release that count, per path, how many keepers hold it. */
function counting(block: BlockClient): { client: BlockClient; held: Map<string, number>; calls: string[] } {
  const held = new Map<string, number>();
  const calls: string[] = [];
  const client: BlockClient = withOverrides(block, {
    keepOpen: async (path: string) => {
      calls.push(`keep ${path}`);
      held.set(path, (held.get(path) ?? 0) + 1);
    },
    release: async (path: string) => {
      calls.push(`release ${path}`);
      const n = (held.get(path) ?? 0) - 1;
      if (n <= 0) held.delete(path);
      else held.set(path, n);
    },
  });
  return { client, held, calls };
}

async function host(): Promise<{ sim: SimHost; device: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tf-kept-'));
  dirs.push(dir);
  const file = join(dir, 'disk.img');
  await writeFile(file, '');
  await truncate(file, 64 * MiB);
  const sim = await openSimHost(join(dir, 'kernel'));
  sims.push(sim);
  return { sim, device: await sim.block.attachLoop(file) };
}

describe('the catalog device kept open', () => {
  it('keeps device 0 open once per activation and releases it on deactivate and on fence', async () => {
    const { sim, device } = await host();
    const { client, held, calls } = counting(sim.block);
    const engine = new Engine({ dm: sim.dm, block: client });
    const pool = await engine.createPool({ name: 'kept', devices: [device], ...SMALL_CATALOG });
    for (let i = 0; i < 5; i++) await pool.createVolume(`v${i}`, MiB);
    expect(held.get(device)).toBe(1);
    expect(calls.filter((c) => c.startsWith('keep'))).toHaveLength(1);

    await pool.deactivate();
    expect(held.has(device)).toBe(false);

    const again = await new Engine({ dm: sim.dm, block: client }).activatePool('kept', [device]);
    await again.createVolume('w', MiB);
    expect(held.get(device)).toBe(1);
    expect((await again.list()).map((v) => v.name)).toContain('w');

    const fencing = new Engine({ dm: sim.dm, block: client });
    const fenced = await fencing.activatePool('kept', [device]);
    expect(held.get(device)).toBe(2);
    await fencing.fencePool('kept');
    // The release runs once the catalog's queue has settled: nothing is in flight here.
    await poolSettled(fenced);
    expect(held.get(device)).toBe(1);
  });

  it('releases the descriptor when an activation fails after the catalog loaded', async () => {
    const { sim, device } = await host();
    const { client, held } = counting(sim.block);
    const engine = new Engine({ dm: sim.dm, block: client });
    const pool = await engine.createPool({ name: 'fails', devices: [device], ...SMALL_CATALOG });
    await pool.createVolume('v', MiB);
    await pool.deactivate();
    // The catalog loads and writes (a format-3 checkpoint is already there; recovery appends
    // nothing), then creating the pool's devices fails.
    const failingDm = withOverrides(sim.dm, { create: () => Promise.reject(new Error('injected: no device-mapper today')) });
    await expect(new Engine({ dm: failingDm, block: client }).activatePool('fails', [device])).rejects.toThrow(/injected/);
    expect(held.has(device)).toBe(false);
  });

  it('blockCatalogDevice keeps only when asked, falls back to a write per open when keeping fails, and keeps again after close', async () => {
    const writes: string[] = [];
    let keepFails = false;
    const { client, held } = counting({
      write: async (path: string) => {
        writes.push(path);
      },
      read: async (_path: string, _offset: number, length: number) => Buffer.alloc(length),
    } as unknown as BlockClient);
    const keepOpen = (path: string): Promise<void> => client.keepOpen!(path);
    const flaky = withOverrides(client, {
      keepOpen: async (path: string) => {
        if (keepFails) throw new Error('EMFILE');
        return keepOpen(path);
      },
    });

    const label = blockCatalogDevice(flaky, '/dev/label');
    await label.write(0, Buffer.alloc(512));
    expect(held.size).toBe(0);
    await label.close?.();

    const kept = blockCatalogDevice(flaky, '/dev/d0', { keepOpen: true });
    await kept.write(0, Buffer.alloc(512));
    await kept.write(512, Buffer.alloc(512));
    expect(held.get('/dev/d0')).toBe(1);
    await kept.close?.();
    await kept.close?.();
    expect(held.has('/dev/d0')).toBe(false);
    await kept.write(0, Buffer.alloc(512));
    expect(held.get('/dev/d0')).toBe(1);
    await kept.close?.();

    keepFails = true;
    const unkept = blockCatalogDevice(flaky, '/dev/d1', { keepOpen: true });
    await unkept.write(0, Buffer.alloc(512));
    expect(held.has('/dev/d1')).toBe(false);
    await unkept.close?.();
    expect(writes).toEqual(['/dev/label', '/dev/d0', '/dev/d0', '/dev/d0', '/dev/d1']);
  });
});

/** Waits until the pool's catalog has run everything queued (close included). */
async function poolSettled(pool: { list(): Promise<unknown> } & object): Promise<void> {
  const { poolCore } = await import('../src/pool.js');
  await poolCore(pool as Parameters<typeof poolCore>[0])
    .catalog.flush()
    .catch(() => undefined);
}
