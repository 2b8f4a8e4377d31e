/**
 * ListVolumes' pages over gRPC (list-volume-pages.ts): page_size and page_token walk every pool
 * in (pool, name) order, each volume unchanged meanwhile exactly once while others are created
 * and deleted between pages; a request without page fields gets everything at once (an old
 * client); hostile page fields are INVALID_ARGUMENT naming the field, the token not echoed whole.
 */
import { status } from '@grpc/grpc-js';
import type { ListVolumesResponse__Output } from '@thinfleet/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken, pageLimit } from '../src/list-volume-pages.js';
import { failure, rawClients, type RawClients } from './support/raw-clients.js';
import { startTestAgent, type TestAgent } from './support/test-agent.js';

const MiB = 1024 * 1024;

let t: TestAgent;
let c: RawClients;

beforeAll(async () => {
  t = await startTestAgent();
  c = rawClients(t.socketPath);
  for (const pool of ['pb', 'pa']) {
    await c.call(c.pool, 'CreatePool', { name: pool, devices: [t.sparseFile(`${pool}.img`, 256 * MiB)] });
    for (let i = 0; i < 9; i++) await c.call(c.volume, 'CreateVolume', { pool, name: `v${i}`, sizeBytes: MiB });
  }
});

afterAll(async () => {
  c.close();
  await t.dispose();
});

const list = (request: Record<string, unknown>): Promise<ListVolumesResponse__Output> => c.call<ListVolumesResponse__Output>(c.volume, 'ListVolumes', request);
const names = (r: ListVolumesResponse__Output): string[] => r.volumes.map((v) => `${v.pool}/${v.name}`);

describe('ListVolumes pages', () => {
  it('without page fields answers every volume at once, as before paging', async () => {
    const all = await list({ pool: '' });
    expect(all.volumes).toHaveLength(18);
    expect(all.nextPageToken).toBe('');
    expect(names(all).slice(0, 2)).toEqual(['pa/v0', 'pa/v1']);
  });

  it('walks every pool in (pool, name) order; volumes unchanged meanwhile appear exactly once while others come and go', async () => {
    const before = names(await list({ pool: '' }));
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    let n = 0;
    do {
      const page = await list({ pool: '', pageSize: 4, pageToken: token });
      expect(page.volumes.length).toBeLessThanOrEqual(4);
      seen.push(...names(page));
      token = page.nextPageToken;
      pages++;
      // Between pages: a name before the walk's position, one after it, and one deleted.
      for (const pool of ['pa', 'pb']) {
        await c.call(c.volume, 'CreateVolume', { pool, name: `a${n}`, sizeBytes: MiB });
        await c.call(c.volume, 'CreateVolume', { pool, name: `z${n}`, sizeBytes: MiB });
      }
      if (n > 0) await c.call(c.volume, 'DeleteVolume', { pool: 'pb', name: `z${n - 1}` });
      n++;
    } while (token !== '');
    expect(pages).toBeGreaterThanOrEqual(5);
    expect(seen.filter((name) => before.includes(name))).toEqual(before);
    expect(new Set(seen).size).toBe(seen.length);
    for (const pool of ['pa', 'pb']) for (let i = 0; i < n; i++) await c.call(c.volume, 'DeleteVolume', { pool, name: `a${i}` });
    for (let i = 0; i < n; i++) await c.call(c.volume, 'DeleteVolume', { pool: 'pa', name: `z${i}` });
    await c.call(c.volume, 'DeleteVolume', { pool: 'pb', name: `z${n - 1}` });
  });

  it('pages one pool; the last page has no next token', async () => {
    const first = await list({ pool: 'pb', pageSize: 5 });
    expect(names(first)).toEqual(['pb/v0', 'pb/v1', 'pb/v2', 'pb/v3', 'pb/v4']);
    const second = await list({ pool: 'pb', pageSize: 5, pageToken: first.nextPageToken });
    expect(names(second)).toEqual(['pb/v5', 'pb/v6', 'pb/v7', 'pb/v8']);
    expect(second.nextPageToken).toBe('');
    // page_size 0 with a token: the default page (all that is left here).
    expect(names(await list({ pool: 'pb', pageToken: first.nextPageToken }))).toEqual(names(second));
  });

  it('refuses a page_size above the cap and hostile tokens, naming the field and quoting only a prefix', async () => {
    const big = await failure(list({ pool: 'pa', pageSize: 10_001 }));
    expect(big).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'page_size', errorCode: 'BAD_REQUEST' });
    const long = `1.${'A'.repeat(5000)}`;
    for (const token of ['garbage', long, `1.${Buffer.from('{"a":1}').toString('base64url')}`, `1.${Buffer.from('[').toString('base64url')}`]) {
      const f = await failure(list({ pool: 'pa', pageToken: token }));
      expect(f, token.slice(0, 20)).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'page_token', errorCode: 'BAD_REQUEST' });
      expect(f.details.length).toBeLessThan(300);
    }
    // A token made for pool pb does not page pool pa, nor every pool.
    const forPb = (await list({ pool: 'pb', pageSize: 1 })).nextPageToken;
    expect(await failure(list({ pool: 'pa', pageToken: forPb }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'page_token' });
    expect(await failure(list({ pool: '', pageToken: forPb }))).toMatchObject({ code: status.INVALID_ARGUMENT, field: 'page_token' });
  });
});

describe('page tokens', () => {
  it('round-trip and stay short', () => {
    const token = encodePageToken('', { pool: 'p'.repeat(32), name: 'n'.repeat(64) });
    expect(token.length).toBeLessThan(512);
    expect(decodePageToken('', token)).toEqual({ pool: 'p'.repeat(32), name: 'n'.repeat(64) });
    expect(decodePageToken('x', '')).toBeNull();
  });

  it('page_size 0 is everything without a token and the default page with one', () => {
    expect(pageLimit(0, '')).toBe(Number.POSITIVE_INFINITY);
    expect(pageLimit(0, 't')).toBe(1000);
    expect(pageLimit(7, '')).toBe(7);
  });
});
