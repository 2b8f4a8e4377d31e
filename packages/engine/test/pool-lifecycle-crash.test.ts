/**
 * Crash tests for the steps around transactions: creating and destroying a pool, and a crash
 * during the recovery of a crash. After each crash the devices must show either no pool (and
 * be reusable with force) or a pool that activates cleanly with its volumes intact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isEngineError } from '@thinfleet/engine';
import { CrashPlan, crashingBlock, crashingDm } from './support/crash-plan.js';
import { EngineTestHost, expectSameBytes, pattern, SMALL_CATALOG } from './support/engine-test-host.js';
import { poolCore } from '../src/pool.js';

const MiB = 1024 * 1024;
let hosts: EngineTestHost[] = [];

afterEach(async () => {
  for (const h of hosts.splice(0)) await h.teardown();
});

async function openHost(): Promise<EngineTestHost> {
  const host = await EngineTestHost.open();
  hosts.push(host);
  return host;
}

describe('pool creation', () => {
  it('leaves either no pool or a whole one after a crash at any step', async () => {
    let sawNone = false;
    let sawWhole = false;
    for (let n = 1; ; n++) {
      const host = await openHost();
      const paths = await host.devices(2, 32 * MiB);
      const plan = new CrashPlan(n, 'after');
      plan.arm();
      const name = host.poolName();
      const crashed = await host
        .engine({ dm: crashingDm(host.dm, plan), block: crashingBlock(host.block, plan) })
        .createPool({ name, devices: paths, ...SMALL_CATALOG })
        .then(
          () => false,
          (err: unknown) => {
            if (!plan.dead) throw err;
            return true;
          },
        );
      const found = await host.engine().discover(paths);
      const whole = found.find((p) => p.complete);
      if (whole) {
        sawWhole = true;
        const pool = await host.engine().activatePool(name, paths);
        expect((await pool.reconcile()).consistent, `step ${n}`).toBe(true);
        await pool.createVolume('v', MiB);
      } else {
        sawNone = true;
        // Half-made: devices may carry labels of an incomplete pool; force reuses them.
        for (const p of found) expect(p.complete, `step ${n}`).toBe(false);
        const pool = await host.engine().createPool({ name: host.poolName(), devices: paths, force: true, ...SMALL_CATALOG });
        expect((await pool.list()).length).toBe(0);
      }
      await host.teardown();
      hosts = hosts.filter((h) => h !== host);
      if (!crashed) break;
    }
    expect(sawNone).toBe(true);
    expect(sawWhole).toBe(true);
  }, 120_000);
});

describe('pool destruction', () => {
  it('leaves either the pool or no pool after a crash at any step', async () => {
    for (let n = 1; ; n++) {
      const host = await openHost();
      const paths = await host.devices(2, 32 * MiB);
      const name = host.poolName();
      const pool = await host.engine().createPool({ name, devices: paths, ...SMALL_CATALOG });
      await pool.createVolume('v', MiB);
      await host.writePattern(pool, 'v', 3);
      await pool.deactivateVolume('v');
      const plan = new CrashPlan(n, 'after');
      const engine = host.engine({ dm: crashingDm(host.dm, plan), block: crashingBlock(host.block, plan) });
      await engine.activatePool(name, paths);
      plan.arm();
      const crashed = await engine.destroyPool(name, { force: true }).then(
        () => false,
        (err: unknown) => {
          if (!plan.dead) throw err;
          return true;
        },
      );
      const found = await host.engine().discover(paths);
      if (found.some((p) => p.complete)) {
        const again = await host
          .engine()
          .activatePool(name, paths)
          .catch((err: unknown) => {
            throw new Error(`crash after step ${n} (${plan.log[n - 1]}): ${String(err)}`, { cause: err });
          });
        expectSameBytes(await host.readStart(again, 'v'), pattern(3, 64 * 1024));
      } else {
        const fresh = await host.engine().createPool({ name: host.poolName(), devices: paths, force: true, ...SMALL_CATALOG });
        expect((await fresh.list()).length).toBe(0);
      }
      await host.teardown();
      hosts = hosts.filter((h) => h !== host);
      if (!crashed) break;
    }
  }, 120_000);
});

describe('recovery', () => {
  it('recovers after a crash during the recovery of a crash', async () => {
    // First crash: after the first create_snap of a three-snapshot batch.
    for (let m = 1; ; m++) {
      const host = await openHost();
      const paths = await host.devices(1, 32 * MiB);
      const name = host.poolName();
      const pool = await host.engine().createPool({ name, devices: paths, ...SMALL_CATALOG });
      await pool.createVolume('o', MiB);
      await host.writePattern(pool, 'o', 5);
      await pool.createVolume('gone', MiB);
      const first = new CrashPlan(1, 'after');
      const crashing = await host.engine({ dm: crashingDm(host.dm, first), block: crashingBlock(host.block, first) }).activatePool(name, paths);
      first.arm();
      // Steps: intent write, suspend o, create_snap x2, resume, delete (crash after it).
      const firstCrashAt = 6;
      (first as { crashAt: number | null }).crashAt = firstCrashAt;
      await crashing
        .batch([
          { item: 'a', op: 'snapshot', volume: 'a', origin: 'o' },
          { item: 'b', op: 'snapshot', volume: 'b', origin: 'o' },
          { item: 'd', op: 'delete', volume: 'gone' },
        ])
        .catch(() => undefined);
      expect(first.dead).toBe(true);
      expect(first.log[firstCrashAt - 1]).toMatch(/message.*delete/);
      // Second crash: at step m of the recovery itself.
      const second = new CrashPlan(m, 'after');
      second.arm();
      const recovering = await host
        .engine({ dm: crashingDm(host.dm, second), block: crashingBlock(host.block, second) })
        .activatePool(name, paths)
        .catch((err: unknown) => {
          if (!second.dead && !isEngineError(err)) throw err;
          return null;
        });
      const crashedAgain = second.dead;
      const final = await host.engine().activatePool(name, paths);
      expect(poolCore(final).catalog.state.pending).toBeNull();
      expect((await final.reconcile()).consistent).toBe(true);
      // The delete had been done, so the batch must have rolled forward.
      expect((await final.list()).map((v) => v.name)).toEqual(['a', 'b', 'o']);
      expectSameBytes(await host.readStart(final, 'a'), pattern(5, 64 * 1024));
      await host.teardown();
      hosts = hosts.filter((h) => h !== host);
      if (!crashedAgain) {
        expect(recovering).not.toBeNull();
        break;
      }
    }
  }, 120_000);
});
