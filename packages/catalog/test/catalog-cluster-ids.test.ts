/**
 * Cluster ids beside the writer tokens (docs/catalog-format.md, "Writers"): tokens are etcd
 * revisions and compare only within one lock space. A pool whose cluster's etcd was replaced
 * (revisions restart near 1) is served under the new lock space's grants, while two lock spaces
 * writing one pool alternately are refused (SPLIT_BRAIN) like two holders of one lock space.
 */
import { describe, expect, it } from 'vitest';
import {
  CatalogStore,
  clusterMoveOf,
  decodeCheckpointHeader,
  decodeJournalFrameHeader,
  decodeJournalRecord,
  encodeJournalRecord,
  isCatalogError,
  MAX_WRITER_CLUSTER_ID_BYTES,
  type CatalogLayout,
  type CatalogWriter,
  type MemoryCatalogDevice,
} from '@thinfleet/catalog';
import { applied, deviceFor, emptyState, layout, optionsFor, put } from './catalog-test-kit.js';

const X = 'cluster-x-AAAAAAAAAAAA';
const Y = 'cluster-y-BBBBBBBBBBBB';
const x = (token: bigint, nodeId = 'node-a'): CatalogWriter => ({ token, nodeId, clusterId: X });
const y = (token: bigint, nodeId = 'node-b'): CatalogWriter => ({ token, nodeId, clusterId: Y });

const journalAt = (l: CatalogLayout): number => l.offsetBytes + 2 * l.slotBytes;
const slotAt = (l: CatalogLayout, slot: 0 | 1): number => l.offsetBytes + slot * l.slotBytes;
const opts = (device: MemoryCatalogDevice, l: CatalogLayout, writer?: CatalogWriter) => ({ ...optionsFor(device, l), ...(writer ? { writer } : {}) });

async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCatalogError(err, 'SPLIT_BRAIN'), `expected SPLIT_BRAIN, got ${String(err)}`).toBe(true);
  return (err as Error).message;
}

