import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CatalogStore, catalogAreaBytes, fileCatalogDevice, MemoryCatalogDevice, SimulatedCrash } from '@thinfleet/catalog';
import { applied, emptyState, layout, put, reduceKv } from './catalog-test-kit.js';

const fill = (byte: number, bytes: number): Buffer => Buffer.alloc(bytes, byte);

describe('MemoryCatalogDevice', () => {
  it('reads back writes and rejects misaligned or out-of-range access', async () => {
    const dev = new MemoryCatalogDevice(8192);
    await dev.write(512, fill(7, 1024));
    expect((await dev.read(0, 2048)).subarray(512, 1536).every((b) => b === 7)).toBe(true);
    await expect(dev.read(100, 512)).rejects.toThrow(RangeError);
    await expect(dev.write(0, fill(1, 100))).rejects.toThrow(RangeError);
    await expect(dev.write(8192, fill(1, 512))).rejects.toThrow(RangeError);
    expect(() => new MemoryCatalogDevice(1000)).toThrow(RangeError);
    expect(dev.writeCount).toBe(1);
  });

  it('returns copies, so callers cannot alias its contents', async () => {
    const dev = new MemoryCatalogDevice(4096);
    const data = fill(1, 512);
    await dev.write(0, data);
    data.fill(2);
    const read = await dev.read(0, 512);
    read.fill(3);
    expect(dev.peek(0, 1)[0]).toBe(1);
  });

  it('tears the (n+1)th write at a sector boundary and refuses every later write until restart', async () => {
    const dev = new MemoryCatalogDevice(8192);
    dev.failWritesAfter(1, 2);
    await dev.write(0, fill(1, 512));
    await expect(dev.write(1024, fill(9, 2048))).rejects.toBeInstanceOf(SimulatedCrash);
    expect(dev.crashed).toBe(true);
    await expect(dev.write(4096, fill(5, 512))).rejects.toBeInstanceOf(SimulatedCrash);
    const after = dev.peek(0, 8192);
    expect(after[0]).toBe(1);
    expect(after.subarray(1024, 2048).every((b) => b === 9)).toBe(true);
    expect(after.subarray(2048, 3072).every((b) => b === 0)).toBe(true);
    expect(after[4096]).toBe(0);
    expect(dev.writeCount).toBe(1);
    dev.restart();
    await dev.write(4096, fill(5, 512));
    expect(dev.peek(4096, 1)[0]).toBe(5);
  });

  it('lands the whole write but still crashes when tornSectors covers it', async () => {
    const dev = new MemoryCatalogDevice(4096);
    dev.failWritesAfter(0, 100);
    await expect(dev.write(0, fill(4, 1024))).rejects.toBeInstanceOf(SimulatedCrash);
    expect(dev.peek(0, 1024).every((b) => b === 4)).toBe(true);
  });

  it('flips single bits for corruption tests', () => {
    const dev = new MemoryCatalogDevice(512);
    dev.flipBit(10, 3);
    expect(dev.peek(10, 1)[0]).toBe(8);
    expect(() => dev.flipBit(10, 8)).toThrow(RangeError);
  });
});

describe('fileCatalogDevice', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'thinfleet-catalog-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes durably, reads back, refuses reads past the end, and reopens after close', async () => {
    const path = join(dir, 'dev.img');
    await writeFile(path, '');
    await truncate(path, 16384);
    const dev = fileCatalogDevice(path);
    await dev.write(4096, fill(0xab, 1024));
    expect((await dev.read(4096, 1024)).every((b) => b === 0xab)).toBe(true);
    await expect(dev.read(16384 - 512, 1024)).rejects.toThrow(RangeError);
    await expect(dev.write(3, fill(1, 512))).rejects.toThrow(RangeError);
    await dev.close();
    await dev.close();
    expect((await dev.read(4096, 512))[0]).toBe(0xab);
    await dev.close();
  });

  it('rejects when the file does not exist, then works once it does', async () => {
    const path = join(dir, 'late.img');
    const dev = fileCatalogDevice(path);
    await expect(dev.read(0, 512)).rejects.toMatchObject({ code: 'ENOENT' });
    await writeFile(path, fill(6, 512));
    expect((await dev.read(0, 512))[0]).toBe(6);
    await dev.close();
  });

  it('holds a catalog store across a close and reopen', async () => {
    const l = layout();
    const path = join(dir, 'pool.img');
    await writeFile(path, '');
    await truncate(path, l.offsetBytes + catalogAreaBytes(l));
    const dev = fileCatalogDevice(path);
    const store = await CatalogStore.create({ device: dev, layout: l, reduce: reduceKv }, emptyState());
    await store.append(put(1));
    await store.append(put(2));
    await dev.close();
    const reopened = fileCatalogDevice(path);
    const again = await CatalogStore.open({ device: reopened, layout: l, reduce: reduceKv });
    await reopened.close();
    expect(again.state).toEqual(applied(emptyState(), put(1), put(2)));
    expect(again.seq).toBe(2);
  });
});
