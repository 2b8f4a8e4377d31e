/**
 * Files the agent replaces whole, when writes overlap: the job store's saves never lose their
 * temporary file to each other or to the start-up's loading (the agent once failed a resumed job
 * with ENOENT on its rename, issue 11 item 3), the files a crash left are still swept, and the
 * pool registry keeps every pool when two pools' changes overlap.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepTemporaryFiles, writeFileDurably } from '../src/durable-file.js';
import { JobStore, type JobRecord } from '../src/jobs/index.js';
import { PoolRegistry } from '../src/pool-registry.js';
import { startTestAgent } from './support/test-agent.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'thinfleet-job-store-'));
  dirs.push(dir);
  return dir;
}

const record = (id: string, doneBytes: number): JobRecord => ({
  id,
  kind: 'delete',
  pool: 'tank',
  volume: 'v',
  volumeUuid: 'uuid-v',
  state: 'running',
  doneBytes,
  totalBytes: 1 << 20,
  chunkBytes: 1 << 16,
  createdMs: 1,
  updatedMs: 1,
  error: null,
  errorCode: null,
  volumeWasActive: false,
  ownerToken: '0',
  phase: '',
});

describe('job store temporary files', () => {
  it('sweeps what a crash left, once, and never the temporary file of a save in flight', async () => {
    const stateDir = await tempDir();
    mkdirSync(join(stateDir, 'jobs'));
    const stale = `.j1.json.${process.pid}.tmp`;
    writeFileSync(join(stateDir, 'jobs', stale), '{"torn');
    const store = new JobStore(stateDir);
    // Loading and saving at once, as the agent's start-up does with a job a pool's activation resumed.
    for (let round = 1; round <= 40; round++) {
      const [, loaded] = await Promise.all([store.save(record('j1', round * 512)), store.loadAll(), store.save(record('j2', round * 512))]);
      expect(loaded.unreadable).toEqual([]);
    }
    expect(readdirSync(join(stateDir, 'jobs')).sort()).toEqual(['j1.json', 'j2.json']);
    expect((await store.loadAll()).records.map((r) => [r.id, r.doneBytes]).sort()).toEqual([
      ['j1', 40 * 512],
      ['j2', 40 * 512],
    ]);
  });

  it("sweeps a dead writer's temporary files from a state directory, and leaves a live writer's", async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'pools.json'), '{}\n');
    const dead = '.pools.json.2147483646.3.tmp';
    const live = `.fencing.json.${process.ppid}.1.tmp`;
    const old = '.cluster-session.json.77.tmp';
    for (const name of [dead, live, old]) writeFileSync(join(dir, name), '{"torn');
    expect((await sweepTemporaryFiles(dir)).sort()).toEqual([dead, old].sort());
    expect(readdirSync(dir).sort()).toEqual([live, 'pools.json'].sort());
    expect(await sweepTemporaryFiles(join(dir, 'missing'))).toEqual([]);
  });

  it('is run by the agent at start on its state directory, before it writes there', async () => {
    const stateDir = await tempDir();
    const stale = '.pools.json.2147483646.9.tmp';
    writeFileSync(join(stateDir, stale), '{"torn');
    const agent = await startTestAgent({ stateDir });
    try {
      expect(readdirSync(stateDir)).not.toContain(stale);
    } finally {
      await agent.dispose();
    }
  });

  it('lets overlapping writes of one file all succeed, leaving one of them whole and no temporary file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'state.json');
    const contents = Array.from({ length: 12 }, (_, i) => `${JSON.stringify({ i, pad: 'x'.repeat(4096 * (i + 1)) })}\n`);
    await Promise.all(contents.map((c) => writeFileDurably(path, c)));
    expect(contents).toContain(readFileSync(path, 'utf8'));
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('reads a record written before volumeWasActive existed as a volume to leave as it is', async () => {
    const stateDir = await tempDir();
    mkdirSync(join(stateDir, 'jobs'));
    const { volumeWasActive: _, ...old } = record('j3', 0);
    writeFileSync(join(stateDir, 'jobs', 'j3.json'), JSON.stringify(old));
    const { records } = await new JobStore(stateDir).loadAll();
    expect(records).toEqual([{ ...old, volumeWasActive: true }]);
  });
});

describe('pool registry', () => {
  it('keeps every pool when changes of different pools overlap', async () => {
    const stateDir = await tempDir();
    const registry = PoolRegistry.open(stateDir);
    await registry.put({ name: 'gone', uuid: 'u-gone', devices: ['/dev/sdz'], loops: {}, active: true });
    const names = Array.from({ length: 8 }, (_, i) => `p${i}`);
    await Promise.all([...names.map((name) => registry.put({ name, uuid: `u-${name}`, devices: [`/dev/${name}`], loops: {}, active: true })), registry.remove('gone')]);
    expect(registry.list().map((p) => p.name)).toEqual(names);
    expect(
      PoolRegistry.open(stateDir)
        .list()
        .map((p) => p.name),
    ).toEqual(names);
    expect(readdirSync(stateDir)).toEqual(['pools.json']);
  });
});
