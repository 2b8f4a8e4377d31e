/**
 * What a new user met listing volumes and sizing them, against a real agent (simulated
 * device-mapper, files as devices): a pool that does not exist, a known pool that is inactive,
 * `volume list` over every pool, and sizes that are not a multiple of 512 bytes.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAgent, type TestAgent } from '../../../services/agent/test/support/test-agent.js';
import { runCli } from '../src/index.js';
import { memoryIo } from './support/memory-io.js';

const MiB = 2 ** 20;

let agent: TestAgent;

async function cli(argv: readonly string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, stdout, stderr } = memoryIo(stdin === undefined ? {} : { stdin });
  const code = await runCli(['--agent', agent.socketPath, ...argv], io);
  return { code, stdout: stdout(), stderr: stderr() };
}

const disk = (name: string): string => agent.sparseFile(name, 64 * MiB);

beforeAll(async () => {
  agent = await startTestAgent();
  for (const pool of ['live', 'sleeping']) {
    expect((await cli(['pool', 'create', pool, '--device', disk(`${pool}.img`)])).code).toBe(0);
    expect((await cli(['volume', 'create', `${pool}/vm1`, '--size', '1MiB'])).code).toBe(0);
  }
  expect((await cli(['pool', 'deactivate', 'sleeping'])).code).toBe(0);
});

afterAll(async () => {
  await agent.dispose();
});

describe('volume list', () => {
  it('names a pool that does not exist as such, not as inactive', async () => {
    const run = await cli(['volume', 'list', 'nosuchpool']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/pool nosuchpool is neither active nor known on this host/);
    expect(run.stderr).not.toMatch(/not active/);
  });

  it('says how to activate a known pool that is inactive', async () => {
    const run = await cli(['--json', 'volume', 'list', 'sleeping']);
    expect(run.code).toBe(1);
    const error = (JSON.parse(run.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('POOL_INACTIVE');
    expect(error.message).toMatch(/pool sleeping is not active on this host \(thinfleet pool activate sleeping\)/);
  });

  it('over every pool, says which pools it could not list', async () => {
    const run = await cli(['volume', 'list']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/live\s+vm1/);
    expect(run.stdout).not.toMatch(/sleeping/);
    expect(run.stderr).toBe('thinfleet: not listed: the volumes of inactive pool sleeping (thinfleet pool activate NAME)\n');
    const doc = JSON.parse((await cli(['--json', 'volume', 'list'])).stdout) as { volumes: Array<{ pool: string }>; inactivePools: string[] };
    expect(doc.volumes.map((v) => v.pool)).toEqual(['live']);
    expect(doc.inactivePools).toEqual(['sleeping']);
  });
});

describe('sizes follow one rule', () => {
  it('rounds a size that is no multiple of 512 bytes up to the block size, as the help says', async () => {
    const run = await cli(['--json', 'volume', 'create', 'live/odd', '--size', '1000']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const volume = (JSON.parse(run.stdout) as { volume: { sizeBytes: number } }).volume;
    expect(volume.sizeBytes).toBe(64 * 1024);
  });

  it('refuses 8 PiB before sending anything, and a size over the pool limit in units', async () => {
    const huge = await cli(['volume', 'create', 'live/huge', '--size', '8PiB']);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/--size: "8PiB" is too large: sizes must be below 8 PiB/);
    const over = await cli(['volume', 'create', 'live/over', '--size', '2PiB']);
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/size 2\.0 PiB is beyond the pool's limit of 1\.0 PiB per volume/);
    expect(over.stderr).not.toMatch(/\d{10,}/);
  });
});

describe('docs/cli.md shows errors as the CLI prints them', () => {
  it('prints a batch item error exactly as the Errors section shows it', async () => {
    const docs = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');
    const example = /^thinfleet: item .*$/m.exec(docs)?.[0];
    expect(example, 'docs/cli.md has an item error example').toBeDefined();
    expect((await cli(['pool', 'create', 'tank', '--device', disk('tank.img')])).code).toBe(0);
    const batch = JSON.stringify({ pool: 'tank', ops: [{ op: 'snapshot', source: 'base', name: 'vm10', item: 'vm10-disk' }] });
    const run = await cli(['batch', '-'], batch);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`${example}\n`);
  });
});
