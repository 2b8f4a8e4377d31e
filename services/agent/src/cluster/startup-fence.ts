/**
 * Start-up fencing in cluster mode: known pools are never activated at start, since another host
 * may hold them. Every pool whose devices are live in the kernel (it was held when the agent
 * stopped or crashed) is fenced before the agent serves anything, and every pool that left
 * devices or whose lock the saved session may still hold is recorded as `fenced` (its devices
 * are discarded before it is activated again under a grant).
 */
import type { DmClient } from '@thinfleet/devmapper';
import { poolFencePlan, type Engine } from '@thinfleet/engine';
import type { Logger } from 'pino';
import type { HostPools } from '../host-pools.js';
import type { ClusterSessionState } from './cluster-session-file.js';
import { fenceOrLog } from './fence-or-log.js';
import type { PoolOwnership } from './pool-ownership.js';

/** `tf-<escaped pool>-_tpool|_tmeta|_tdata`: a pool's own devices (names.ts); the escaped name doubles every `-`. */
const POOL_DEVICE = /^tf-((?:[^-]|--)+)-_t(?:pool|meta|data)$/;

/** The pool a device-mapper device named `deviceName` belongs to, if it is one of a pool's own devices (not a volume's); else null. */
export function poolOfDevice(deviceName: string): string | null {
  const m = POOL_DEVICE.exec(deviceName);
  return m === null ? null : m[1]!.replaceAll('--', '-');
}

/** What start-up fencing reads and changes. */
export interface StartupFenceDeps {
  readonly engine: Pick<Engine, 'poolDeviceState' | 'fencePool'>;
  /** Start-up looks for pool devices by name. */
  readonly dm: Pick<DmClient, 'list'>;
  readonly pools: Pick<HostPools, 'list'>;
  readonly ownership: Pick<PoolOwnership, 'set'>;
  readonly log: Logger;
}

/**
 * Fences, in parallel, every pool named in `saved`, known to HostPools or with a device in the
 * kernel, whose devices are live; records as `fenced` each of them that has devices left or a
 * token in `saved` (`heldToken`: the resumed session may still hold its lock). Call once, before
 * serving; the caller writes cluster-session.json afterwards.
 *
 * Idempotent (a second run finds the devices fenced and records the same states). A fence that
 * fails is logged at fatal and the pool still recorded as fenced. Crash behaviour: nothing is
 * written here; a crash midway leaves devices live or fenced, and the next start fences again.
 * @returns the pools whose fence failed (they may still write)
 * @throws what listing pools or devices, or reading a pool's device state, throws
 */
export async function fenceAtStart(saved: ClusterSessionState, deps: StartupFenceDeps): Promise<string[]> {
  const failed: string[] = [];
  const names = new Set<string>(Object.keys(saved.held));
  for (const view of await deps.pools.list()) names.add(view.name);
  for (const d of await deps.dm.list()) {
    const pool = poolOfDevice(d.name);
    if (pool !== null) names.add(pool);
  }
  await Promise.all(
    [...names].map(async (pool) => {
      const token = saved.held[pool];
      const heldToken = token === undefined ? null : BigInt(token);
      const state = await deps.engine.poolDeviceState(pool);
      if (state === 'live') {
        deps.log.warn({ pool, token: token ?? null }, 'pool devices live in the kernel at start: fencing them before serving');
        const report = await fenceOrLog(deps.engine, deps.log, pool, { failed: 'could not fence a pool at start; it may still write to its devices' });
        if (report === null) failed.push(pool);
      }
      if (state !== 'absent' || heldToken !== null) deps.ownership.set(pool, { kind: 'fenced', heldToken });
    }),
  );
  return failed.sort();
}

/**
 * The last resort of a cluster-mode start-up that fails (a state file it cannot read:
 * fencing.json, cluster-session.json, pools.json, the jobs directory; a refused config): every
 * pool with a device in the kernel (poolOfDevice over `dm.list()`) is fenced through
 * `dm.fencePool` alone (no engine, no registry: nothing the failure may have broken), in
 * parallel, so no pool stays live while the agent is down. Never throws: what fails is logged
 * (fatal for a fence), and the caller goes on failing with its own error.
 *
 * Idempotent (a fenced pool is left as it is). Crash behaviour: each fence is kernel state; the
 * next start fences again.
 * @returns the pools fenced, sorted
 */
export async function fenceLeftoverPools(dm: Pick<DmClient, 'list' | 'fencePool'>, log: Logger): Promise<string[]> {
  let pools: string[];
  try {
    pools = [...new Set((await dm.list()).map((d) => poolOfDevice(d.name)).filter((p): p is string => p !== null))].sort();
  } catch (err) {
    log.fatal({ err }, "start-up failed and the kernel's devices cannot be listed: pools this host held may still be live");
    return [];
  }
  const fenced = await Promise.all(
    pools.map(async (pool) => {
      try {
        const report = await dm.fencePool(poolFencePlan(pool));
        log.warn({ pool, ...report }, 'start-up failed: the pool left live in the kernel is fenced before the agent exits');
        return pool;
      } catch (err) {
        log.fatal({ pool, err }, 'FENCING FAILED while start-up failed: this host may still write to the pool');
        return null;
      }
    }),
  );
  return fenced.filter((p): p is string => p !== null);
}
