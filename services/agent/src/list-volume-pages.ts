/**
 * ListVolumes' pages: the request's page_size and page_token checked, and one keyset page walked
 * over the selected pools in (pool, name) code-unit order. The token is opaque to clients:
 * `1.` and the base64url of the JSON `[pool asked, last pool, last name]` of the previous
 * page. Nothing is kept between calls, so a page costs the same whoever asks and whenever, and
 * a volume that exists unchanged during the whole walk is in exactly one page (Pool.list pages
 * by name after the last name given). See docs/agent.md, Listing.
 */
import { compareNames, quoted, type Pool, type VolumeInfo } from '@thinfleet/engine';
import { MAX_POOL_NAME_CHARS, MAX_VOLUME_NAME_CHARS } from '@thinfleet/units';
import { badRequest } from './agent-error.js';

/** Volumes per page when a token is given and page_size is 0. */
export const DEFAULT_PAGE_SIZE = 1000;
/** The largest page_size accepted. */
export const MAX_PAGE_SIZE = 10_000;
/** The longest page_token accepted, in bytes (a token this agent makes is far shorter). */
export const MAX_PAGE_TOKEN_BYTES = 512;

const TOKEN_PREFIX = '1.';
const TOKEN_PATTERN = /^1\.[A-Za-z0-9_-]+$/;

/** Where the previous page stopped: the last pool it walked and the last name it listed there. */
export interface PagePosition {
  readonly pool: string;
  readonly name: string;
}

/** How many volumes the page may hold (Infinity: every volume, an old client's request). */
export function pageLimit(pageSize: number, pageToken: string): number {
  if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
    throw badRequest('page_size', `must be 0 .. ${MAX_PAGE_SIZE}, not ${quoted(String(pageSize))}`);
  }
  if (pageSize > 0) return pageSize;
  return pageToken === '' ? Number.POSITIVE_INFINITY : DEFAULT_PAGE_SIZE;
}

/** The token of the page after `position`, for requests naming pool `asked` ('' for every pool). */
export function encodePageToken(asked: string, position: PagePosition): string {
  return TOKEN_PREFIX + Buffer.from(JSON.stringify([asked, position.pool, position.name])).toString('base64url');
}

const bad = (token: string, why: string): Error =>
  badRequest('page_token', `${why} (token ${quoted(token, 16)}): pass the next_page_token of the previous answer for the same pool, or '' to start over`);

/**
 * Where the page of `token` starts (null for the first page).
 * @throws AgentError INVALID_ARGUMENT on page_token: too long, not made by this agent, or made for another pool
 */
export function decodePageToken(asked: string, token: string): PagePosition | null {
  if (token === '') return null;
  if (Buffer.byteLength(token) > MAX_PAGE_TOKEN_BYTES) throw bad(token, `longer than ${MAX_PAGE_TOKEN_BYTES} bytes`);
  if (!TOKEN_PATTERN.test(token)) throw bad(token, 'not a page token of this agent');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw bad(token, 'not a page token of this agent');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    !parsed.every((x) => typeof x === 'string') ||
    (parsed[1] as string).length > MAX_POOL_NAME_CHARS ||
    (parsed[2] as string).length > MAX_VOLUME_NAME_CHARS
  ) {
    throw bad(token, 'not a page token of this agent');
  }
  const [forPool, pool, name] = parsed as [string, string, string];
  if (forPool !== asked) throw bad(token, 'made for another pool');
  if (asked !== '' && pool !== asked) throw bad(token, 'not a page token of this agent');
  return { pool, name };
}

/** One page's volumes by pool, and where the next page starts (null: this is the last). */
export interface VolumePage {
  readonly volumes: { pool: Pool; volume: VolumeInfo }[];
  readonly next: PagePosition | null;
}

/**
 * Walks up to `limit` volumes of `pools` (in name order) from just after `from`: each pool's
 * keyset page (Pool.list afterName/limit), `hide` dropping volumes not to show (a copy still
 * being made) without changing where the next page starts. Asks each pool for one volume more
 * than it needs, to know whether there is a next page. Reads only.
 */
export async function walkVolumePage(pools: readonly Pool[], from: PagePosition | null, limit: number, usage: boolean, hide: (volumes: VolumeInfo[]) => VolumeInfo[]): Promise<VolumePage> {
  const sorted = [...pools].sort((a, b) => compareNames(a.name, b.name));
  const volumes: { pool: Pool; volume: VolumeInfo }[] = [];
  let left = limit;
  for (const pool of sorted) {
    if (from !== null && compareNames(pool.name, from.pool) < 0) continue;
    const afterName = from !== null && pool.name === from.pool ? from.name : null;
    if (left <= 0) return { volumes, next: { pool: pool.name, name: afterName ?? '' } };
    const got = await pool.list({ usage, afterName, ...(Number.isFinite(left) ? { limit: left + 1 } : {}) });
    const taken = got.length > left ? got.slice(0, left) : got;
    for (const volume of hide(taken)) volumes.push({ pool, volume });
    if (got.length > left) return { volumes, next: { pool: pool.name, name: taken[taken.length - 1]!.name } };
    left -= taken.length;
  }
  return { volumes, next: null };
}
