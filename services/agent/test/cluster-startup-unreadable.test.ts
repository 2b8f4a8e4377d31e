/**
 * A cluster-mode start-up that cannot read its state files (fencing.json, cluster-session.json,
 * pools.json, the jobs directory) fails, but fences the pools the kernel still has live before
 * it does: no pool stays live while the agent is down.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSimHost } from '@thinfleet/devmapper';
import { poolDeviceNames, volumeDeviceName } from '@thinfleet/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { MiB, startClusterAgent } from './support/cluster-agent.js';
import { ScriptedCoordinator } from './support/scripted-coordinator.js';

let coordinator: ScriptedCoordinator | null = null;
let stateDir: string | null = null;

afterEach(async () => {
  await coordinator?.stop();
  coordinator = null;
  if (stateDir !== null) rmSync(stateDir, { recursive: true, force: true });
  stateDir = null;
});

/** A state dir whose simulated kernel has pool p (with an active volume v) and pool q live, as a standalone agent left them. */
async function livePools(): Promise<string> {
  const t = await startClusterAgent({ coordinator: null });
  await t.c.call(t.c.pool, 'CreatePool', { name: 'p', devices: [t.disk()] });
  await t.c.call(t.c.volume, 'CreateVolume', { pool: 'p', name: 'v', sizeBytes: MiB, activate: true });
  await t.c.call(t.c.pool, 'CreatePool', { name: 'q', devices: [t.disk('disk1.img')] });
  await t.stop();
  return t.stateDir;
}

/** The live table types of `devices` in the simulated kernel of `dir`, and whether each is suspended. */
async function kernelState(dir: string, devices: readonly string[]): Promise<Array<[string, string | undefined, boolean]>> {
  const host = await openSimHost(join(dir, 'sim-kernel'));
  try {
    return await Promise.all(devices.map(async (d) => [d, (await host.dm.table(d))[0]?.type, (await host.dm.info(d)).suspended] as [string, string | undefined, boolean]));
  } finally {
    host.close();
  }
}

const p = poolDeviceNames('p');
const q = poolDeviceNames('q');

describe('cluster mode: a start-up that cannot read its state', () => {
  it.each([
    ['fencing.json', (dir: string) => writeFileSync(join(dir, 'fencing.json'), '{"version": 1, "pools": ')],
    ['cluster-session.json', (dir: string) => writeFileSync(join(dir, 'cluster-session.json'), 'not json')],
    ['pools.json', (dir: string) => writeFileSync(join(dir, 'pools.json'), '{"version": 7}')],
    [
      'the jobs directory',
      (dir: string) => {
        rmSync(join(dir, 'jobs'), { recursive: true, force: true });
        writeFileSync(join(dir, 'jobs'), 'a file where the directory should be');
      },
    ],
  ])('fences the pools left live in the kernel before it fails (unreadable %s)', async (_what, corrupt) => {
    stateDir = await livePools();
    expect(await kernelState(stateDir, [p.meta, q.meta])).toEqual([
      [p.meta, 'linear', false],
      [q.meta, 'linear', false],
    ]);
    corrupt(stateDir);
    coordinator = await ScriptedCoordinator.start();
    await expect(startClusterAgent({ coordinator, stateDir })).rejects.toThrow();
    expect(coordinator.connects).toBe(0);
    // (A simulated kernel opened afresh shows what sits on error tables as error too.)
    expect(await kernelState(stateDir, [p.meta, p.data, q.meta, q.data, volumeDeviceName('p', 'v')])).toEqual([
      [p.meta, 'error', false],
      [p.data, 'error', false],
      [q.meta, 'error', false],
      [q.data, 'error', false],
      [volumeDeviceName('p', 'v'), 'error', true],
    ]);
  });
});
