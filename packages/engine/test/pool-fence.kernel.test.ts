/**
 * Kernel tier: fencing a pool (pool-fence.ts, Engine.fencePool / discardFencedPool) against the
 * real device-mapper, with the shared disks played by loop devices.
 *
 * What it proves, in order:
 * 1. A pattern written to an active volume with O_DIRECT|O_DSYNC is committed at once: the
 *    write's FUA makes dm-thin commit the new mapping before the write completes, so the
 *    metadata and data regions on the loop devices change (checked by hashing them). A
 *    `create_thin` message to the live pool changes the metadata region too (dm-thin commits
 *    after every successful message). These are the controls: the same kinds of steps below,
 *    after the fence, would have written to the disks.
 * 2. `fencePool` suspends the volume device, gives `_tmeta` and `_tdata` error tables and leaves
 *    `_tpool` alone (not suspended, still a thin-pool); `poolDeviceState` says 'fenced'; a
 *    second fence reports nothing new.
 * 3. After the fence, nothing reaches the disks (hashes of the metadata region, the data region
 *    and the whole loop devices stay the same) while the kernel pool is pushed to commit:
 *    - an O_DSYNC write to the suspended volume, over the written block and a block it never
 *      mapped (allocation + FUA: a commit at once if it got to the pool), stays queued for more
 *      than the pool's one-second periodic commit;
 *    - a `create_thin` message (a metadata change, which dm-thin commits right away; the
 *      failing commit also makes dm-thin abort the transaction and try to write `needs_check`
 *      into the superblock);
 *    - a pool status without noflush (dm-thin commits before reporting) and a suspend and
 *      resume of `_tpool` (dm-thin commits on postsuspend): both would commit what the message
 *      left in memory.
 * 4. `discardFencedPool` removes every device of the pool (the pool device's removal commits
 *    once more, into the error table), the queued write fails EIO, `poolDeviceState` says
 *    'absent', and the hashes are still those taken right after the fence.
 * 5. A fresh Engine activates the pool over the same loop devices, as the host granted the pool
 *    next would: the volume holds exactly the step 1 pattern (the queued write is nowhere, the
 *    block it would have allocated is unmapped), the thin id of the message does not exist,
 *    reconcile is consistent and the pool does not need a check. Teardown copies the metadata
 *    for the tier's thin_check.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDevNumber, isDmError, parseThinPoolStatus, parseThinStatus, type DmTargetLine, type FailedThinPoolStatus, type ThinPoolStatus } from '@thinfleet/devmapper';
import { poolDeviceNames, poolDevicePrefix, volumeDeviceName, type DeviceExtent } from '@thinfleet/engine';
import { waitUntil } from '../../../test/support/wait-until.js';
import { EngineTestHost, expectSameBytes, pattern, SMALL_CATALOG } from './support/engine-test-host.js';
import { poolCore } from '../src/pool.js';

const MiB = 1024 * 1024;
const SECTOR = 512;
const HASH_CHUNK = 4 * MiB;
/** A thin id far above anything the engine hands out. */
const STRAY_THIN_ID = 16_000_001;
/** dm-thin's periodic commit runs every second (COMMIT_PERIOD = HZ); wait past it. */
const PAST_PERIODIC_COMMIT_MS = 1500;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);
/** JSON for log lines (statuses carry bigints). */
const json = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));

/** Where a promise stands, without waiting for it. */
function track(promise: Promise<unknown>): { readonly state: () => 'pending' | 'fulfilled' | 'rejected'; readonly error: () => unknown } {
  let state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  let error: unknown;
  promise.then(
    () => {
      state = 'fulfilled';
    },
    (err: unknown) => {
      state = 'rejected';
      error = err;
    },
  );
  return { state: () => state, error: () => error };
}

let host: EngineTestHost | null = null;
afterAll(async () => {
  await host?.teardown();
});

