/**
 * The `thinfleet` command against a real agent (in this process, on the simulated
 * device-mapper, files as devices, a unix socket): one pool's life from create to destroy, as a
 * script would drive it, checking exit codes, the JSON documents and the agent's refusals.
 * The tests run in order and share the agent.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../../../services/agent/test/support/test-agent.js';
import { runCli } from '../src/index.js';
import { memoryIo } from './support/memory-io.js';

const MiB = 2 ** 20;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface VolumeDoc {
  pool: string;
  name: string;
  sizeBytes: number;
  origin: string;
  revisionOf: string;
  revision: number;
  pinned: boolean;
  active: boolean;
}

interface JobDoc {
  id: string;
  state: string;
  doneBytes: number;
  totalBytes: number;
}

let agent: TestAgent;
let disk: string;

async function cli(argv: readonly string[], stdin?: string): Promise<Run> {
  const { io, stdout, stderr } = memoryIo(stdin === undefined ? {} : { stdin });
  const code = await runCli(['--agent', agent.socketPath, ...argv], io);
  return { code, stdout: stdout(), stderr: stderr() };
}

async function json<T>(argv: readonly string[], stdin?: string): Promise<T> {
  const run = await cli(['--json', ...argv], stdin);
  expect(run.stderr, run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
}

async function volumes(pool: string): Promise<VolumeDoc[]> {
  return (await json<{ volumes: VolumeDoc[] }>(['volume', 'list', pool])).volumes;
}

beforeAll(async () => {
  agent = await startTestAgent({ config: { deleteChunkBytes: MiB } });
  disk = join(agent.stateDir, 'disk0.img');
  writeFileSync(disk, '');
  truncateSync(disk, 256 * MiB);
});

afterAll(async () => {
  await agent.dispose();
});

describe('thinfleet against a real agent', () => {
  it('reports the agent healthy', async () => {
    expect(await cli(['health'])).toEqual({ code: 0, stdout: 'SERVING\n', stderr: '' });
  });

  it('creates a pool on a file and lists it', async () => {
    const created = await cli(['pool', 'create', 'p', '--device', disk, '--block-size', '64KiB']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created pool p: .* of data in 64\.0 KiB blocks\n$/);
    const { pools } = await json<{ pools: Array<{ name: string; active: boolean; mode: string; devices: string[] }> }>(['pool', 'list']);
    expect(pools).toEqual([expect.objectContaining({ name: 'p', active: true, mode: 'rw', devices: [disk] })]);
  });

  it('creates and snapshots volumes, and lists them as JSON', async () => {
    expect((await cli(['volume', 'create', 'p/base', '--size', '8MiB'])).code).toBe(0);
    expect((await cli(['volume', 'snapshot', 'p/base', 'snap1'])).code).toBe(0);
    const listed = await volumes('p');
    expect(listed.map((v) => [v.name, v.sizeBytes, v.origin])).toEqual([
      ['base', 8 * MiB, ''],
      ['snap1', 8 * MiB, 'base'],
    ]);
  });

  it('applies a batch read from standard input as one transaction', async () => {
    const batch = {
      pool: 'p',
      ops: [
        { op: 'snapshot', source: 'base', name: 'vm1' },
        { op: 'snapshot', source: 'base', name: 'vm2', item: 'second' },
        { op: 'create', name: 'scratch', size: '4MiB' },
      ],
    };
    const response = await json<{ transactionId: string; results: Array<{ item: string; volume: VolumeDoc }> }>(['batch', '-'], JSON.stringify(batch));
    expect(response.results.map((r) => [r.item, r.volume.name, r.volume.sizeBytes])).toEqual([
      ['ops[0]', 'vm1', 8 * MiB],
      ['second', 'vm2', 8 * MiB],
      ['ops[2]', 'scratch', 4 * MiB],
    ]);
    expect(response.transactionId).toMatch(/^\d+$/);
    expect((await volumes('p')).map((v) => v.name)).toEqual(['base', 'scratch', 'snap1', 'vm1', 'vm2']);
  });

  it('prints batch results as a table', async () => {
    const run = await cli(['batch', '-'], JSON.stringify({ pool: 'p', ops: [{ op: 'rename', name: 'scratch', new_name: 'scratch2' }] }));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ITEM\s+OP\s+VOLUME\s+SIZE\nops\[0\]\s+rename\s+p\/scratch2\s+4\.0 MiB\ncommitted 1 ops as transaction \d+\n$/);
  });

  it('reverts and resizes a volume', async () => {
    const reverted = await cli(['volume', 'revert', 'p/base', 'snap1']);
    expect(reverted.stderr).toBe('');
    expect(reverted.code).toBe(0);
    expect((await cli(['volume', 'resize', 'p/base', '--size', '16MiB'])).code).toBe(0);
    const { volume } = await json<{ volume: VolumeDoc }>(['volume', 'show', 'p/base']);
    expect(volume.sizeBytes).toBe(16 * MiB);
    const shrink = await cli(['volume', 'resize', 'p/base', '--size', '8MiB']);
    expect(shrink.code).toBe(1);
  });

  it('makes rotating revisions and pins one', async () => {
    for (let round = 0; round < 3; round += 1) expect((await cli(['revision', 'create', 'p/base', '--keep', '2'])).code).toBe(0);
    const { volumes: revisions } = await json<{ volumes: VolumeDoc[] }>(['revision', 'list', 'p/base']);
    expect(revisions.map((v) => [v.revisionOf, v.revision])).toEqual([
      ['base', 2],
      ['base', 3],
    ]);
    const pinned = await json<{ volume: VolumeDoc }>(['volume', 'pin', `p/${revisions[0]?.name ?? ''}`]);
    expect(pinned.volume.pinned).toBe(true);
    const unpinned = await json<{ volume: VolumeDoc }>(['volume', 'unpin', `p/${revisions[0]?.name ?? ''}`]);
    expect(unpinned.volume.pinned).toBe(false);
  });

  it('deletes a volume through a chunked job, waiting with progress', async () => {
    const run = await cli(['volume', 'delete', 'p/vm1', '--chunked']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^deleting p\/vm1: job \S+\ndeleted p\/vm1\n$/);
    // Not a terminal: a line per 10%, ending at 100%.
    expect(run.stderr).toMatch(/\[#{20}\] 100% 8\.0 MiB\/8\.0 MiB\n$/);
    expect((await volumes('p')).map((v) => v.name)).not.toContain('vm1');
  });

  it('prints the final job of a chunked delete with --json', async () => {
    const document = await json<{ volume: VolumeDoc; jobId: string; job: JobDoc }>(['volume', 'delete', 'p/vm2', '--chunked']);
    expect(document.volume.name).toBe('vm2');
    expect(document.job).toMatchObject({ id: document.jobId, state: 'JOB_STATE_SUCCEEDED', doneBytes: 8 * MiB, totalBytes: 8 * MiB });
    const { jobs } = await json<{ jobs: JobDoc[] }>(['job', 'list']);
    expect(jobs.find((job) => job.id === document.jobId)?.state).toBe('JOB_STATE_SUCCEEDED');
    const watched = await json<{ job: JobDoc }>(['job', 'watch', document.jobId]);
    expect(watched.job.state).toBe('JOB_STATE_SUCCEEDED');
  });

  it.each<[string, readonly string[], string]>([
    ['a volume name with a slash', ['volume', 'create', 'p/a/b', '--size', '1MiB'], 'name'],
    ['a volume name with a control character', ['volume', 'create', 'p/bad\u0001name', '--size', '1MiB'], 'name'],
    ['a snapshot name with a slash', ['volume', 'snapshot', 'p/base', 'x/y'], 'name'],
    ['a new name with a control character', ['volume', 'rename', 'p/snap1', 'new\nname'], 'new_name'],
    ['a pool name with a slash', ['pool', 'create', 'a/b', '--device', '/nonexistent'], 'name'],
  ])('refuses %s: exit 1, INVALID_ARGUMENT naming the field', async (_title, argv, field) => {
    const human = await cli(argv);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(new RegExp(`^thinfleet: ${field}: `));
    const run = await cli(['--json', ...argv]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { status: 'INVALID_ARGUMENT', field } });
  });

  it('refuses a bad name inside a batch, naming the op, and applies nothing', async () => {
    const before = await volumes('p');
    const batch = {
      pool: 'p',
      ops: [
        { op: 'snapshot', source: 'base', name: 'fine' },
        { op: 'snapshot', source: 'base', name: 'not/fine' },
      ],
    };
    const run = await cli(['--json', 'batch', '-'], JSON.stringify(batch));
    expect(run.code).toBe(1);
    // The agent names the proto path, oneof member included (ops[1].snapshot.name).
    const { error } = JSON.parse(run.stdout) as { error: { status: string; field: string } };
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.field).toMatch(/^ops\[1\]\.(snapshot\.)?name$/);
    expect(await volumes('p')).toEqual(before);
  });

  it('reports a volume that does not exist with exit 1 and NOT_FOUND', async () => {
    const run = await cli(['--json', 'volume', 'show', 'p/ghost']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { status: 'NOT_FOUND' } });
  });

  it('destroys the pool only with --force while it has volumes', async () => {
    const refused = await cli(['pool', 'destroy', 'p']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^thinfleet: /);
    const destroyed = await cli(['pool', 'destroy', 'p', '--force']);
    expect(destroyed).toEqual({ code: 0, stdout: 'destroyed pool p\n', stderr: '' });
    const { pools } = await json<{ pools: Array<{ name: string }> }>(['pool', 'list']);
    expect(pools.map((pool) => pool.name)).not.toContain('p');
  });

  it('refuses --force over an active pool, forgets an inactive pool, and prints the label --force overwrote', async () => {
    const shared = join(agent.stateDir, 'shared.img');
    writeFileSync(shared, '');
    truncateSync(shared, 64 * MiB);
    expect((await cli(['pool', 'create', 'pa', '--device', shared])).code).toBe(0);
    const refused = await cli(['pool', 'create', 'pb', '--device', shared, '--force']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('pool pa');
    expect(refused.stderr).toContain(shared);

    expect((await cli(['pool', 'deactivate', 'pa'])).code).toBe(0);
    const forgot = await cli(['pool', 'forget', 'pa']);
    expect(forgot).toEqual({ code: 0, stdout: 'forgot pool pa; its devices were not written\n', stderr: '' });
    const created = await cli(['pool', 'create', 'pb', '--device', shared, '--force']);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(new RegExp(`\\noverwrote the label of pool pa \\(uuid [0-9a-f-]+, device 0\\) on ${shared.replace(/[.]/g, '\\.')}\\n$`));
  });

  it('exits 3 once the agent has stopped', async () => {
    await agent.stop();
    const run = await cli(['pool', 'list']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`cannot reach the agent at ${agent.socketPath}`);
  });
});
