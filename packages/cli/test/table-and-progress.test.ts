/** Human output: aligned tables, key-value views, and the progress bar on and off a terminal. */
import { describe, expect, it } from 'vitest';
import { formatFields, formatTable, ProgressBar, progressLine, runCli } from '../src/index.js';
import { memoryIo } from './support/memory-io.js';
import { job, POOL, recordingAgent, volume } from './support/recording-agent.js';

describe('formatTable', () => {
  it('aligns columns, right-aligns numbers, and leaves no trailing spaces', () => {
    const text = formatTable(
      [{ header: 'NAME' }, { header: 'SIZE', align: 'right' }, { header: 'ORIGIN' }],
      [
        ['vm1', '10.0 GiB', '-'],
        ['a-much-longer-name', '512 B', ''],
      ],
    );
    expect(text).toBe(['NAME                    SIZE  ORIGIN', 'vm1                 10.0 GiB  -', 'a-much-longer-name     512 B', ''].join('\n'));
  });

  it('prints only the header for no rows', () => {
    expect(formatTable([{ header: 'ID' }, { header: 'STATE' }], [])).toBe('ID  STATE\n');
  });
});

describe('formatFields', () => {
  it('aligns values and leaves out null ones', () => {
    expect(
      formatFields([
        ['name', 'tank'],
        ['origin', null],
        ['transaction', '7'],
      ]),
    ).toBe('name:         tank\ntransaction:  7\n');
  });
});

describe('ProgressBar', () => {
  it('draws the bar text', () => {
    expect(progressLine(42, 100)).toBe('[########............] 42% 42 B/100 B');
    expect(progressLine(1.2 * 2 ** 30, 2.9 * 2 ** 30)).toBe('[########............] 41% 1.2 GiB/2.9 GiB');
    expect(progressLine(0, 0)).toBe('[....................] 0% 0 B/0 B');
    expect(progressLine(100, 100)).toBe('[####################] 100% 100 B/100 B');
  });

  it('redraws one line on a terminal, only when it changes', () => {
    const writes: string[] = [];
    const bar = new ProgressBar((text) => writes.push(text), true);
    bar.update(0, 100);
    bar.update(0, 100);
    bar.update(50, 100);
    bar.finish();
    bar.finish();
    expect(writes).toEqual(['\r[....................] 0% 0 B/100 B\x1b[K', '\r[##########..........] 50% 50 B/100 B\x1b[K', '\n']);
  });

  it('prints a line per 10% elsewhere', () => {
    const writes: string[] = [];
    const bar = new ProgressBar((text) => writes.push(text), false);
    for (let done = 0; done <= 100; done += 3) bar.update(done, 100);
    bar.update(100, 100);
    bar.finish();
    expect(writes.map((line) => line.split(' ')[1])).toEqual(['0%', '12%', '21%', '30%', '42%', '51%', '60%', '72%', '81%', '90%', '100%']);
    expect(writes.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
  });
});

describe('command output', () => {
  it('prints the pool table with data and metadata use', async () => {
    const agent = recordingAgent();
    const { io, stdout } = memoryIo();
    await runCli(['pool', 'list'], io, { connect: agent.connect });
    expect(stdout()).toBe(['NAME  ACTIVE  MODE      DATA  USED%      META  USED%  VOLUMES', 'tank  yes     rw    10.0 GiB  10.0%  64.0 MiB  25.0%        2', ''].join('\n'));
  });

  it('prints the volume table, with MAPPED only for --usage', async () => {
    const volumes = [volume('vm1', { active: true }), volume('snap', { origin: 'vm1', sizeBytes: 2 ** 20, mappedBytes: 4096 })];
    const agent = recordingAgent({ listVolumes: { volumes } });
    const plain = memoryIo();
    await runCli(['volume', 'list', 'tank'], plain.io, { connect: agent.connect });
    expect(plain.stdout()).toBe(['POOL  NAME      SIZE  ACTIVE  ORIGIN', 'tank  vm1   10.0 GiB  yes     -', 'tank  snap   1.0 MiB  no      vm1', ''].join('\n'));
    const usage = memoryIo();
    await runCli(['volume', 'list', 'tank', '--usage'], usage.io, { connect: agent.connect });
    expect(usage.stdout().split('\n')[0]).toBe('POOL  NAME      SIZE  ACTIVE  ORIGIN   MAPPED');
    expect(usage.stdout().split('\n')[2]).toBe('tank  snap   1.0 MiB  no      vm1     4.0 KiB');
  });

  it('prints the job table', async () => {
    const agent = recordingAgent({ listJobs: { jobs: [job('JOB_STATE_RUNNING', 42 * 2 ** 20)] } });
    const { io, stdout } = memoryIo();
    await runCli(['job', 'list'], io, { connect: agent.connect });
    expect(stdout()).toBe(['ID  KIND    POOL/VOLUME  STATE    PROGRESS', 'j1  delete  tank/vm1     running  42% 42.0 MiB/100.0 MiB', ''].join('\n'));
  });

  it('prints the response as one JSON document with the proto field names, without oneof markers', async () => {
    const agent = recordingAgent({ getVolume: { volume: { ...volume('vm1', { mappedBytes: 4096 }), _mappedBytes: 'mappedBytes' } } });
    const { io, stdout } = memoryIo();
    await runCli(['volume', 'show', 'tank/vm1', '--usage', '--json'], io, { connect: agent.connect });
    const document = JSON.parse(stdout()) as { volume: Record<string, unknown> };
    expect(document.volume).toMatchObject({ pool: 'tank', name: 'vm1', sizeBytes: 10 * 2 ** 30, mappedBytes: 4096, revisionOf: '', jobId: '' });
    expect(Object.keys(document.volume)).not.toContain('_mappedBytes');
  });

  it('shows revisions of the named volume only, oldest first', async () => {
    const agent = recordingAgent();
    const { io, stdout } = memoryIo({});
    await runCli(['--json', 'revision', 'list', 'tank/vm1'], io, { connect: agent.connect });
    const document = JSON.parse(stdout()) as { volumes: Array<{ name: string }> };
    expect(document.volumes.map((v) => v.name)).toEqual(['vm1.rev1', 'vm1.rev2']);
  });

  it('draws no progress in --json mode, and progress on stderr otherwise', async () => {
    const updates = [job('JOB_STATE_RUNNING', 0), job('JOB_STATE_SUCCEEDED', 100 * 2 ** 20)];
    const json = memoryIo({ isTTY: true });
    await runCli(['--json', 'job', 'watch', 'j1'], json.io, { connect: recordingAgent({}, updates).connect });
    expect(json.stderr()).toBe('');
    const human = memoryIo({ isTTY: true });
    await runCli(['job', 'watch', 'j1'], human.io, { connect: recordingAgent({}, updates).connect });
    expect(human.stderr()).toContain('\r[####################] 100% 100.0 MiB/100.0 MiB');
    expect(human.stdout()).toBe('job j1 succeeded\n');
  });

  it('shows a pool in detail', async () => {
    const agent = recordingAgent({ getPool: { pool: POOL } });
    const { io, stdout } = memoryIo();
    await runCli(['pool', 'show', 'tank'], io, { connect: agent.connect });
    expect(stdout()).toContain('data:           1.0 GiB of 10.0 GiB used (10.0%)\n');
    expect(stdout()).toContain('volumes:        2 (1 active)\n');
  });
});