describe('fencing a pool on the real device-mapper', () => {
  it('keeps everything the fenced kernel pool does off the disks, and the pool reads back as it was', async () => {
    host = await EngineTestHost.open();
    const h = host;
    const started = Date.now();
    const step = (what: string): void => console.log(`pool-fence.kernel: ${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);

    // ---- 1. A pool on two loop devices, one active volume, a committed pattern.
    const paths = await h.devices(2, 32 * MiB);
    const poolName = h.poolName('fence');
    const engine = h.engine();
    const pool = await engine.createPool({ name: poolName, devices: paths, ...SMALL_CATALOG });
    await pool.createVolume('v', 4 * MiB, { activate: true });
    const names = poolDeviceNames(poolName);
    const prefix = poolDevicePrefix(poolName);
    const vol = volumeDeviceName(poolName, 'v');
    const volPath = h.dm.devicePath(vol);
    const layout = poolCore(pool).catalog.state.pool.layout;
    const BLOCK = layout.dataBlockBytes;

    // The regions hashed below are exactly what `_tmeta` and `_tdata` map.
    const devNumbers = await Promise.all(paths.map((p) => h.block.deviceNumber(p)));
    const linear = (extents: readonly DeviceExtent[]): DmTargetLine[] => {
      let at = 0;
      return extents.map((e) => {
        const line = {
          startSector: at,
          lengthSectors: e.lengthBytes / SECTOR,
          type: 'linear',
          params: `${formatDevNumber(devNumbers[e.deviceIndex]!)} ${e.offsetBytes / SECTOR}`,
        };
        at += e.lengthBytes / SECTOR;
        return line;
      });
    };
    expect(await h.dm.table(names.meta), '_tmeta maps the metadata region').toEqual(linear([layout.metadata]));
    expect(await h.dm.table(names.data), '_tdata maps the data regions').toEqual(linear(layout.data));

    const hashExtents = async (extents: readonly DeviceExtent[]): Promise<string> => {
      const hash = createHash('sha256');
      for (const e of extents) {
        for (let at = 0; at < e.lengthBytes; at += HASH_CHUNK) {
          hash.update(await h.block.read(paths[e.deviceIndex]!, e.offsetBytes + at, Math.min(HASH_CHUNK, e.lengthBytes - at)));
        }
      }
      return hash.digest('hex');
    };
    /** Hashes of what is on the shared disks: the kernel metadata region, the data regions, each whole device. */
    const fingerprint = async (): Promise<Record<string, string>> => {
      const out: Record<string, string> = {
        metadata: await hashExtents([layout.metadata]),
        data: await hashExtents(layout.data),
      };
      for (let i = 0; i < paths.length; i++) {
        out[`device ${i}`] = await hashExtents([{ deviceIndex: i, offsetBytes: 0, lengthBytes: await h.block.sizeBytes(paths[i]!) }]);
      }
      return out;
    };
    /** The pool's status without a commit (noflush), so that looking changes nothing. */
    const poolStatus = async (): Promise<ThinPoolStatus | FailedThinPoolStatus> => {
      const lines = await h.dm.status(names.pool, { noFlush: true });
      expect(lines.map((l) => l.type)).toEqual(['thin-pool']);
      return parseThinPoolStatus(lines[0]!.params);
    };
    const kernelLog = async (): Promise<string[]> => {
      try {
        return (await run('dmesg')).stdout.split('\n').filter((l) => /device-mapper|thin|dm-\d+|Buffer I\/O|I\/O error/.test(l));
      } catch {
        return [];
      }
    };
    const logBefore = (await kernelLog()).length;

    const empty = await fingerprint();
    await h.block.write(volPath, 0, pattern(1, BLOCK));
    const written = await fingerprint();
    // Control: the O_DSYNC write of a new block committed its mapping and wrote its data.
    expect(written.metadata, 'an O_DSYNC write into a new block commits metadata at once').not.toBe(empty.metadata);
    expect(written.data, 'an O_DSYNC write reaches the data region').not.toBe(empty.data);
    // Control: a create_thin message on the live pool commits at once; a delete message undoes it.
    await h.dm.message(names.pool, 0, `create_thin ${STRAY_THIN_ID}`);
    const afterMessage = await fingerprint();
    expect(afterMessage.metadata, 'a create_thin message on a live pool commits at once').not.toBe(written.metadata);
    await h.dm.message(names.pool, 0, `delete ${STRAY_THIN_ID}`);
    const beforeFence = await fingerprint();
    const live = await poolStatus();
    expect(live).toMatchObject({ failed: false, mode: 'rw', needsCheck: false, usedDataBlocks: 1 });
    step(`pool ${poolName} made, pattern committed; live pool status ${json(live)}`);

    // ---- 2. The fence.
    const report = await engine.fencePool(poolName);
    step(`fenced: ${JSON.stringify(report)}`);
    expect(report).toEqual({ suspendedVolumes: [vol], erroredDevices: [names.meta, names.data], slowVolumes: [] });
    expect(await h.dm.info(vol), 'the volume device is suspended').toMatchObject({ suspended: true, liveTable: true });
    expect((await h.dm.table(vol)).map((l) => l.type)).toEqual(['thin']);
    for (const [name, extents] of [
      [names.meta, [layout.metadata]],
      [names.data, layout.data],
    ] as const) {
      const sectors = extents.reduce((sum, e) => sum + e.lengthBytes / SECTOR, 0);
      expect(await h.dm.table(name), `${name} carries one error target of its old length`).toEqual([{ startSector: 0, lengthSectors: sectors, type: 'error', params: '' }]);
      expect(await h.dm.info(name), `${name} is resumed, with no table waiting`).toMatchObject({ suspended: false, liveTable: true, inactiveTable: false });
    }
    // The pool device is left alone: suspending or removing it is what makes dm-thin commit.
    expect(await h.dm.info(names.pool)).toMatchObject({ suspended: false, liveTable: true });
    expect((await h.dm.table(names.pool)).map((l) => l.type)).toEqual(['thin-pool']);
    expect(await engine.poolDeviceState(poolName)).toBe('fenced');
    expect(engine.pools()).toEqual([]);
    const fenced = await fingerprint();
    // Nothing was left to commit, so the fence itself wrote nothing either.
    expect(fenced, 'the fence itself writes nothing').toEqual(beforeFence);
    expect(await engine.fencePool(poolName), 'a second fence finds nothing to do').toEqual({ suspendedVolumes: [], erroredDevices: [], slowVolumes: [] });
    expect(await engine.poolDeviceState(poolName)).toBe('fenced');

    // ---- 3. Push the fenced kernel pool to commit; nothing may reach the disks.
    // (a) A write over the written block and into one the volume never mapped, with FUA: if it
    // got to the pool it would allocate a block and commit at once. The suspended volume queues it.
    const queued = h.block.write(volPath, 0, pattern(2, 2 * BLOCK));
    const queuedState = track(queued);
    queued.catch(() => undefined);
    await waitUntil('the writer to open the volume', async () => (await h.dm.info(vol)).openCount > 0, { timeoutMs: 10_000, intervalMs: 25 });
    await sleep(PAST_PERIODIC_COMMIT_MS);
    expect(queuedState.state(), `the write to the fenced volume is still queued after ${PAST_PERIODIC_COMMIT_MS} ms`).toBe('pending');
    expect(await fingerprint(), 'nothing reached the disks while the write was queued').toEqual(fenced);
    const statusAfterWrite = await poolStatus();
    step(`write queued for ${PAST_PERIODIC_COMMIT_MS} ms; pool status ${json(statusAfterWrite)}`);
    // The write waits above the pool: the pool has not even allocated its new block in memory.
    expect(statusAfterWrite, 'the pool saw nothing of the queued write').toMatchObject({ failed: false, mode: 'rw', usedDataBlocks: 1 });

    // (b) A metadata change through the pool's message interface; dm-thin commits after it.
    const message = await h.dm.message(names.pool, 0, `create_thin ${STRAY_THIN_ID}`).then(
      (answer) => ({ ok: true as const, answer }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    const statusAfterMessage = await poolStatus();
    step(`create_thin on the fenced pool: ${message.ok ? 'accepted' : `refused (${String(message.err)})`}; pool status ${json(statusAfterMessage)}`);
    if (!message.ok) expect(isDmError(message.err), String(message.err)).toBe(true);
    // The commit was really attempted and hit the error table: dm-thin leaves read-write mode.
    expect(statusAfterMessage.failed || statusAfterMessage.mode === 'ro', 'the pool gave up on its metadata after the failed commit').toBe(true);
    expect(await fingerprint(), 'nothing reached the disks after the create_thin message').toEqual(fenced);

    // (c) A status with flush (dm-thin commits before reporting) and a suspend + resume of the
    // pool device (dm-thin commits on postsuspend).
    const flushedStatus = await h.dm.status(names.pool).then(
      (lines) => lines.map((l) => l.params).join('; '),
      (err: unknown) => `failed: ${String(err)}`,
    );
    const suspendResume = await (async () => {
      try {
        await h.dm.suspend(names.pool);
        await h.dm.resume(names.pool);
        return 'suspended and resumed';
      } catch (err) {
        return `failed: ${String(err)}`;
      }
    })();
    step(`fenced pool: status with flush: ${flushedStatus}; suspend + resume: ${suspendResume}; info ${JSON.stringify(await h.dm.info(names.pool))}`);
    expect(queuedState.state(), 'the write is still queued').toBe('pending');
    expect(await fingerprint(), 'nothing reached the disks after the status and the pool suspend').toEqual(fenced);

    // ---- 4. Discard the fenced devices.
    const discarded = await engine.discardFencedPool(poolName);
    step(`discarded: ${JSON.stringify(discarded)}`);
    expect([...discarded.removed, ...discarded.deferred].sort()).toEqual([vol, names.pool, names.meta, names.data].sort());
    expect(discarded.removed).toEqual(expect.arrayContaining([names.pool, names.meta, names.data]));
    const outcome = await queued.then(
      () => null,
      (err: unknown) => err,
    );
    expect(isDmError(outcome, 'EIO'), `the queued write fails EIO, got ${String(outcome)}`).toBe(true);
    // A deferred remove of the volume completes when the failed write closes its handle.
    await waitUntil('the deferred removes to complete', async () => (await h.dm.list()).every((d) => !d.name.startsWith(prefix)), {
      timeoutMs: 10_000,
      intervalMs: 25,
      detail: async () =>
        `devices left: ${(await h.dm.list())
          .map((d) => d.name)
          .filter((n) => n.startsWith(prefix))
          .join(', ')}`,
    });
    expect(await engine.poolDeviceState(poolName)).toBe('absent');
    expect(await fingerprint(), 'nothing reached the disks through the discard').toEqual(fenced);
    expect(await engine.discardFencedPool(poolName), 'a second discard finds nothing').toEqual({ removed: [], deferred: [] });
    const newLog = (await kernelLog()).slice(logBefore);
    step(`kernel log since the pool was made:\n  ${newLog.join('\n  ')}`);

    // ---- 5. The pool as the next host to be granted it sees it: a fresh Engine over the same devices.
    const again = await h.engine().activatePool(poolName, paths);
    step(`activated again: recovery ${again.lastRecovery?.outcome ?? 'none'}`);
    const fresh = await poolStatus();
    expect(fresh, 'the pool comes back writable and needs no check').toMatchObject({ failed: false, mode: 'rw', needsCheck: false, usedDataBlocks: 1 });
    expect(await again.reconcile()).toMatchObject({ consistent: true, unknownToCatalog: [], missingInKernel: [] });
    expect((await again.list()).map((v) => v.name)).toEqual(['v']);
    const info = await again.activateVolume('v');
    expectSameBytes(await h.block.read(info.devicePath!, 0, 2 * BLOCK), Buffer.concat([pattern(1, BLOCK), Buffer.alloc(BLOCK)]));
    expect((await again.show('v')).mappedBytes, 'the volume maps only the block written in step 1').toBe(BLOCK);
    const thin = parseThinStatus((await h.dm.status(vol))[0]!.params);
    expect(thin).toEqual({ failed: false, mappedSectors: BLOCK / SECTOR, highestMappedSector: BLOCK / SECTOR - 1 });
    await again.deactivate();
    step('done');
  }, 600_000);
});
