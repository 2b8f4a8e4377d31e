/**
 * A catalog the size of a busy pool: 10,000 volumes (about 3 MB of JSON). The load time is
 * printed for the record, never asserted.
 */
import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { CatalogStore, encodeCheckpoint } from '@thinfleet/catalog';
import { deviceFor, MiB } from './catalog-test-kit.js';

interface Volume {
  uuid: string;
  name: string;
  thinId: number;
  sizeBytes: number;
  origin: string | null;
  createdAtMs: number;
  labels: Record<string, string>;
}
interface Pool {
  volumes: Record<string, Volume>;
  lastTx: number;
}
type PoolRecord = { put: Volume; tx: number } | { remove: string; tx: number };

function reducePool(state: Pool, record: PoolRecord): Pool {
  if ('put' in record) state.volumes[record.put.uuid] = record.put;
  else delete state.volumes[record.remove];
  state.lastTx = record.tx;
  return state;
}

function volume(i: number): Volume {
  const hex = i.toString(16).padStart(12, '0');
  return {
    uuid: `7d3f1c2e-0000-4000-8000-${hex}`,
    name: `qubes-vm-${i}-private-snapshot-revision`,
    thinId: i + 1,
    sizeBytes: 10 * 1024 * 1024 * 1024,
    origin: i % 3 === 0 ? null : `7d3f1c2e-0000-4000-8000-${(i - 1).toString(16).padStart(12, '0')}`,
    createdAtMs: 1_720_000_000_000 + i,
    labels: { owner: `team-${i % 17}`, class: 'appvm', template: 'debian-12-xfce' },
  };
}

describe('catalog of 10,000 volumes', () => {
  it('loads a ~3 MB checkpoint plus journal and keeps every volume', async () => {
    const layout = { offsetBytes: 4096, slotBytes: 8 * MiB, journalBytes: 4 * MiB };
    const device = deviceFor(layout);
    const initial: Pool = { volumes: {}, lastTx: 0 };
    for (let i = 0; i < 10_000; i++) reducePool(initial, { put: volume(i), tx: 0 });
    const options = { device, layout, reduce: reducePool };
    const store = await CatalogStore.create<Pool, PoolRecord>(options, initial);
    const stateBytes = encodeCheckpoint({ generation: 1, seq: 0, state: initial, stateEncoding: 'json' }).length;
    expect(stateBytes).toBeGreaterThan(2.5 * MiB);
    // Deflated, as written: well under a tenth of the JSON for states like this.
    expect(store.sizeInfo().checkpointBytes).toBeLessThan(stateBytes / 8);

    for (let tx = 1; tx <= 200; tx++) {
      await store.append(tx % 4 === 0 ? { remove: volume(tx).uuid, tx } : { put: { ...volume(10_000 + tx) }, tx });
    }

    const started = performance.now();
    const opened = await CatalogStore.open(options);
    const elapsedMs = performance.now() - started;
    console.log(
      `catalog load: ${(stateBytes / MiB).toFixed(2)} MiB of JSON (${(store.sizeInfo().checkpointBytes / MiB).toFixed(2)} MiB deflated) + ${opened.loadReport.recordsReplayed} records in ${elapsedMs.toFixed(1)} ms`,
    );

    expect(opened.loadReport.recordsReplayed).toBe(200);
    expect(Object.keys(opened.state.volumes)).toHaveLength(10_000 + 150 - 50);
    expect(opened.state.lastTx).toBe(200);
    expect(opened.state).toEqual(store.state);

    await opened.checkpoint();
    const afterCheckpoint = await CatalogStore.open(options);
    expect(afterCheckpoint.loadReport).toMatchObject({ checkpointSlot: 1, recordsReplayed: 0 });
    expect(afterCheckpoint.state).toEqual(store.state);
  });
});
