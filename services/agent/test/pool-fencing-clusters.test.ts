/**
 * The agent's newest lock tokens per pool (fencing.json) compare only within one lock space: a
 * grant from another cluster id (the cluster's etcd replaced, revisions restarting near 1) starts
 * the pool's tokens afresh instead of being refused as STALE_TOKEN, while older grants of the same
 * lock space are still refused, across a restart too.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PoolFencing } from '../src/pool-fencing.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const stateDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-fencing-'));
  dirs.push(dir);
  return dir;
};
const code = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (e as { code?: string }).code,
  );

describe('pool fencing tokens and cluster ids', () => {
  it('a grant of another lock space replaces the newest token; within one lock space older grants are refused', async () => {
    const dir = stateDir();
    const fencing = new PoolFencing(dir);
    await fencing.admitGrant('p', 900n, 'cluster-x');
    expect(await code(fencing.admit('p', '899'))).toBe('STALE_TOKEN');
    expect(await code(fencing.admitGrant('p', 899n, 'cluster-x'))).toBe('STALE_TOKEN');
    await fencing.admitGrant('p', 5n, 'cluster-y');
    expect(fencing.newestToken('p')).toBe(5n);
    await fencing.admit('p', '5');
    await fencing.admitGrant('p', 5n, 'cluster-y');
    expect(await code(fencing.admitGrant('p', 4n, 'cluster-y'))).toBe('STALE_TOKEN');
    expect(JSON.parse(readFileSync(join(dir, 'fencing.json'), 'utf8'))).toEqual({ version: 1, pools: { p: '5' }, clusters: { p: 'cluster-y' } });
    // After a restart the same.
    const again = new PoolFencing(dir);
    expect(await code(again.admitGrant('p', 4n, 'cluster-y'))).toBe('STALE_TOKEN');
    await again.admitGrant('p', 6n, 'cluster-y');
    expect(again.newestToken('p')).toBe(6n);
  });

  it('a file from before cluster ids counts as a lock space without an id', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'fencing.json'), JSON.stringify({ version: 1, pools: { p: '900' } }));
    const fencing = new PoolFencing(dir);
    expect(await code(fencing.admitGrant('p', 899n, ''))).toBe('STALE_TOKEN');
    await fencing.admitGrant('p', 5n, 'cluster-y');
    expect(fencing.newestToken('p')).toBe(5n);
  });
});
