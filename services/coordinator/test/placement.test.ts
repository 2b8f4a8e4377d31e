/** Placement of a new volume when the client names no pool. */
import { describe, expect, it } from 'vitest';
import { choosePool, PlacementError } from '../src/placement.js';
import type { HostRecord, PoolRecord } from '../src/registry.js';

const GiB = 2 ** 30;
const host = (nodeId: string, pools: string[]): HostRecord => ({
  nodeId,
  address: `unix:/run/${nodeId}.sock`,
  session: '1',
  version: 't',
  coordinator: 'c',
  pools: pools.map((name) => ({ name, uuid: `u-${name}`, devices: [], active: false, dataSizeBytes: 0, dataUsedBytes: 0 })),
});
const pool = (name: string, sizeGiB: number, usedGiB: number): PoolRecord => ({ name, uuid: `u-${name}`, dataSizeBytes: sizeGiB * GiB, dataUsedBytes: usedGiB * GiB });

describe('placement', () => {
  const hosts = [host('a', ['fast', 'big']), host('b', ['big', 'far'])];
  const pools = [pool('fast', 10, 2), pool('big', 100, 10), pool('far', 1000, 0)];

  it('takes the pool with the most free space among those any live host reaches', () => {
    expect(choosePool({ host: null, sizeBytes: GiB }, hosts, pools)).toBe('far');
  });

  it('keeps to the pools the requesting host reaches', () => {
    expect(choosePool({ host: 'a', sizeBytes: GiB }, hosts, pools)).toBe('big');
  });

  it('prefers a pool the whole volume fits in, and passes over full pools', () => {
    const tight = [pool('fast', 10, 9), pool('big', 100, 100)];
    expect(choosePool({ host: 'a', sizeBytes: GiB / 2 }, hosts, tight)).toBe('fast');
    expect(() => choosePool({ host: 'a', sizeBytes: GiB }, [host('a', ['big'])], tight)).toThrow(/no pool reachable by host a has free space/);
  });

  it('fails clearly for an unknown host or a host that reaches no pool', () => {
    expect(() => choosePool({ host: 'z', sizeBytes: GiB }, hosts, pools)).toThrow(PlacementError);
    expect(() => choosePool({ host: 'z', sizeBytes: GiB }, hosts, pools)).toThrow(/host z has no live session/);
    expect(() => choosePool({ host: 'c', sizeBytes: GiB }, [host('c', [])], pools)).toThrow(/no pool is reachable by host c/);
  });

  it('ranks a pool whose space was never reported after those with known room', () => {
    expect(choosePool({ host: 'b', sizeBytes: GiB }, [host('b', ['new', 'big'])], [pool('big', 100, 10)])).toBe('big');
  });
});