describe('catalog cluster ids', () => {
  it('a pool written under cluster X up to token 900 is served under cluster Y with grant 5', async () => {
    const l = layout();
    const device = deviceFor(l);
    const old = await CatalogStore.create(opts(device, l, x(800n)), emptyState());
    await old.append(put(1));
    old.setWriter(x(900n));
    await old.append(put(2));

    const moved = await CatalogStore.open(opts(device, l, y(5n)));
    expect(moved.loadReport.writers).toMatchObject({ newestToken: 900n, clusterId: X, regression: null });
    expect(clusterMoveOf(moved.loadReport.writers, y(5n))).toEqual({ fromClusterId: X, fromToken: 900n, toClusterId: Y, toToken: 5n });
    expect(moved.newestToken).toBe(5n);
    expect(moved.newestClusterId).toBe(Y);
    // The new lock space's holder writes, delete marks included (no STALE_WRITER against X's 900).
    await moved.checkNoNewerWriter();
    await moved.append(put(3));
    moved.setWriter(y(6n));
    await moved.append(put(4));

    const again = await CatalogStore.open(opts(device, l, y(7n)));
    expect(again.state).toEqual(applied(emptyState(), put(1), put(2), put(3), put(4)));
    expect(clusterMoveOf(again.loadReport.writers, y(7n))).toBeNull();
    expect(again.loadReport.writers).toMatchObject({ newestToken: 6n, clusterId: Y, earlierClusterIds: [X] });
    expect(again.loadReport.writers.moves.map((m) => [m.from.writer.token, m.from.writer.clusterId, m.to.writer.token, m.to.writer.clusterId])).toEqual([[900n, X, 5n, Y]]);
    // Within Y the usual rules hold: a grant older than Y's newest is refused.
    expect(await refusal(CatalogStore.open(opts(device, l, y(4n))))).toContain(`token 6 of cluster "${Y}", newer than this host's grant 4`);

    // The checkpoint keeps the epoch: Y's token with Y's cluster id.
    await again.checkpoint();
    expect(decodeCheckpointHeader(device.peek(slotAt(l, 1), 512).subarray(0, 64))).toMatchObject({ newestToken: 7n, newestClusterBytes: Y.length });
    const afterCheckpoint = await CatalogStore.open(opts(device, l, y(7n)));
    expect(afterCheckpoint.loadReport.writers).toMatchObject({ checkpointToken: 7n, checkpointClusterId: Y, newestToken: 7n, clusterId: Y });
    await refusal(CatalogStore.open(opts(device, l, y(6n))));
  });

  it('frames of X(900), then Y(5), then X(901) refuse, naming both cluster ids', async () => {
    const l = layout();
    const device = await journalOf(l, [x(900n), y(5n), x(901n)]);
    for (const own of [y(6n), x(902n), undefined]) {
      const message = await refusal(CatalogStore.open(opts(device, l, own)));
      expect(message).toContain(
        `frame seq 3 (journal byte 1024) by node "node-a" with token 901 of cluster "${X}" follows frame seq 2 (journal byte 512) by node "node-b" with token 5 of cluster "${Y}"`,
      );
      expect(message).toContain(`cluster "${X}" wrote after cluster "${Y}" had taken over from it`);
      expect(message.length).toBeLessThan(2000);
    }
    // Y(5) then X(900) is a move; a host of Y opening it would write Y after X: refused too.
    const back = await journalOf(l, [y(5n), x(900n)]);
    expect(await refusal(CatalogStore.open(opts(back, l, y(6n))))).toContain(`this host's cluster "${Y}" wrote this pool's catalog before cluster "${X}" took over from it`);
    expect((await CatalogStore.open(opts(back, l, x(901n)))).seq).toBe(2);
    // Many moves, then a return to the first lock space: still evidence (and the report stays bounded).
    const many = Array.from({ length: 12 }, (_, i): CatalogWriter => ({ token: 3n, nodeId: 'n', clusterId: `c${i}` }));
    const hopping = await journalOf(l, [...many, many[0]!]);
    const message = await refusal(CatalogStore.open(opts(hopping, l)));
    expect(message).toContain('cluster "c0" wrote after cluster "c11" had taken over from it');
    expect(message).toContain('and 4 more');
  });

  it('within one cluster id the token rules are unchanged', async () => {
    const l = layout();
    const backwards = await journalOf(l, [x(10n), x(20n, 'node-b'), x(10n)]);
    expect(await refusal(CatalogStore.open(opts(backwards, l, x(30n))))).toMatch(
      /frame seq 3 .* with token 10 of cluster ".*" follows frame seq 2 .* with token 20 of cluster .*, whose token is newer/,
    );
    const newer = await journalOf(l, [x(10n), x(20n, 'node-b')]);
    await refusal(CatalogStore.open(opts(newer, l, x(15n))));
    expect((await CatalogStore.open(opts(newer, l, x(20n)))).seq).toBe(2);
    // Another cluster's grant is not compared with X's tokens, and standalone frames never count.
    expect((await CatalogStore.open(opts(newer, l, y(1n)))).seq).toBe(2);
    const mixed = await journalOf(l, [x(10n), { token: 0n, nodeId: '' }, x(10n)]);
    expect((await CatalogStore.open(opts(mixed, l, x(10n)))).loadReport.writers.regression).toBeNull();
    // A store of X may not go back to an older X grant, but may move to Y.
    const store = await CatalogStore.open(opts(newer, l, x(20n)));
    expect(() => store.setWriter(x(19n))).toThrow(expect.objectContaining({ code: 'STALE_WRITER' }) as Error);
    store.setWriter(y(1n));
    expect(store.newestToken).toBe(1n);
  });

  it('frames and checkpoints without a cluster id still load; their tokens form an epoch of their own', async () => {
    const l = layout();
    const legacy = await journalOf(l, [
      { token: 100n, nodeId: 'node-a' },
      { token: 101n, nodeId: 'node-a' },
    ]);
    const opened = await CatalogStore.open(opts(legacy, l, x(5n)));
    expect(opened.loadReport.writers).toMatchObject({ newestToken: 101n, clusterId: '', regression: null });
    expect(clusterMoveOf(opened.loadReport.writers, x(5n))).toEqual({ fromClusterId: '', fromToken: 101n, toClusterId: X, toToken: 5n });
    await refusal(CatalogStore.open(opts(legacy, l, { token: 100n, nodeId: 'node-a' })));
  });

  it('writes the cluster id byte for byte, and bounds it', async () => {
    const l = layout();
    const device = deviceFor(l);
    const store = await CatalogStore.create(opts(device, l, x(900n)), emptyState());
    await store.append(put(1));
    const frame = device.peek(journalAt(l), 512);
    expect(frame.readUInt32LE(48)).toBe(6);
    expect(frame.readUInt32LE(52)).toBe(X.length);
    expect(frame.toString('utf8', 64, 70)).toBe('node-a');
    expect(frame.toString('utf8', 70, 70 + X.length)).toBe(X);
    expect(frame.readUInt32LE(32)).toBe(6 + X.length + JSON.stringify(put(1)).length);
    expect(frame.toString('utf8', 70 + X.length, 70 + X.length + 1)).toBe('{');
    const slot = device.peek(slotAt(l, 0), 512);
    expect(slot.readBigUInt64LE(40)).toBe(900n);
    expect(slot.readUInt32LE(48)).toBe(X.length);
    expect(slot.toString('utf8', 64, 64 + X.length)).toBe(X);

    const long = { token: 1n, nodeId: 'n', clusterId: 'c'.repeat(MAX_WRITER_CLUSTER_ID_BYTES + 1) };
    expect(() => store.setWriter(long)).toThrow(RangeError);
    expect(() => store.setWriter({ token: 1n, nodeId: 'n', clusterId: 'a\0b' })).toThrow(RangeError);
    const widest = { token: 1n, nodeId: 'n'.repeat(64), clusterId: 'c'.repeat(MAX_WRITER_CLUSTER_ID_BYTES) };
    const encoded = encodeJournalRecord({ generation: 1, seq: 1, record: put(1), writer: widest });
    expect(decodeJournalRecord(encoded)?.writer).toEqual(widest);
    const claims = Buffer.from(encoded);
    claims.writeUInt32LE(MAX_WRITER_CLUSTER_ID_BYTES + 1, 52);
    expect(() => decodeJournalFrameHeader(claims)).toThrow(expect.objectContaining({ code: 'CORRUPT' }) as Error);
  });
});

/** A catalog (checkpoint by `writers[0]`) whose journal holds one frame per writer, seq 1.., each in its own 512 bytes. */
async function journalOf(l: CatalogLayout, writers: readonly CatalogWriter[]): Promise<MemoryCatalogDevice> {
  const device = deviceFor(l);
  await CatalogStore.create(opts(device, l, writers[0]), emptyState());
  writers.forEach((writer, i) => {
    const frame = encodeJournalRecord({ generation: 1, seq: i + 1, record: put(i + 1), writer });
    expect(frame.length).toBe(512);
    device.poke(journalAt(l) + i * 512, frame);
  });
  return device;
}
