/**
 * startup-fence.ts: before a cluster agent serves, every pool with live devices is fenced, and
 * every pool with devices left or a token in cluster-session.json is recorded as fenced.
 */
import type { PoolDeviceState, PoolFenceReport } from '@thinfleet/engine';
import { describe, expect, it } from 'vitest';
import type { OwnershipState } from '../src/cluster/pool-ownership.js';
import { fenceAtStart, poolOfDevice } from '../src/cluster/startup-fence.js';
import { captureLog, LEVEL } from './support/log-capture.js';

describe('poolOfDevice', () => {
  it("names the pool of a pool's own device, unescaping its dashes, and nothing for a volume's", () => {
    expect(poolOfDevice('tf-tank-_tpool')).toBe('tank');
    expect(poolOfDevice('tf-my--pool-_tmeta')).toBe('my-pool');
    expect(poolOfDevice('tf-tank-_tdata')).toBe('tank');
    expect(poolOfDevice('tf-tank-vol1')).toBeNull();
    // A volume named `x-_tpool` is escaped to `x--_tpool`: not a pool device.
    expect(poolOfDevice('tf-tank-x--_tpool')).toBeNull();
    expect(poolOfDevice('vg0-root')).toBeNull();
  });
});

describe('fenceAtStart', () => {
  function deps(states: Record<string, PoolDeviceState>, failFence: string[] = []) {
    const { log, records } = captureLog();
    const fenced: string[] = [];
    const set = new Map<string, OwnershipState>();
    return {
      records,
      fenced,
      set,
      deps: {
        engine: {
          poolDeviceState: async (pool: string) => states[pool] ?? 'absent',
          fencePool: async (pool: string) => {
            fenced.push(pool);
            if (failFence.includes(pool)) throw new Error('EIO');
            return {} as PoolFenceReport;
          },
        },
        dm: { list: async () => [{ name: 'tf-kernel--only-_tpool' }, { name: 'tf-kernel--only-vol' }] } as never,
        pools: { list: async () => [{ name: 'known' }, { name: 'idle' }] } as never,
        ownership: { set: (pool: string, state: OwnershipState) => (set.set(pool, state), state) },
        log,
      },
    };
  }

  it('fences live pools named by the saved session, HostPools or a kernel device, and records what may be held', async () => {
    const t = deps({ saved: 'absent', known: 'live', 'kernel-only': 'live', idle: 'absent' });
    await fenceAtStart({ session: 's1', held: { saved: '42', known: '7' } }, t.deps);
    expect(t.fenced.sort()).toEqual(['kernel-only', 'known']);
    expect(Object.fromEntries(t.set)).toEqual({
      saved: { kind: 'fenced', heldToken: 42n },
      known: { kind: 'fenced', heldToken: 7n },
      'kernel-only': { kind: 'fenced', heldToken: null },
    });
    expect(
      t.records
        .filter((r) => r.level === LEVEL.warn)
        .map((r) => r['pool'])
        .sort(),
    ).toEqual(['kernel-only', 'known']);
  });

  it('records a pool whose fence failed as fenced too, after logging at fatal', async () => {
    const t = deps({ known: 'live' }, ['known']);
    await fenceAtStart({ session: '', held: {} }, t.deps);
    expect(t.set.get('known')).toEqual({ kind: 'fenced', heldToken: null });
    expect(t.records).toContainEqual(expect.objectContaining({ level: LEVEL.fatal, pool: 'known', msg: 'could not fence a pool at start; it may still write to its devices' }));
  });
});
