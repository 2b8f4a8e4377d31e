/**
 * Kernel tier: the `thinfleet` command drives a real agent on the real device-mapper. The agent
 * and the CLI run as processes from their builds; files become loop devices; `dmsetup table`
 * and `thin_ls` (on a metadata snapshot) confirm what the CLI reports.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access --
   the test reads the CLI's --json output, whatever its shape, and asserts on its fields */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeBlockClient } from '@thinfleet/devmapper';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pattern } from '../../../test/support/seeded.mjs';
import { metadataExtent, saveMetadataArtifact } from './support/pool-metadata-artifact.js';

const MiB = 1024 * 1024;
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const agentBin = join(repo, 'services/agent/bin/thinfleet-agent.mjs');
const cliBin = join(repo, 'packages/cli/bin/thinfleet.mjs');
const tool = (name: string): string => ['/usr/sbin', '/sbin', '/usr/bin'].map((d) => join(d, name)).find(existsSync) ?? name;

interface Volume {
  name: string;
  thinId: number;
  origin: string;
  sizeBytes: number;
  devicePath: string;
}

describe('thinfleet CLI on a real pool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-cli-kernel-'));
  const socket = join(dir, 'agent.sock');
  let agent: ChildProcess;
  let agentLog = '';
  const block = new NativeBlockClient();

  function cli(args: string[], input?: string): { code: number; out: string; err: string; json: any } {
    const r = spawnSync(process.execPath, [cliBin, '--agent', socket, '--json', ...args], { input, encoding: 'utf8', timeout: 120_000 });
    let json: unknown = null;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      // not JSON (usage errors print text)
    }
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr, json };
  }
  function ok(args: string[], input?: string): any {
    const r = cli(args, input);
    if (r.code !== 0) throw new Error(`thinfleet ${args.join(' ')} exited ${r.code}: ${r.err}${r.out}\nagent log:\n${agentLog.slice(-4000)}`);
    return r.json;
  }
  function sh(cmd: string, args: string[]): string {
    const r = spawnSync(tool(cmd), args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  }
  /** Thin ids and mapped blocks the kernel's metadata holds, through thin_ls on a metadata snapshot. */
  function thinLs(): Map<number, number> {
    sh('dmsetup', ['message', 'tf-p-_tpool', '0', 'reserve_metadata_snap']);
    try {
      const out = sh('thin_ls', ['--metadata-snap', '--no-headers', '-o', 'DEV,MAPPED_BLOCKS', '/dev/mapper/tf-p-_tmeta']);
      return new Map(
        out
          .trim()
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]),
      );
    } finally {
      sh('dmsetup', ['message', 'tf-p-_tpool', '0', 'release_metadata_snap']);
    }
  }
  const volumes = (): Map<string, Volume> => new Map((ok(['volume', 'list', 'p']).volumes as Volume[]).map((v) => [v.name, v]));

  beforeAll(async () => {
    for (const [name, size] of [
      ['d0.img', 512 * MiB],
      ['d1.img', 256 * MiB],
    ] as const) {
      writeFileSync(join(dir, name), '');
      truncateSync(join(dir, name), size);
    }
    agent = spawn(process.execPath, [agentBin, '--dm', 'native', '--state-dir', dir, '--socket', socket, '--metrics', 'off', '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout!.on('data', (b: Buffer) => (agentLog += b.toString()));
    agent.stderr!.on('data', (b: Buffer) => (agentLog += b.toString()));
    const deadline = Date.now() + 90_000;
    while (cli(['health']).code !== 0) {
      if (agent.exitCode !== null || Date.now() > deadline) throw new Error(`the agent did not come up:\n${agentLog}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  afterAll(async () => {
    if (agent.exitCode === null) {
      agent.kill('SIGKILL');
      spawnSync(tool('dmsetup'), ['remove_all', '--force']);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a pool on two loop-backed files that dmsetup sees', () => {
    const created = ok(['pool', 'create', 'p', '--device', join(dir, 'd0.img'), '--device', join(dir, 'd1.img')]);
    expect(created.pool).toMatchObject({ name: 'p', active: true, mode: 'rw', devices: [join(dir, 'd0.img'), join(dir, 'd1.img')] });
    expect(sh('dmsetup', ['table', 'tf-p-_tpool'])).toMatch(/^0 \d+ thin-pool \d+:\d+ \d+:\d+ 128 /);
    expect((ok(['pool', 'list']).pools as Array<{ name: string }>).map((p) => p.name)).toEqual(['p']);
  });

  it('makes volumes, a snapshot and a batch of snapshots whose thin ids the kernel has', async () => {
    const base = ok(['volume', 'create', 'p/base', '--size', '64MiB', '--activate']).volume as Volume;
    expect(base).toMatchObject({ sizeBytes: 64 * MiB, devicePath: '/dev/mapper/tf-p-base' });
    await block.write(base.devicePath, 0, pattern(1, MiB));
    expect((ok(['volume', 'snapshot', 'p/base', 'keep']).volume as Volume).origin).toBe('base');
    await block.write(base.devicePath, 0, pattern(2, MiB));

    const batch = JSON.stringify({ pool: 'p', ops: Array.from({ length: 8 }, (_, i) => ({ op: 'snapshot', source: 'base', name: `vm${i}` })) });
    const result = ok(['batch', '-'], batch);
    expect((result.results as Array<{ volume: Volume }>).map((r) => r.volume.name)).toEqual(Array.from({ length: 8 }, (_, i) => `vm${i}`));

    const listed = volumes();
    expect([...listed.keys()].sort()).toEqual(['base', 'keep', ...Array.from({ length: 8 }, (_, i) => `vm${i}`)].sort());
    const table = sh('dmsetup', ['table', 'tf-p-base']).trim();
    expect(table).toMatch(new RegExp(`^0 ${(64 * MiB) / 512} thin \\d+:\\d+ ${listed.get('base')!.thinId}$`));
    const kernel = thinLs();
    expect([...kernel.keys()].sort((a, b) => a - b)).toEqual([...listed.values()].map((v) => v.thinId).sort((a, b) => a - b));
    expect(kernel.get(listed.get('base')!.thinId)).toBeGreaterThan(0);
  });

  it('reverts a volume to its snapshot', async () => {
    ok(['volume', 'deactivate', 'p/base']);
    expect(existsSync('/dev/mapper/tf-p-base')).toBe(false);
    ok(['volume', 'revert', 'p/base', 'keep']);
    const active = ok(['volume', 'activate', 'p/base']).volume as Volume;
    expect(Buffer.compare(await block.read(active.devicePath, 0, MiB), pattern(1, MiB))).toBe(0);
  });

  it('deletes at once and through a chunked job, and the kernel forgets the ids', () => {
    const before = volumes();
    const now = ok(['volume', 'delete', 'p/vm7', '--now']);
    expect(now.jobId).toBe('');
    const chunked = ok(['volume', 'delete', 'p/vm6', '--chunked']);
    expect(chunked.job).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', kind: 'delete' });
    const kernel = thinLs();
    expect(kernel.has(before.get('vm7')!.thinId)).toBe(false);
    expect(kernel.has(before.get('vm6')!.thinId)).toBe(false);
    expect([...kernel.keys()].sort((a, b) => a - b)).toEqual([...volumes().values()].map((v) => v.thinId).sort((a, b) => a - b));
  });

  it('refuses bad input without changing anything, with exit codes that tell usage from failure', () => {
    const before = sh('dmsetup', ['status', 'tf-p-_tpool']).split(' ')[3];
    expect(cli(['volume', 'create', 'p/x']).code).toBe(2);
    const bad = cli(['volume', 'create', 'p/a/b', '--size', '1MiB']);
    expect(bad.code).not.toBe(0);
    const ctl = cli(['volume', 'snapshot', 'p/base', 'bad\u0001name']);
    expect(ctl.code).toBe(1);
    expect(ctl.json.error).toMatchObject({ status: 'INVALID_ARGUMENT', field: 'name' });
    expect(sh('dmsetup', ['status', 'tf-p-_tpool']).split(' ')[3]).toBe(before);
  });

  it('deactivates and reactivates the pool, leaving its metadata for thin_check, then destroys it', async () => {
    const extent = metadataExtent(sh('dmsetup', ['table', 'tf-p-_tmeta']));
    ok(['volume', 'deactivate', 'p/base']);
    expect(ok(['pool', 'deactivate', 'p']).pool).toMatchObject({ active: false, mode: 'inactive' });
    expect(sh('dmsetup', ['ls'])).not.toMatch(/tf-p-/);
    saveMetadataArtifact(join(dir, 'd0.img'), extent, 'cli-pool');
    const again = ok(['pool', 'activate', 'p']).pool;
    expect(again).toMatchObject({ active: true, mode: 'rw', volumes: 8 });
    expect(again.lastRecovery.outcome).toBeTruthy();
    ok(['pool', 'destroy', 'p', '--force']);
    expect(sh('dmsetup', ['ls'])).not.toMatch(/tf-p-/);
    expect(ok(['pool', 'list']).pools).toEqual([]);
    const loopFiles = readdirSync('/sys/block')
      .filter((d) => d.startsWith('loop') && existsSync(`/sys/block/${d}/loop/backing_file`))
      .map((d) => readFileSync(`/sys/block/${d}/loop/backing_file`, 'utf8').trim());
    expect(loopFiles.filter((f) => f.startsWith(dir))).toEqual([]);
    const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
