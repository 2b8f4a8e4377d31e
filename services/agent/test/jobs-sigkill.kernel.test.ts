/**
 * Kernel tier (issues 14 and 15): a flatten, a device snapshot's merge, a sparse copy into
 * another pool and a live move of an open volume, each run by a real agent process on the real
 * device-mapper, survive SIGKILL of the agent at random moments: the agent is started again over
 * the same state directory, resumes the job from its checkpoint, and the job ends as if nothing
 * had happened. A writer process writes the flattened volume, and another the moved one,
 * throughout (their pattern logs must read back); the merged device must hold its content of
 * snapshot time; the copy must hold the source's bytes. The random kill delays come from a seeded
 * generator whose seed is printed, so a failure can be replayed with THINFLEET_KILL_SEED. Both
 * pools' metadata goes to the tier's thin_check at the end.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument --
   the test reads the CLI's --json output, whatever its shape, and asserts on its fields */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NativeBlockClient } from '@thinfleet/devmapper';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rng } from '../../../test/support/seeded.mjs';
import { metadataExtent, saveMetadataArtifact } from './support/pool-metadata-artifact.js';

const MiB = 1024 * 1024;
const SLOT_BYTES = 64 * 1024;
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const agentBin = join(repo, 'services/agent/bin/thinfleet-agent.mjs');
const cliBin = join(repo, 'packages/cli/bin/thinfleet.mjs');
const writerBin = join(repo, 'test/vm/two-host/writer.mjs');
const tool = (name: string): string => ['/usr/sbin', '/sbin', '/usr/bin'].map((d) => join(d, name)).find(existsSync) ?? name;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('background jobs across SIGKILL of the agent, on a real pool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-jobs-kill-'));
  const socket = join(dir, 'agent.sock');
  // Small flatten steps (the smallest allowed), so that the flatten is still running when killed.
  const config = join(dir, 'agent.json');
  writeFileSync(config, JSON.stringify({ flattenChunkBytes: 64 * 1024 }));
  // The kernel's kcopyd throttle of dm-snapshot, in percent of the time (0: none): lowered while
  // the merge runs, so that it is still running when killed; restored afterwards.
  const throttle = '/sys/module/dm_snapshot/parameters/snapshot_copy_throttle';
  // dm-mirror's resync throttle, likewise lowered while the live move runs.
  const mirrorThrottle = '/sys/module/dm_mirror/parameters/raid1_resync_throttle';
  const block = new NativeBlockClient();
  const seed = Number(process.env.THINFLEET_KILL_SEED ?? Date.now() % 1_000_000);
  const random = rng(seed);
  let agent: ChildProcess | null = null;
  let agentLog = '';
  const loops: string[] = [];

  function cli(args: string[]): { code: number; out: string; err: string; json: any } {
    const r = spawnSync(process.execPath, [cliBin, '--agent', socket, '--json', ...args], { encoding: 'utf8', timeout: 120_000 });
    let json: unknown = null;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      // not JSON
    }
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr, json };
  }
  function ok(args: string[]): any {
    const r = cli(args);
    if (r.code !== 0) throw new Error(`thinfleet ${args.join(' ')} exited ${r.code}: ${r.err}${r.out}\nagent log:\n${agentLog.slice(-4000)}`);
    return r.json;
  }

  async function startAgent(): Promise<void> {
    agent = spawn(process.execPath, [agentBin, '--config', config, '--dm', 'native', '--state-dir', dir, '--socket', socket, '--metrics', 'off', '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout!.on('data', (b: Buffer) => (agentLog += b.toString()));
    agent.stderr!.on('data', (b: Buffer) => (agentLog += b.toString()));
    const deadline = Date.now() + 90_000;
    while (cli(['health']).code !== 0) {
      if (agent.exitCode !== null || Date.now() > deadline) throw new Error(`the agent did not come up:\n${agentLog.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async function killAgent(): Promise<void> {
    const a = agent!;
    const exited = new Promise((resolve) => a.once('exit', resolve));
    a.kill('SIGKILL');
    await exited;
    agent = null;
  }

  /** Job `id`'s state as its record on disk says (read directly: a CLI call takes seconds under TCG). */
  const recordedState = (id: string): string => (JSON.parse(readFileSync(join(dir, 'jobs', `${id}.json`), 'utf8')) as { state: string }).state;

  /**
   * Kills the agent up to `kills` times, each after a random delay (0 to `maxDelayMs`) while job
   * `id` has not ended by its record, restarting it each time; then waits for the job's end.
   * Returns the job and the number of kills that landed while the job ran.
   */
  async function killWhileRunning(id: string, kills: number, maxDelayMs = 1500): Promise<{ job: any; landed: number }> {
    let landed = 0;
    for (let k = 0; k < kills; k++) {
      await new Promise((r) => setTimeout(r, random() * maxDelayMs));
      if (recordedState(id) !== 'running' && recordedState(id) !== 'queued') break;
      await killAgent();
      landed++;
      await startAgent();
    }
    const end = ok(['job', 'watch', id]).job;
    return { job: end, landed };
  }

  beforeAll(async () => {
    process.stdout.write(`jobs-sigkill: kill seed ${seed} (THINFLEET_KILL_SEED=${seed} replays it)\n`);
    writeFileSync(join(dir, 'd0.img'), '');
    truncateSync(join(dir, 'd0.img'), 768 * MiB);
    await startAgent();
    ok(['pool', 'create', 'p', '--device', join(dir, 'd0.img')]);
    writeFileSync(join(dir, 'd1.img'), '');
    truncateSync(join(dir, 'd1.img'), 512 * MiB);
    ok(['pool', 'create', 'q', '--device', join(dir, 'd1.img')]);
  });

  /** Starts a writer of tag `tag` on `device`, holding it open (a live move renames it). */
  function startWriter(device: string, tag: string, slots: number): { log: Array<{ seq: number; offset: number; sum: string }>; stop: () => Promise<void> } {
    const writer = spawn(process.execPath, [writerBin, '--device', device, '--tag', tag, '--slots', String(slots), '--stride', String(SLOT_BYTES), '--rate', '20', '--hold'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log: Array<{ seq: number; offset: number; sum: string }> = [];
    createInterface({ input: writer.stdout }).on('line', (line) => log.push(JSON.parse(line)));
    const done = new Promise((resolve) => writer.once('exit', resolve));
    return {
      log,
      stop: async () => {
        writer.kill('SIGTERM');
        await done;
      },
    };
  }

  afterAll(async () => {
    if (agent !== null) await killAgent();
    spawnSync(tool('dmsetup'), ['remove_all', '--force']);
    for (const loop of loops) await block.detachLoop(loop).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a flatten under a writer, SIGKILLed at random moments, finishes: every write reads back, every other slot is the origin', async () => {
    const originBytes = 48 * MiB;
    const origin = Buffer.alloc(originBytes);
    randomFillSync(origin);
    const originFile = join(dir, 'origin.img');
    writeFileSync(originFile, origin);
    const flat = ok(['volume', 'create', 'p/flat', '--external-origin', originFile, '--activate']).volume;
    const writer = spawn(
      process.execPath,
      [writerBin, '--device', flat.devicePath, '--tag', 'F', '--slots', String(originBytes / SLOT_BYTES), '--stride', String(SLOT_BYTES), '--rate', '20'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const log: Array<{ seq: number; offset: number; sum: string }> = [];
    createInterface({ input: writer.stdout }).on('line', (line) => log.push(JSON.parse(line)));
    const writerDone = new Promise((resolve) => writer.once('exit', resolve));

    const started = ok(['volume', 'flatten', 'p/flat', '--no-wait']).job;
    expect(started).toMatchObject({ kind: 'flatten' });
    const { job, landed } = await killWhileRunning(started.id, 2);
    expect(landed, 'a SIGKILL landed while the flatten ran').toBeGreaterThan(0);
    writer.kill('SIGTERM');
    await writerDone;
    expect(job, agentLog.slice(-4000)).toMatchObject({ id: started.id, state: 'JOB_STATE_SUCCEEDED' });
    process.stdout.write(`jobs-sigkill: flatten survived ${landed} SIGKILL(s); ${log.length} writes during it\n`);

    const after = ok(['volume', 'show', 'p/flat']).volume;
    expect(after.externalOrigin).toBe('');
    const written = new Set<number>();
    for (const entry of log) {
      const got = await block.read(after.devicePath, entry.offset, 4096);
      expect(sha(got).slice(0, 16), `write ${entry.seq} at ${entry.offset}`).toBe(entry.sum);
      written.add(entry.offset);
    }
    for (let at = 0; at < originBytes; at += SLOT_BYTES) {
      if (written.has(at)) continue;
      const got = await block.read(after.devicePath, at, SLOT_BYTES);
      if (!got.equals(origin.subarray(at, at + SLOT_BYTES))) throw new Error(`the 64 KiB at ${at} differ from the origin's`);
    }
    // Detached: the origin file can go, and the volume reads the same after a reactivation.
    ok(['volume', 'deactivate', 'p/flat']);
    rmSync(originFile);
    const again = ok(['volume', 'activate', 'p/flat']).volume;
    expect(sha(await block.read(again.devicePath, 0, 8 * MiB))).toBe(sha(await block.read(after.devicePath, 0, 8 * MiB)));
  });

  it("a device snapshot's merge, SIGKILLed at random moments, finishes with the device's content of snapshot time", async () => {
    const deviceBytes = 64 * MiB;
    const file = join(dir, 'lun.img');
    const before = Buffer.alloc(deviceBytes);
    randomFillSync(before);
    writeFileSync(file, before);
    const lun = await block.attachLoop(file);
    loops.push(lun);
    const snap = ok(['device', 'snapshot', 'create', 'p/lun-snap', '--device', lun]).snapshot;
    const originPath: string = snap.originDevicePath;
    expect(originPath).toMatch(/^\/dev\/mapper\//);
    // Writes through the origin device after the snapshot: every other MiB changes.
    for (let at = 0; at < deviceBytes; at += 2 * MiB) await block.write(originPath, at, Buffer.alloc(MiB, 0xa5));
    const throttleBefore = readFileSync(throttle, 'utf8').trim();
    writeFileSync(throttle, '2');
    let started: any;
    let outcome: { job: any; landed: number };
    try {
      started = ok(['device', 'snapshot', 'merge', 'p/lun-snap', '--no-wait']).job;
      expect(started).toMatchObject({ kind: 'merge' });
      outcome = await killWhileRunning(started.id, 2);
    } finally {
      writeFileSync(throttle, throttleBefore);
    }
    const { job, landed } = outcome;
    expect(landed, 'a SIGKILL landed while the merge ran').toBeGreaterThan(0);
    expect(job, agentLog.slice(-4000)).toMatchObject({ id: started.id, state: 'JOB_STATE_SUCCEEDED' });
    process.stdout.write(`jobs-sigkill: merge survived ${landed} SIGKILL(s)\n`);
    expect((ok(['device', 'snapshot', 'list', 'p']).snapshots as unknown[]).length).toBe(0);
    // The device itself (read beneath any mapping) holds the content of snapshot time.
    const fd = openSync(file, 'r');
    const now = Buffer.alloc(deviceBytes);
    readSync(fd, now, 0, deviceBytes, 0);
    closeSync(fd);
    expect(sha(now)).toBe(sha(before));
  });

  it('a sparse copy into another pool, SIGKILLed at random moments, finishes with the source bytes, mapping only its data', async () => {
    const sizeBytes = 64 * MiB;
    const src = ok(['volume', 'create', 'p/csrc', '--size', `${sizeBytes}`, '--activate']).volume;
    const expected = Buffer.alloc(sizeBytes);
    // Data in every other MiB; the rest never written.
    for (let at = 0; at < sizeBytes; at += 2 * MiB) {
      const data = randomFillSync(Buffer.alloc(MiB));
      data.copy(expected, at);
      await block.write(src.devicePath, at, data);
    }
    const started = ok(['volume', 'copy', 'p/csrc', 'q/ccopy', '--no-wait']).job;
    expect(started).toMatchObject({ kind: 'copy' });
    const { job, landed } = await killWhileRunning(started.id, 2, 600);
    expect(landed, 'a SIGKILL landed while the copy ran').toBeGreaterThan(0);
    expect(job, agentLog.slice(-4000)).toMatchObject({ id: started.id, state: 'JOB_STATE_SUCCEEDED' });
    process.stdout.write(`jobs-sigkill: copy survived ${landed} SIGKILL(s)\n`);
    const copy = ok(['volume', 'show', 'q/ccopy', '--usage']).volume;
    expect(Number(copy.mappedBytes)).toBeLessThanOrEqual(sizeBytes / 2 + 2 * MiB);
    const active = ok(['volume', 'activate', 'q/ccopy']).volume;
    for (let at = 0; at < sizeBytes; at += 8 * MiB) {
      expect(sha(await block.read(active.devicePath, at, 8 * MiB)), `the copy's 8 MiB at ${at}`).toBe(sha(expected.subarray(at, at + 8 * MiB)));
    }
  });

  it('a live move of an open volume under a writer, SIGKILLed at random moments, finishes: every write reads back in the target pool', async () => {
    const sizeBytes = 96 * MiB;
    const mv = ok(['volume', 'create', 'p/mv', '--size', `${sizeBytes}`, '--activate']).volume;
    const before = Buffer.alloc(sizeBytes);
    for (let at = 0; at < sizeBytes; at += 4 * MiB) {
      const data = randomFillSync(Buffer.alloc(2 * MiB));
      data.copy(before, at);
      await block.write(mv.devicePath, at, data);
    }
    const writer = startWriter(mv.devicePath, 'M', sizeBytes / SLOT_BYTES);
    const throttleBefore = readFileSync(mirrorThrottle, 'utf8').trim();
    writeFileSync(mirrorThrottle, '5');
    let started: any;
    let outcome: { job: any; landed: number };
    try {
      started = ok(['volume', 'move', 'p/mv', 'q', '--no-wait']).job;
      expect(started).toMatchObject({ kind: 'move' });
      outcome = await killWhileRunning(started.id, 2);
    } finally {
      writeFileSync(mirrorThrottle, throttleBefore);
    }
    const { job, landed } = outcome;
    await new Promise((r) => setTimeout(r, 500)); // writes after the switch land in q too
    await writer.stop();
    expect(landed, 'a SIGKILL landed while the move ran').toBeGreaterThan(0);
    expect(job, agentLog.slice(-4000)).toMatchObject({ id: started.id, state: 'JOB_STATE_SUCCEEDED' });
    process.stdout.write(`jobs-sigkill: live move survived ${landed} SIGKILL(s); ${writer.log.length} writes during it\n`);
    expect((ok(['volume', 'list', 'p']).volumes as Array<{ name: string }>).map((v) => v.name)).not.toContain('mv');
    const moved = ok(['volume', 'show', 'q/mv']).volume;
    expect(moved.devicePath).toMatch(/tf-q-mv$/);
    const written = new Set<number>();
    for (const entry of writer.log) {
      const got = await block.read(moved.devicePath, entry.offset, 4096);
      expect(sha(got).slice(0, 16), `write ${entry.seq} at ${entry.offset}`).toBe(entry.sum);
      written.add(entry.offset);
    }
    // Every slot the writer did not touch holds what was there before the move.
    for (let at = 0; at < sizeBytes; at += SLOT_BYTES) {
      if (written.has(at)) continue;
      const got = await block.read(moved.devicePath, at, SLOT_BYTES);
      if (!got.equals(before.subarray(at, at + SLOT_BYTES))) throw new Error(`the moved volume's 64 KiB at ${at} differ from before the move`);
    }
  });

  // Last: it deactivates the pools.
  it('leaves metadata that thin_check finds clean, after the pools are deactivated', () => {
    for (const [pool, file] of [
      ['p', 'd0.img'],
      ['q', 'd1.img'],
    ] as const) {
      const r = spawnSync(tool('dmsetup'), ['table', `tf-${pool}-_tmeta`], { encoding: 'utf8' });
      const extent = metadataExtent(r.stdout);
      for (const v of ok(['volume', 'list', pool]).volumes as Array<{ name: string; active: boolean }>) if (v.active) ok(['volume', 'deactivate', `${pool}/${v.name}`]);
      ok(['pool', 'deactivate', pool]);
      saveMetadataArtifact(join(dir, file), extent, `jobs-sigkill-${pool}`);
    }
  });
});
